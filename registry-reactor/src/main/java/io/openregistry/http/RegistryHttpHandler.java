package io.openregistry.http;

import io.netty.handler.codec.http.HttpMethod;
import io.openregistry.auth.Caller;
import io.openregistry.oci.OciError;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The route table: (endpoint, method) → handler, with the cross-cutting parts every response
 * shares (API version header, request id, access guard, error mapping, access log). Built once by the composition root.
 */
public final class RegistryHttpHandler implements BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> {
    public static final String REQUEST_ID = "X-Request-Id";
    private final Map<Endpoint, Map<HttpMethod, Handler>> routes;
    private final ErrorMapper errors;
    private final AccessGuard guard;
    private final AccessLog accessLog;
    private final BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> fallback;

    private RegistryHttpHandler(Map<Endpoint, Map<HttpMethod, Handler>> routes, ErrorMapper errors, AccessGuard guard,
                                AccessLog accessLog, BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> fallback) {
        this.routes = routes;
        this.errors = errors;
        this.guard = guard;
        this.accessLog = accessLog;
        this.fallback = fallback;
    }

    /**
     * Routes guarded by {@code guard} (it admits each API request and names its {@link Caller}),
     * each request written to {@code accessLog} when it ends.
     */
    public static Builder builder(ErrorMapper errors, AccessGuard guard, AccessLog accessLog) {
        return new Builder(errors, guard, accessLog);
    }

    @Override
    public Publisher<Void> apply(HttpServerRequest request, HttpServerResponse response) {
        String requestId = Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
        response.header("Docker-Distribution-API-Version", "registry/2.0");
        response.header(REQUEST_ID, requestId);
        // every answer, JSON and blobs included: a browser never guesses another type than the one given
        response.header("X-Content-Type-Options", "nosniff");
        AccessLog.Mark mark = accessLog.start(request);
        String uri = request.uri();
        int q = uri.indexOf('?');
        String path = q >= 0 ? uri.substring(0, q) : uri;
        RouteMatch match = PathRouter.route(path);
        return Mono.defer(() -> Mono.from(dispatch(request, response, path, match)))
                .onErrorResume(e -> errors.write(request, response, requestId, e))
                .doFinally(end -> accessLog.finish(mark, requestId, request, response, match, end));
    }

    private Publisher<Void> dispatch(HttpServerRequest request, HttpServerResponse response, String path,
                                     RouteMatch match) {
        // before routing: a request whose host is in doubt gets no answer about any resource
        Requests.requireValidHost(request);
        if (match == null) {
            // the web app's files and pages (io.openregistry.web), or this 404
            return fallback != null ? fallback.apply(request, response)
                    : Mono.error(OciError.UNSUPPORTED.exception(404, "no such endpoint: " + path));
        }
        Map<HttpMethod, Handler> byMethod = routes.getOrDefault(match.endpoint(), Map.of());
        Handler handler = byMethod.get(request.method());
        if (handler == null) {
            String allow = byMethod.keySet().stream().map(HttpMethod::name).sorted().collect(Collectors.joining(", "));
            return Mono.error(OciError.UNSUPPORTED.exception(405, "method " + request.method() + " not allowed")
                    .withHeader("Allow", allow));
        }
        Caller caller = guard.authorize(request, match);
        // Handlers that filter by caller (catalog, cross-repository mount) read it from the context.
        return Mono.from(handler.handle(request, response, match)).contextWrite(Context.of(Caller.class, caller));
    }

    /** Collects the routes; {@link #build()} freezes them. */
    public static final class Builder {
        private final Map<Endpoint, Map<HttpMethod, Handler>> routes = new EnumMap<>(Endpoint.class);
        private final ErrorMapper errors;
        private final AccessGuard guard;
        private final AccessLog accessLog;
        private BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> fallback;

        private Builder(ErrorMapper errors, AccessGuard guard, AccessLog accessLog) {
            this.errors = errors;
            this.guard = guard;
            this.accessLog = accessLog;
        }

        public Builder route(Endpoint endpoint, HttpMethod method, Handler handler) {
            routes.computeIfAbsent(endpoint, e -> new HashMap<>()).put(method, handler);
            return this;
        }

        /**
         * What answers a path no route claims (the web app); it signals errors like a handler.
         * Without one such a path is a 404 "no such endpoint".
         */
        public Builder fallback(BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> fallback) {
            this.fallback = fallback;
            return this;
        }

        public RegistryHttpHandler build() {
            Map<Endpoint, Map<HttpMethod, Handler>> frozen = new EnumMap<>(Endpoint.class);
            routes.forEach((e, m) -> frozen.put(e, Map.copyOf(m)));
            return new RegistryHttpHandler(frozen, errors, guard, accessLog, fallback);
        }
    }
}

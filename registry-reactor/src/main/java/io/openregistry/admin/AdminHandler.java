package io.openregistry.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.openregistry.http.Requests;
import io.openregistry.oci.OciException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The admin listener's routes: {@code GET /metrics} (Prometheus text), {@code GET /healthz}
 * (alive), {@code GET /readyz} (dependencies answer) and {@code POST /gc[?dryRun=true]} (one
 * garbage collection, answering its report as JSON); anything else is a 404. It never answers
 * 500: a readiness probe or a collection that fails is a 503 with the reason.
 */
public final class AdminHandler implements BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> {
    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final byte[] UP = "{\"status\":\"UP\"}".getBytes(StandardCharsets.UTF_8);

    private final PrometheusMeterRegistry prometheus;
    private final Readiness readiness;
    private final ObjectMapper json;
    private final Scheduler scrapes;

    private final Function<Boolean, Mono<Map<String, Object>>> gc;

    /**
     * @param scrapes where scrapes run: some gauges read /proc and cgroup files, which blocks
     * @param gc      {@code POST /gc[?dryRun=true]}: runs one garbage collection and gives its
     *                report, or empty while a run of this replica is under way (then 409)
     */
    public AdminHandler(PrometheusMeterRegistry prometheus, Readiness readiness, ObjectMapper json, Scheduler scrapes,
                        Function<Boolean, Mono<Map<String, Object>>> gc) {
        this.gc = gc;
        this.prometheus = prometheus;
        this.readiness = readiness;
        this.json = json;
        this.scrapes = scrapes;
    }

    @Override
    public Publisher<Void> apply(HttpServerRequest request, HttpServerResponse response) {
        String path = request.path();
        if (request.method().equals(HttpMethod.POST) && path.equals("gc")) {
            return gc(request, response);
        }
        if (!request.method().equals(HttpMethod.GET)) {
            return send(response, HttpResponseStatus.NOT_FOUND, "text/plain", new byte[0]);
        }
        return switch (path) {
            case "metrics" -> Mono.fromCallable(() -> prometheus.scrape().getBytes(StandardCharsets.UTF_8))
                    .subscribeOn(scrapes)
                    .flatMap(body -> send(response, HttpResponseStatus.OK, PROMETHEUS_TEXT, body))
                    .onErrorResume(e -> {
                        log.warn("metrics scrape failed", e);
                        return send(response, HttpResponseStatus.SERVICE_UNAVAILABLE, "text/plain",
                                "scrape failed\n".getBytes(StandardCharsets.UTF_8));
                    });
            case "healthz" -> send(response, HttpResponseStatus.OK, "application/json", UP);
            case "readyz" -> readiness.check()
                    .flatMap(r -> send(response, r.ready() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                            "application/json", body(Map.of("status", r.ready() ? "UP" : "DOWN", "checks", r.checks()))));
            default -> send(response, HttpResponseStatus.NOT_FOUND, "text/plain", new byte[0]);
        };
    }

    /**
     * One garbage collection: 200 with its report, 409 while one of this replica runs (the caller
     * retries later rather than queueing runs), 503 with the error's message when it failed.
     */
    private Mono<Void> gc(HttpServerRequest request, HttpServerResponse response) {
        boolean dryRun;
        try {
            dryRun = Requests.flag(request, "dryRun");
        } catch (OciException e) {
            // a typo must not turn a dry run into a real one
            return send(response, HttpResponseStatus.BAD_REQUEST, "application/json", body(Map.of("error", e.getMessage())));
        }
        return gc.apply(dryRun)
                .flatMap(report -> send(response, HttpResponseStatus.OK, "application/json", body(report)))
                .switchIfEmpty(Mono.defer(() -> send(response, HttpResponseStatus.CONFLICT, "application/json",
                        body(Map.of("error", "a garbage collection is running on this replica")))))
                .onErrorResume(e -> {
                    log.warn("garbage collection failed", e);
                    return send(response, HttpResponseStatus.SERVICE_UNAVAILABLE, "application/json",
                            body(Map.of("error", "garbage collection failed: " + e)));
                });
    }

    private byte[] body(Map<String, Object> value) {
        try {
            return json.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            return "{\"status\":\"DOWN\"}".getBytes(StandardCharsets.UTF_8);
        }
    }

    private static Mono<Void> send(HttpServerResponse response, HttpResponseStatus status, String type, byte[] body) {
        return response.status(status)
                .header(HttpHeaderNames.CONTENT_TYPE, type)
                .header(HttpHeaderNames.CONTENT_LENGTH, String.valueOf(body.length))
                .sendByteArray(Mono.just(body))
                .then();
    }
}

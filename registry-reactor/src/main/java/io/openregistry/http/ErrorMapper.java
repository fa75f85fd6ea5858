package io.openregistry.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.timeout.ReadTimeoutException;
import io.openregistry.oci.OciError;
import io.openregistry.oci.OciException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The one place that turns a failure into a response: an {@link OciException} into its status and
 * the OCI error JSON, a request body that stopped arriving into a 408 (the client's slowness is not
 * a server error), anything else into a 500 whose request id is also logged.
 */
public final class ErrorMapper {
    private static final Logger log = LoggerFactory.getLogger(ErrorMapper.class);
    private static final long DRAIN_LIMIT = 1024 * 1024;
    private static final java.time.Duration DRAIN_TIMEOUT = java.time.Duration.ofSeconds(10);
    private final ObjectMapper json;

    public ErrorMapper(ObjectMapper json) {
        this.json = json;
    }

    public Mono<Void> write(HttpServerRequest request, HttpServerResponse response, String requestId, Throwable error) {
        OciException oci = error instanceof OciException e ? e : null;
        if (oci == null && clientGone(error)) {
            log.debug("request {} {} {}: client went away: {}", requestId, request.method(), request.uri(), error.toString());
            return Mono.error(error);
        }
        boolean timedOut = oci == null && bodyTimedOut(error);
        if (timedOut) {
            // Reactor Netty's readTimeout (http.bodyTimeoutSeconds): no body bytes for that long.
            // It closes the connection right after raising this. A handler that fails at once (a
            // body read whole before use: token, sign-in, manifest) gets here in the same event-loop
            // turn, so the 408 still goes out first; a streamed upload rolls back first, and its
            // client just sees the connection closed.
            log.debug("request {} {} {}: the request body stopped arriving", requestId, request.method(), request.uri());
            if (response.hasSentHeaders()) {
                return Mono.empty(); // too late for a 408; the connection is being closed anyway
            }
            oci = OciError.INVALID_REQUEST.exception(408, "the request body stopped arriving before it was complete");
            response.keepAlive(false);
        } else if (oci == null) {
            log.error("request {} {} {} failed", requestId, request.method(), request.uri(), error);
            oci = OciError.UNKNOWN.exception().withDetail(Map.of("requestId", requestId));
        } else if (log.isDebugEnabled()) {
            log.debug("request {} {} {} -> {} {}", requestId, request.method(), request.uri(), oci.status(), oci.getMessage());
        }
        if (response.hasSentHeaders()) {
            // Too late for an error body: abort the connection so the client sees a broken transfer.
            return Mono.error(error);
        }
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("code", oci.code().name());
        entry.put("message", oci.getMessage());
        if (oci.detail() != null) {
            entry.put("detail", oci.detail());
        }
        byte[] body;
        try {
            body = json.writeValueAsBytes(Map.of("errors", List.of(entry)));
        } catch (Exception e) {
            return Mono.error(e);
        }
        // After a body timeout there is nothing to drain, and a new subscriber to the failed body
        // would be failed twice by Reactor Netty (the second time as an ERROR "onErrorDropped").
        Mono<Void> drained = timedOut ? Mono.empty() : drain(request, response);
        response.status(HttpResponseStatus.valueOf(oci.status()));
        oci.headers().forEach(response::header);
        response.header(HttpHeaderNames.CONTENT_TYPE, "application/json");
        response.header(HttpHeaderNames.CONTENT_LENGTH, String.valueOf(body.length));
        if (request.method().equals(HttpMethod.HEAD)) {
            return drained.then(response.send().then());
        }
        return drained.then(response.sendByteArray(Mono.just(body)).then());
    }

    /**
     * Reads and drops what is left of the request body, so the connection stays usable for the
     * client's next request; a large remainder (declared, or found while reading) is not worth
     * reading, so the connection is closed after the error instead. A body the handler already
     * consumed (or began to) is left alone.
     */
    private static Mono<Void> drain(HttpServerRequest request, HttpServerResponse response) {
        if (declaredLength(request) > DRAIN_LIMIT && !allRead(request)) {
            return Mono.fromRunnable(() -> closeAfter(request, response));
        }
        long[] seen = {0};
        // bounded demand, as in Requests.body: an inbound error (a body timeout while draining)
        // then reaches this reader once, not twice
        return request.receive()
                .limitRate(32)
                .doOnNext(buf -> seen[0] += buf.readableBytes())
                .takeUntil(buf -> seen[0] > DRAIN_LIMIT)
                .then(Mono.fromRunnable(() -> {
                    if (seen[0] > DRAIN_LIMIT) {
                        closeAfter(request, response);
                    }
                }))
                .timeout(DRAIN_TIMEOUT, Mono.fromRunnable(() -> closeAfter(request, response)))
                .onErrorResume(e -> Mono.fromRunnable(() -> closeAfter(request, response)))
                .then();
    }

    /** Whether the whole body has arrived and been consumed (then a new receiver simply completes). */
    private static boolean allRead(HttpServerRequest request) {
        return request instanceof reactor.netty.channel.ChannelOperations<?, ?> ops && ops.isInboundDisposed();
    }

    /** The Content-Length the request announced (Netty's decoder has checked its form), or -1. */
    private static long declaredLength(HttpServerRequest request) {
        String value = request.requestHeaders().get(HttpHeaderNames.CONTENT_LENGTH);
        try {
            return value == null ? -1 : Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Closes the connection after the error response, gracefully: the client may still be sending
     * a body nobody reads, and a plain close would then reset the connection and lose the response
     * before the client reads it ({@link LingeringClose}).
     */
    private static void closeAfter(HttpServerRequest request, HttpServerResponse response) {
        response.keepAlive(false);
        LingeringClose.arm(request);
    }

    /** The body read timeout, however wrapped. */
    private static boolean bodyTimedOut(Throwable error) {
        for (Throwable e = error; e != null; e = e.getCause()) {
            if (e instanceof ReadTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** Aborted or reset connections: the client left, nothing to answer and nothing to alarm about. */
    private static boolean clientGone(Throwable error) {
        return error instanceof reactor.netty.channel.AbortedException
                || error instanceof java.nio.channels.ClosedChannelException
                || (error instanceof java.io.IOException && reactor.netty.channel.AbortedException.isConnectionReset(error));
    }
}

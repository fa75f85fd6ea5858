package io.openregistry.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.openregistry.oci.OciError;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.function.LongFunction;
import reactor.core.publisher.Mono;
import java.util.Map;
import reactor.netty.http.server.HttpServerRequest;

/** Small, strict readers of request parts shared by the handlers. */
public final class Requests {
    private Requests() {
    }

    public static Map<String, List<String>> query(HttpServerRequest request) {
        try {
            return new QueryStringDecoder(request.uri()).parameters();
        } catch (IllegalArgumentException e) {
            throw OciError.UNSUPPORTED.exception(400, "malformed query string: " + e.getMessage());
        }
    }

    /** The first value of a query parameter, or null. */
    public static String param(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** The Content-Length header, or -1 when absent; a malformed value is a client error. */
    public static long contentLength(HttpServerRequest request) {
        String v = request.requestHeaders().get(HttpHeaderNames.CONTENT_LENGTH);
        if (v == null) {
            return -1;
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw OciError.SIZE_INVALID.exception("invalid Content-Length: " + v);
        }
    }

    /**
     * The whole body as bytes, refusing more than {@code maxBytes} without buffering more than
     * that: a declared Content-Length over the limit fails at once, a longer stream as soon as it
     * passes the limit.
     */
    public static Mono<byte[]> body(HttpServerRequest request, int maxBytes, LongFunction<RuntimeException> tooLarge) {
        long declared = contentLength(request);
        if (declared > maxBytes) {
            return Mono.error(tooLarge.apply(declared));
        }
        // Bounded demand: with unbounded demand Reactor Netty (1.3.7) hands an inbound error (a
        // body timeout, a reset) to the reader and then, when the exchange ends, a second time,
        // which Reactor reports as a dropped error (ERROR by default).
        return request.receive()
                .limitRate(32)
                .reduceWith(ByteArrayOutputStream::new, (out, buf) -> {
                    int n = buf.readableBytes();
                    if ((long) out.size() + n > maxBytes) {
                        throw tooLarge.apply(out.size() + (long) n);
                    }
                    out.writeBytes(ByteBufUtil.getBytes(buf));
                    return out;
                })
                .map(ByteArrayOutputStream::toByteArray)
                .defaultIfEmpty(new byte[0]);
    }
}

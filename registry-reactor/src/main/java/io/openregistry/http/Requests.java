package io.openregistry.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.openregistry.oci.OciError;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
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

    /**
     * The parameters of an {@code application/x-www-form-urlencoded} body. A malformed
     * percent-escape is the client's mistake (400 INVALID_REQUEST), not a server error.
     */
    public static Map<String, List<String>> form(byte[] body) {
        try {
            return new QueryStringDecoder(new String(body, StandardCharsets.UTF_8), StandardCharsets.UTF_8, false)
                    .parameters();
        } catch (IllegalArgumentException e) {
            // not the decoder's message: it quotes the form, password included
            throw OciError.INVALID_REQUEST.exception("malformed form: a percent-escape is incomplete or not hex");
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
        return request.receive()
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

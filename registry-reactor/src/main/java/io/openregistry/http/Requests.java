package io.openregistry.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpVersion;
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

    /**
     * The checks of RFC 9112 section 3.2 on the request's {@code Host}, which every route relies on
     * (the token realm is built from it): a server MUST answer 400 to a request with more than one
     * {@code Host} line, with a {@code Host} value that is not {@code uri-host [ ":" port ]}, or to
     * an HTTP/1.1 request without one. Netty passes all three through; serving such a request with
     * one of its hosts picked is how requests get smuggled past a proxy that picked the other.
     */
    public static void requireValidHost(HttpServerRequest request) {
        List<String> hosts = request.requestHeaders().getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1) {
            throw OciError.UNSUPPORTED.exception(400, "more than one Host header");
        }
        if (hosts.isEmpty()) {
            if (HttpVersion.HTTP_1_1.equals(request.version())) {
                throw OciError.UNSUPPORTED.exception(400, "an HTTP/1.1 request must have a Host header");
            }
            return;
        }
        if (!isHostValue(hosts.get(0))) {
            throw OciError.UNSUPPORTED.exception(400, "malformed Host header");
        }
    }

    /**
     * {@code uri-host [ ":" port ]} of RFC 3986, loosely: the characters of a registered name
     * (unreserved, percent-encoded, sub-delims), of an IP literal ({@code [ ] :}) and of a port. Empty
     * is allowed (RFC 9112: for a target URI without an authority).
     */
    private static boolean isHostValue(String host) {
        if (host.length() > 1024) {
            return false;
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || "-._~%!$&'()*+,;=:[]".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
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

    /**
     * A yes/no query parameter: absent, {@code false} or {@code 0} is false, {@code true} or
     * {@code 1} is true; anything else (a typo) is a 400 naming the parameter, never a guess, since
     * these flags choose between harmless and destructive work ({@code dryRun},
     * {@code deleteRepositories}). Parameter names are matched exactly.
     */
    public static boolean flag(HttpServerRequest request, String name) {
        String value = param(query(request), name);
        if (value == null || value.equalsIgnoreCase("false") || value.equals("0")) {
            return false;
        }
        if (value.equalsIgnoreCase("true") || value.equals("1")) {
            return true;
        }
        throw OciError.INVALID_REQUEST.exception(name + " must be true or false");
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

package io.openregistry.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.openregistry.auth.Text;
import java.util.Base64;
import reactor.netty.http.server.HttpServerRequest;

/** Reads the {@code Authorization} header and the session cookie. Never logs or echoes what it reads. */
public final class Credentials {
    /** HTTP Basic credentials. */
    public record Basic(String username, String secret) {
        @Override
        public String toString() {
            return "Basic[" + username + "]";
        }
    }

    private Credentials() {
    }

    /**
     * Basic credentials, or null when the header is absent, of another scheme, or malformed,
     * including credentials that are not valid UTF-8: decoded leniently they would turn into
     * U+FFFD, and several different passwords into one.
     */
    public static Basic basic(HttpServerRequest request) {
        String value = credentials(request, "Basic");
        if (value == null) {
            return null;
        }
        String decoded;
        try {
            decoded = Text.decodeUtf8(Base64.getDecoder().decode(value));
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (decoded == null) {
            return null;
        }
        int colon = decoded.indexOf(':');
        return colon < 0 ? null : new Basic(decoded.substring(0, colon), decoded.substring(colon + 1));
    }

    /** A bearer token, or null. */
    public static String bearer(HttpServerRequest request) {
        return credentials(request, "Bearer");
    }

    /**
     * The value of the cookie {@code name}, or null when absent. When the request sends it more
     * than once (a cookie of a parent path or domain beside ours) the first is taken: browsers
     * send the most specific first.
     */
    public static String cookie(HttpServerRequest request, String name) {
        for (String header : request.requestHeaders().getAll(HttpHeaderNames.COOKIE)) {
            for (io.netty.handler.codec.http.cookie.Cookie c
                    : io.netty.handler.codec.http.cookie.ServerCookieDecoder.LAX.decodeAll(header)) {
                if (c.name().equals(name) && !c.value().isEmpty()) {
                    return c.value();
                }
            }
        }
        return null;
    }

    /** Whether the request carries an Authorization header at all. */
    public static boolean present(HttpServerRequest request) {
        return request.requestHeaders().contains(HttpHeaderNames.AUTHORIZATION);
    }

    /** The client's IP address, the key of per-address rate limits. */
    public static String address(HttpServerRequest request) {
        var remote = request.remoteAddress();
        return remote == null || remote.getAddress() == null ? "unknown" : remote.getAddress().getHostAddress();
    }

    private static String credentials(HttpServerRequest request, String scheme) {
        String header = request.requestHeaders().get(HttpHeaderNames.AUTHORIZATION);
        if (header == null || header.length() <= scheme.length() + 1
                || !header.regionMatches(true, 0, scheme, 0, scheme.length()) || header.charAt(scheme.length()) != ' ') {
            return null;
        }
        String value = header.substring(scheme.length() + 1).trim();
        return value.isEmpty() ? null : value;
    }
}

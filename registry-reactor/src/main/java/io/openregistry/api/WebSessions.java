package io.openregistry.api;

import io.netty.handler.codec.http.HttpMethod;
import io.openregistry.auth.Accounts;
import io.openregistry.auth.Principal;
import io.openregistry.auth.Secrets;
import io.openregistry.http.Credentials;
import io.openregistry.oci.OciError;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The web app's session: a cookie ({@value #COOKIE}: HttpOnly, SameSite=Strict, Path=/, Secure
 * behind TLS) whose secret is a credential of kind WEB, accepted on {@code /auth/*} and
 * {@code /api/v1/*} only and never as a bearer or refresh token. A cookie-authenticated request
 * that may change something (any method but GET, HEAD, OPTIONS) must carry the session's CSRF
 * token in {@value #CSRF_HEADER} and, when it has an {@code Origin}, come from an allowed origin:
 * SameSite=Strict already keeps the cookie off cross-site requests in current browsers; the token
 * covers older ones and same-site attackers (another port or subdomain).
 */
public final class WebSessions {
    public static final String COOKIE = "openregistry_session";
    public static final String CSRF_HEADER = "X-CSRF-Token";
    private static final Set<HttpMethod> SAFE = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);

    private final Accounts accounts;
    private final List<String> origins;
    private final Boolean cookieSecure;
    private final Duration ttl;

    /**
     * @param origins      the allowed origins ({@code webauthn.origins}); empty: {@code http://localhost:<port>}
     *                     of the port the request came in on
     * @param cookieSecure {@code web.cookieSecure}: null for auto (TLS or {@code X-Forwarded-Proto: https})
     * @param ttl          the cookie's Max-Age (the session's lifetime, {@code auth.sessionTtlSeconds})
     */
    public WebSessions(Accounts accounts, List<String> origins, Boolean cookieSecure, Duration ttl) {
        this.accounts = accounts;
        this.origins = List.copyOf(origins);
        this.cookieSecure = cookieSecure;
        this.ttl = ttl;
    }

    /** The origins a passkey ceremony's answer and a cookie request's {@code Origin} may name. */
    Set<String> origins(HttpServerRequest request) {
        if (!origins.isEmpty()) {
            return new LinkedHashSet<>(origins);
        }
        InetSocketAddress local = request.hostAddress();
        return Set.of("http://localhost" + (local == null ? "" : ":" + local.getPort()));
    }

    /** The cookie's secret, or null. */
    static String secret(HttpServerRequest request) {
        return Credentials.cookie(request, COOKIE);
    }

    /**
     * The account of the request's session cookie, CSRF-checked for unsafe methods (403 DENIED);
     * empty when the request has no cookie or its session is not live (the caller then answers
     * 401, or serves an anonymous caller).
     */
    Mono<Principal> caller(HttpServerRequest request) {
        String secret = secret(request);
        if (secret == null) {
            return Mono.empty();
        }
        return accounts.webSession(secret).flatMap(p -> checkCsrf(request, secret).thenReturn(p));
    }

    /** 403 unless the request is safe, or carries the session's CSRF token and comes from an allowed origin. */
    Mono<Void> checkCsrf(HttpServerRequest request, String secret) {
        if (SAFE.contains(request.method())) {
            return Mono.empty();
        }
        String origin = request.requestHeaders().get("Origin");
        if (!Secrets.csrfMatches(secret, request.requestHeaders().get(CSRF_HEADER))
                || (origin != null && !originAllowed(request, origin))) {
            return Mono.error(OciError.DENIED.exception("missing or wrong CSRF token"));
        }
        return Mono.empty();
    }

    private boolean originAllowed(HttpServerRequest request, String origin) {
        if (origins(request).contains(origin)) {
            return true;
        }
        String host = request.requestHeaders().get("Host");
        return host != null && !host.isEmpty()
                && (origin.equalsIgnoreCase("http://" + host) || origin.equalsIgnoreCase("https://" + host));
    }

    /** Sets the cookie of a new session. */
    void setCookie(HttpServerRequest request, HttpServerResponse response, String secret) {
        response.addHeader("Set-Cookie", COOKIE + "=" + secret + "; Path=/; Max-Age=" + ttl.toSeconds()
                + "; HttpOnly; SameSite=Strict" + (secure(request) ? "; Secure" : ""));
        response.header("Cache-Control", "no-store");
    }

    /** Clears the cookie (sign-out). */
    void clearCookie(HttpServerRequest request, HttpServerResponse response) {
        response.addHeader("Set-Cookie", COOKIE + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
                + (secure(request) ? "; Secure" : ""));
    }

    private boolean secure(HttpServerRequest request) {
        if (cookieSecure != null) {
            return cookieSecure;
        }
        String forwarded = request.requestHeaders().get("X-Forwarded-Proto");
        return "https".equals(request.scheme())
                || (forwarded != null && forwarded.split(",")[0].trim().toLowerCase(Locale.ROOT).equals("https"));
    }

    Accounts accounts() {
        return accounts;
    }
}

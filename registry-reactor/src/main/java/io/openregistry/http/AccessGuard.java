package io.openregistry.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.openregistry.auth.AccessClaims;
import io.openregistry.auth.Caller;
import io.openregistry.auth.InvalidTokenException;
import io.openregistry.auth.Scope;
import io.openregistry.auth.TokenVerifier;
import io.openregistry.metrics.Meters;
import io.openregistry.oci.Names;
import java.time.Duration;
import io.openregistry.oci.OciError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import reactor.netty.http.server.HttpServerRequest;

/**
 * Decides whether a distribution API request may proceed, from its bearer token alone (signature,
 * audience, expiry, and that the token's grants cover what the request needs; no database). A
 * verified token is cached (Caffeine, metered as {@value Meters#CACHE_TOKENS}), so the many
 * requests of one push or pull pay for one signature check; when the signing keys change (a
 * reload of {@code auth.keysDir}) each cached token is verified again at its next use, so a
 * removed key's tokens are refused from then on. The
 * answer to a request that may not is a 401 with a {@code WWW-Authenticate: Bearer} challenge
 * naming exactly the scope it needs, so the client knows what to ask the token service for.
 *
 * <p>What a request needs is decided by endpoint and method alone, before anything is looked up:
 * a private repository and a missing one therefore answer alike to whoever may not read them.
 * Reads need {@code pull}; uploads and manifest puts {@code pull,push} (clients check blobs before
 * they push them); deletes {@code delete}; the catalog {@code registry:catalog:*}; {@code /v2/}
 * any valid token.
 */
public final class AccessGuard {
    /**
     * Clients reuse a token for every request of a push or pull: one signature check each is
     * enough. Bounded by size (tokens carry up to 64 scopes), weighing each entry at twice its
     * token's characters.
     */
    private static final long CACHE_WEIGHT = 64L * 1024 * 1024;
    private final TokenVerifier verifier;
    private final String service;
    private final String realm;
    private final Cache<String, Verified> verified;

    /** A verified token's claims, and the version of the signing keys that verified it. */
    private record Verified(AccessClaims claims, long keysVersion) {}

    private AccessGuard(TokenVerifier verifier, String service, String realm, Cache<String, Verified> verified) {
        this.verifier = verifier;
        this.service = service;
        this.realm = realm;
        this.verified = verified;
    }

    /** Open mode: every request is {@link Caller#OPEN}. */
    public static AccessGuard open() {
        return new AccessGuard(null, null, null, null);
    }

    /**
     * @param realm         the token endpoint URL for challenges, or null to derive it from each
     *                      request's scheme and {@code Host} header
     * @param tokenLifetime how long the tokens live: verified ones are cached at most that long
     *                      (and their validity window is checked again at every use)
     */
    public static AccessGuard tokens(TokenVerifier verifier, String service, String realm, Duration tokenLifetime,
                                     MeterRegistry meters) {
        Cache<String, Verified> cache = Caffeine.newBuilder()
                .maximumWeight(CACHE_WEIGHT)
                .weigher((String token, Verified entry) -> 2 * token.length())
                .expireAfterWrite(tokenLifetime.plus(TokenVerifier.DEFAULT_SKEW))
                .recordStats()
                .build();
        CaffeineCacheMetrics.monitor(meters, cache, Meters.CACHE_TOKENS);
        return new AccessGuard(verifier, service, realm, cache);
    }

    /** The caller of an API request that may proceed; otherwise throws the 401 to answer. */
    Caller authorize(HttpServerRequest request, RouteMatch route) {
        if (verifier == null || !route.endpoint().isDistributionApi()) {
            return Caller.OPEN;
        }
        if (route.name() != null && !Names.isValidName(route.name())) {
            throw OciError.NAME_INVALID.exception("invalid repository name: " + route.name());
        }
        Scope needed = needed(route, request.method());
        String token = Credentials.bearer(request);
        if (token == null) {
            throw challenge(request, needed, null, "authentication required");
        }
        AccessClaims claims;
        // Read before verifying: should the keys change meanwhile, the entry carries the older
        // version and is checked again at its next use (never trusted for longer than it should).
        long keysVersion = verifier.keysVersion();
        Verified hit = verified.getIfPresent(token);
        try {
            if (hit != null && hit.keysVersion() == keysVersion) {
                claims = verifier.checkTime(hit.claims());
            } else {
                // not cached, or cached under keys reloaded since (its key may have been removed)
                claims = verifier.verify(token);
                verified.put(token, new Verified(claims, keysVersion));
            }
        } catch (InvalidTokenException e) {
            if (hit != null) {
                verified.invalidate(token);
            }
            throw challenge(request, needed, "invalid_token", "invalid access token: " + e.getMessage());
        }
        if (needed != null) {
            for (String action : needed.actions()) {
                if (!claims.covers(needed.type(), needed.name(), action)) {
                    throw challenge(request, needed, "insufficient_scope", "access to " + needed + " required");
                }
            }
        }
        return Caller.of(claims);
    }

    /** The scope a request needs, or null for {@code /v2/} (any valid token). */
    static Scope needed(RouteMatch route, HttpMethod method) {
        String name = route.name();
        return switch (route.endpoint()) {
            case BASE -> null;
            case CATALOG -> Scope.CATALOG_SCOPE;
            case TAGS, REFERRERS -> Scope.repository(name, Scope.PULL);
            case UPLOAD_START, UPLOAD -> Scope.repository(name, Scope.PULL, Scope.PUSH);
            case MANIFEST, BLOB -> method.equals(HttpMethod.DELETE) ? Scope.repository(name, Scope.DELETE)
                    : method.equals(HttpMethod.PUT) ? Scope.repository(name, Scope.PULL, Scope.PUSH)
                    : Scope.repository(name, Scope.PULL);
            default -> throw new IllegalArgumentException("not a distribution API endpoint: " + route.endpoint());
        };
    }

    private RuntimeException challenge(HttpServerRequest request, Scope needed, String error, String message) {
        StringBuilder header = new StringBuilder("Bearer realm=\"").append(realm(request))
                .append("\",service=\"").append(service).append('"');
        if (needed != null) {
            header.append(",scope=\"").append(needed).append('"');
        }
        if (error != null) {
            header.append(",error=\"").append(error).append('"');
        }
        List<Map<String, String>> detail = new ArrayList<>();
        if (needed != null) {
            for (String action : needed.actions()) {
                Map<String, String> entry = new LinkedHashMap<>();
                entry.put("Type", needed.type());
                entry.put("Name", needed.name());
                entry.put("Action", action);
                detail.add(entry);
            }
        }
        return OciError.UNAUTHORIZED.exception(message)
                .withDetail(detail.isEmpty() ? null : detail)
                .withHeader("WWW-Authenticate", header.toString());
    }

    private String realm(HttpServerRequest request) {
        if (realm != null) {
            return realm;
        }
        String host = request.requestHeaders().get(HttpHeaderNames.HOST);
        if (host == null || !safeHost(host)) {
            host = request.hostAddress() == null ? "localhost"
                    : request.hostAddress().getHostString() + ":" + request.hostAddress().getPort();
        }
        return request.scheme() + "://" + host + "/token";
    }

    /** A Host header fit to be echoed in a header value: host name or address characters and a port. */
    private static boolean safeHost(String host) {
        if (host.isEmpty() || host.length() > 255) {
            return false;
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == '.' || c == '-' || c == ':' || c == '[' || c == ']')) {
                return false;
            }
        }
        return true;
    }
}

package io.openregistry.auth;

import java.time.Duration;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * The token service of the Docker registry token protocol: turns a {@link Principal} and the
 * scopes it asks for into a signed access token granting what {@link AccessPolicy} allows.
 */
public final class TokenService {
    private final AccessPolicy policy;
    private final TokenSigner signer;
    private final String service;
    private final Duration lifetime;

    public TokenService(AccessPolicy policy, TokenSigner signer, String service, Duration lifetime) {
        this.policy = policy;
        this.signer = signer;
        this.service = service;
        this.lifetime = lifetime;
    }

    /** The audience of the tokens, which clients pass as {@code service}. */
    public String service() {
        return service;
    }

    public Duration lifetime() {
        return lifetime;
    }

    /** A token for {@code principal} granting the allowed part of {@code scopes} (possibly nothing). */
    public Mono<TokenSigner.IssuedToken> issue(Principal principal, List<Scope> scopes) {
        return policy.grant(principal, scopes)
                .map(grants -> signer.issue(principal.anonymous() ? "" : principal.username(), principal.admin(),
                        service, grants, lifetime));
    }
}

package io.openregistry.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;

/**
 * Issues registry access tokens: PASETO v4.public tokens whose payload is {@link AccessClaims}
 * and whose footer is {@code {"kid":"<id>"}}, naming the {@link KeyRing}'s active key at the time
 * of signing. Thread-safe; a rotation of the ring applies to the next token issued.
 */
public final class TokenSigner {

    private final KeyRing keys;
    private final String issuer;
    private final Clock clock;

    /** A signed token and the claims it carries. */
    public record IssuedToken(String token, AccessClaims claims) {}

    public TokenSigner(KeyRing keys, String issuer, Clock clock) {
        this.keys = Objects.requireNonNull(keys, "keys");
        this.issuer = Objects.requireNonNull(issuer, "issuer");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Signs a token for {@code subject}, valid from now for {@code lifetime}, for the service
     * {@code audience}, granting exactly {@code access}.
     */
    public IssuedToken issue(String subject, String audience, List<AccessClaims.Access> access, Duration lifetime) {
        return issue(subject, false, audience, access, lifetime);
    }

    /** As {@link #issue(String, String, List, Duration)}, for a registry admin when {@code admin}. */
    public IssuedToken issue(String subject, boolean admin, String audience, List<AccessClaims.Access> access,
                             Duration lifetime) {
        if (lifetime.isNegative() || lifetime.isZero()) {
            throw new IllegalArgumentException("token lifetime must be positive: " + lifetime);
        }
        // whole seconds: the ISO strings stay short and the times survive the round trip exactly
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        AccessClaims claims = new AccessClaims(issuer, subject, audience, now, now, now.plus(lifetime),
                KeyRing.randomId(), access, admin);
        KeyRing.Snapshot ring = keys.snapshot(); // one snapshot, so kid and key always match
        String token = PasetoV4Public.sign(ring.activeKey(), ClaimsJson.write(claims),
                ClaimsJson.footer(ring.activeKid()), PasetoV4Public.EMPTY);
        return new IssuedToken(token, claims);
    }
}

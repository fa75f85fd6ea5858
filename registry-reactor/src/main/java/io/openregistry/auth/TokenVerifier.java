package io.openregistry.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;

/**
 * Checks registry access tokens issued by {@link TokenSigner} and returns their claims. A token
 * is accepted only if all of these hold, in this order:
 * <ol>
 *   <li>it is a well-formed v4.public token of at most {@value #MAX_TOKEN_CHARS} characters;</li>
 *   <li>its footer is exactly {@code {"kid":"<id>"}} and the {@link KeyRing} holds that key;</li>
 *   <li>the signature verifies under that key (footer included);</li>
 *   <li>the claims are complete, {@code aud} equals this verifier's audience (and {@code iss}
 *       its issuer, when it has one);</li>
 *   <li>{@code nbf} and {@code iat} are not later than now + skew, and {@code exp} is later than
 *       now - skew.</li>
 * </ol>
 * Otherwise {@link InvalidTokenException}. No I/O and no database lookup: a pure function of the
 * token, the ring and the clock. Thread-safe.
 */
public final class TokenVerifier {
    /** Default tolerance for clocks of issuer and verifier that disagree a little. */
    public static final Duration DEFAULT_SKEW = Duration.ofSeconds(30);
    /** Generous for hundreds of scopes, small enough to refuse junk before any parsing. */
    public static final int MAX_TOKEN_CHARS = 64 * 1024;
    /** A {"kid":"..."} footer with a 64-character id is well under this. */
    private static final int MAX_FOOTER_BYTES = 256;

    private final KeyRing keys;
    private final String issuer;
    private final String audience;
    private final Clock clock;
    private final Duration skew;

    /** A verifier that accepts any issuer (tokens of any service sharing the keys and audience). */
    public TokenVerifier(KeyRing keys, String audience, Clock clock, Duration skew) {
        this(keys, null, audience, clock, skew);
    }

    /** @param issuer the only {@code iss} accepted, or null for any */
    public TokenVerifier(KeyRing keys, String issuer, String audience, Clock clock, Duration skew) {
        this.issuer = issuer;
        this.keys = Objects.requireNonNull(keys, "keys");
        this.audience = Objects.requireNonNull(audience, "audience");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (skew.isNegative()) {
            throw new IllegalArgumentException("clock skew must not be negative: " + skew);
        }
        this.skew = skew;
    }

    /** Verifies {@code token} as described on the class; returns its claims. */
    public AccessClaims verify(String token) {
        if (token == null || token.length() > MAX_TOKEN_CHARS) {
            throw new InvalidTokenException("token missing or too long");
        }
        // the footer picks the key before it is authenticated; the signature covers it afterwards
        byte[] footer = PasetoV4Public.untrustedFooter(token);
        if (footer.length == 0 || footer.length > MAX_FOOTER_BYTES) {
            throw new InvalidTokenException("unexpected footer");
        }
        String kid = ClaimsJson.kid(footer);
        Ed25519PublicKeyParameters key = keys.snapshot().publicKeys().get(kid);
        if (key == null) {
            throw new InvalidTokenException("unknown signing key");
        }
        byte[] message = PasetoV4Public.verify(key, token, footer, PasetoV4Public.EMPTY).message();

        AccessClaims claims = ClaimsJson.read(message);
        if (!claims.audience().equals(audience)) {
            throw new InvalidTokenException("wrong audience");
        }
        if (issuer != null && !claims.issuer().equals(issuer)) {
            throw new InvalidTokenException("wrong issuer");
        }
        return checkTime(claims);
    }

    /**
     * The version of the keys tokens are verified with now ({@link KeyRing#version()}): a token
     * verified under another version must be verified again, its key may have been removed since.
     */
    public long keysVersion() {
        return keys.version();
    }

    /**
     * Applies the validity window (the last check of {@link #verify}) again, to claims verified
     * earlier: a cache of verified tokens must still refuse one that has expired since.
     */
    public AccessClaims checkTime(AccessClaims claims) {
        Instant now = clock.instant();
        Instant latestStart = now.plus(skew);
        if (claims.notBefore().isAfter(latestStart) || claims.issuedAt().isAfter(latestStart)) {
            throw new InvalidTokenException("token not yet valid");
        }
        if (!claims.expiresAt().isAfter(now.minus(skew))) {
            throw new InvalidTokenException("token expired");
        }
        return claims;
    }
}

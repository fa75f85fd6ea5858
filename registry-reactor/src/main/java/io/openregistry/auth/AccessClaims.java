package io.openregistry.auth;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The claims of a registry access token, as issued by {@link TokenSigner} and returned by
 * {@link TokenVerifier} after every check has passed.
 *
 * <p>On the wire (the PASETO payload) the names are those of the PASETO registered claims and the
 * Docker registry token spec: {@code iss}, {@code sub}, {@code aud}, {@code iat}, {@code nbf},
 * {@code exp} (the three times as ISO 8601 strings, as PASETO defines them), {@code jti}, and
 * {@code access}, a list of {@code {"type","name","actions"}}; and {@code adm: true} in a registry
 * admin's token only (the catalog lists everything for it).
 *
 * <p>The subject says who the caller is: an account's name, a robot's full name
 * {@code <namespace>+<short>} (a {@code +} never appears in an account's name), or empty for anonymous.
 */
public record AccessClaims(String issuer, String subject, String audience, Instant issuedAt,
                           Instant notBefore, Instant expiresAt, String tokenId, List<Access> access, boolean admin) {

    public AccessClaims {
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(audience, "audience");
        Objects.requireNonNull(issuedAt, "issuedAt");
        Objects.requireNonNull(notBefore, "notBefore");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(tokenId, "tokenId");
        access = List.copyOf(access);
    }

    /**
     * One grant: {@code actions} on the resource {@code type}/{@code name}, e.g.
     * {@code repository} / {@code alice/app} / {@code [pull, push]}.
     */
    public record Access(String type, String name, List<String> actions) {
        public Access {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(name, "name");
            actions = List.copyOf(actions);
        }
    }

    /**
     * Whether some grant names exactly this resource and action. Matching is exact on purpose:
     * the token service grants the computed intersection of request and permission, so there are
     * no wildcards to interpret here.
     */
    public boolean covers(String type, String name, String action) {
        for (Access grant : access) {
            if (grant.type().equals(type) && grant.name().equals(name) && grant.actions().contains(action)) {
                return true;
            }
        }
        return false;
    }
}

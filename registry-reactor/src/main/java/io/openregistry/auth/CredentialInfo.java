package io.openregistry.auth;

import io.openregistry.metadata.AccountStore.Credential;
import java.time.Instant;
import java.util.List;

/**
 * What the account API may show of a credential (a personal access token or a session): never its
 * secret nor its hash.
 *
 * @param expiresAt null for a credential that does not expire
 */
public record CredentialInfo(String id, String username, String name, List<String> actions, List<String> repositories,
                             Instant createdAt, Instant expiresAt) {
    public CredentialInfo {
        actions = List.copyOf(actions);
        repositories = List.copyOf(repositories);
    }

    static CredentialInfo of(Credential c) {
        return new CredentialInfo(c.id(), c.username(), c.name(), c.actions(), c.repositories(), c.createdAt(),
                c.expiresAt());
    }
}

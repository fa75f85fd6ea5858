package io.openregistry.auth;

import java.util.List;
import java.util.Set;

/**
 * Who asks the token service for access: an account, signed in by password or session (all its
 * rights), or through a personal access token (its rights narrowed to the token's actions and
 * repositories); or nobody ({@link #ANONYMOUS}).
 *
 * @param username     the account, or null when anonymous
 * @param admin        whether the account administers the whole registry
 * @param actions      for a PAT, the actions it allows ({@code push} implies {@code pull}); null = no limit
 * @param repositories for a PAT, the repositories it is limited to; empty = no limit
 */
public record Principal(String username, boolean admin, Set<String> actions, List<String> repositories) {
    public static final Principal ANONYMOUS = new Principal(null, false, null, List.of());

    public Principal {
        actions = actions == null ? null : Set.copyOf(actions);
        repositories = List.copyOf(repositories);
    }

    /** An account with all of its rights. */
    public static Principal account(String username, boolean admin) {
        return new Principal(username, admin, null, List.of());
    }

    public boolean anonymous() {
        return username == null;
    }

    /** Whether this is the owner of the namespace {@code name} is in ({@code alice} owns {@code alice/...}). */
    boolean owns(String repository) {
        return username != null && repository.length() > username.length() + 1
                && repository.startsWith(username) && repository.charAt(username.length()) == '/';
    }

    /**
     * Whether the credential itself (not the account) allows {@code action} on {@code repository};
     * {@code repository} null means registry-wide (the catalog), which a credential limited to
     * some repositories does not allow.
     */
    boolean credentialAllows(String action, String repository) {
        boolean actionOk = actions == null || actions.contains(action)
                || (action.equals(Scope.PULL) && actions.contains(Scope.PUSH));
        return actionOk && (repositories.isEmpty() || (repository != null && repositories.contains(repository)));
    }
}

package io.openregistry.auth;

import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.OrgStore.RepoRole;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Who asks for access: an account, signed in by password or session (all its rights), or through
 * a personal access token (its rights narrowed to the token's actions and repositories); a robot
 * account (the rights of its {@link RobotRights}, in its own namespace only); or nobody
 * ({@link #ANONYMOUS}). A disabled account or a refused robot never becomes a Principal: the
 * checks in {@link Accounts} refuse them first.
 *
 * @param username     the account, or the robot's full name {@code <namespace>+<short>}; null when anonymous
 * @param admin        whether the account administers the whole registry (never a robot)
 * @param actions      for a PAT, the actions it allows ({@code push} implies {@code pull}); null = no limit
 * @param repositories for a PAT, the repositories it is limited to; empty = no limit
 * @param robot        for a robot, its permissions; null for an account or anonymous
 */
public record Principal(String username, boolean admin, Set<String> actions, List<String> repositories,
                        RobotRights robot) {
    public static final Principal ANONYMOUS = new Principal(null, false, null, List.of(), null);

    /**
     * A robot's permissions, as {@link OrgStore.Robot} holds them: {@code role} on the listed
     * {@code repositories} (full names) of {@code namespace}, or on all of its repositories, and
     * whether it may create repositories there by pushing.
     */
    public record RobotRights(String namespace, RepoRole role, boolean allRepositories, boolean mayCreate,
                              Set<String> repositories) {
        public RobotRights {
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(role, "role");
            repositories = Set.copyOf(repositories);
        }
    }

    public Principal {
        actions = actions == null ? null : Set.copyOf(actions);
        repositories = List.copyOf(repositories);
        if (robot != null && (username == null || admin || actions != null || !repositories.isEmpty())) {
            throw new IllegalArgumentException("a robot has a name, is no admin and has no PAT narrowing");
        }
    }

    /** An account's PAT: its rights narrowed to {@code actions} on {@code repositories} (empty: all). */
    public Principal(String username, boolean admin, Set<String> actions, List<String> repositories) {
        this(username, admin, actions, repositories, null);
    }

    /** An account with all of its rights. */
    public static Principal account(String username, boolean admin) {
        return new Principal(username, admin, null, List.of(), null);
    }

    /** A robot with the permissions it holds (the caller has checked its secret, expiry and owner). */
    public static Principal ofRobot(OrgStore.Robot robot) {
        return new Principal(robot.name(), false, null, List.of(), new RobotRights(robot.namespace(), robot.role(),
                robot.allRepositories(), robot.mayCreate(), Set.copyOf(robot.repositories())));
    }

    public boolean anonymous() {
        return username == null;
    }

    /** Whether this is a robot account (which never signs in to the account or management API). */
    public boolean isRobot() {
        return robot != null;
    }

    /** Whether a credential narrows the account's rights (a personal access token). */
    public boolean narrowed() {
        return actions != null || !repositories.isEmpty();
    }

    /** Whether {@code name} is a robot's full name: {@code +} never appears in a username or organization name. */
    public static boolean isRobotName(String name) {
        return name != null && name.indexOf('+') > 0;
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

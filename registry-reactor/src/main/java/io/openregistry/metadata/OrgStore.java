package io.openregistry.metadata;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Org mode's data: the one name space shared by users and organizations, organizations and their
 * members, teams, direct repository grants, robot accounts, the administration of accounts, and
 * the audit log. Stores only what it is given and decides nothing about who may ask: the access
 * rules live in {@code auth.AccessPolicy}; this seam answers the facts it needs in one call
 * ({@link #accessFacts}) and lists what a caller may pull ({@link #catalogFor}) by an indexed query.
 *
 * <p>Every change (membership, role, team, grant, robot, visibility, account state) writes its
 * {@link AuditEntry} in the same transaction as the change, naming {@code actor}.
 *
 * <p>Names: an organization name follows the username rules (one repository path component of at
 * most 64 characters); a team name is 1-64 characters of {@code [a-z0-9._-]}; a robot's full name is
 * {@code <namespace>+<short>} with the short name following the username rules. Validation of input
 * is the caller's job (it answers 400s); this store may assume valid names.
 */
public interface OrgStore {

    /** What owns a namespace. */
    enum NamespaceKind { USER, ORGANIZATION }

    /** A member's role in an organization, weakest first (compare with {@code compareTo}). */
    enum OrgRole { MEMBER, ADMIN, OWNER }

    /** A role on a repository, weakest first: read = pull; write = pull, push; admin = also delete, visibility, grants. */
    enum RepoRole { READ, WRITE, ADMIN }

    /** The outcome of a change that may be refused for a reason the caller reports. */
    enum Outcome {
        DONE,
        /** The organization, team, user, robot or grant named does not exist. */
        NOT_FOUND,
        /** The name is taken (namespace, team, robot). */
        TAKEN,
        /** The change would leave an organization without an owner. */
        LAST_OWNER,
        /** The namespace still holds repositories and their deletion was not asked for. */
        HOLDS_REPOSITORIES
    }

    record Organization(String name, String createdBy, Instant createdAt) {
        public Organization {
            Objects.requireNonNull(name, "name");
        }
    }

    record Member(String organization, String username, OrgRole role, Instant addedAt) {
    }

    /**
     * A team: members get {@code role} on the repositories listed for the team, or on every
     * repository of the organization when {@code allRepositories}; {@code mayCreate} lets them
     * create repositories in the organization by pushing.
     */
    record Team(String organization, String name, String description, RepoRole role, boolean allRepositories,
                boolean mayCreate, Instant createdAt) {
        public Team {
            Objects.requireNonNull(organization, "organization");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(role, "role");
        }
    }

    /** A direct grant of {@code role} on one repository to a user (an outside collaborator or a member). */
    record Grant(String repository, String username, RepoRole role, Instant grantedAt) {
    }

    /**
     * A robot account, owned by a namespace (organization or user): {@code name} is
     * {@code <namespace>+<short>}. It has permissions like a team's, and a secret of which only a
     * hash is stored. It can get registry tokens; it never signs in to the account API.
     *
     * @param repositories the repositories (full names, in its namespace) it has {@code role} on,
     *                     unless {@code allRepositories}
     * @param expiresAt    when it stops working, or null for never
     * @param lastUsedAt   when it last got a registry token, or null
     */
    record Robot(String name, String namespace, String secretHash, String description, RepoRole role,
                 boolean allRepositories, boolean mayCreate, List<String> repositories, Instant expiresAt,
                 Instant lastUsedAt, String createdBy, Instant createdAt) {
        public Robot {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(secretHash, "secretHash");
            Objects.requireNonNull(role, "role");
            repositories = List.copyOf(repositories);
        }

        public boolean expired(Instant now) {
            return expiresAt != null && !expiresAt.isAfter(now);
        }

        @Override
        public String toString() {
            return "Robot[" + name + "]";
        }
    }

    /**
     * One recorded change.
     *
     * @param namespace the organization or user namespace it concerns (null for registry-wide changes
     *                  such as an admin disabling an account)
     * @param action    a dotted verb, e.g. {@code member.add}, {@code team.repository.add}, {@code robot.create},
     *                  {@code repository.visibility}, {@code account.disable}
     * @param target    what it changed (a username, team name, robot name or repository)
     * @param detail    a small JSON object with the rest (e.g. {@code {"role":"admin"}}), or null
     */
    record AuditEntry(long id, String namespace, String actor, String action, String target, String detail, Instant at) {
    }

    /**
     * Everything one access decision about {@code username} (or a robot) and one repository needs,
     * read in one call.
     *
     * @param namespaceKind     what owns the repository's namespace (its first path component), or null when nothing
     *                          does; a one-component name ({@code app}) is in no namespace, as {@code alice} owns
     *                          {@code alice/…} but not {@code alice}
     * @param repositoryExists  whether the repository exists
     * @param repositoryPublic  whether it exists and is public
     * @param orgRole           the user's role in the owning organization, or null (not a member, or a user namespace)
     * @param teamRole          the strongest role the user's teams give on this repository (listed, or all
     *                          repositories of the organization), or null
     * @param teamMayCreate     whether one of the user's teams in the owning organization may create repositories
     * @param grantRole         the user's direct grant on this repository, or null
     */
    record AccessFacts(NamespaceKind namespaceKind, boolean repositoryExists, boolean repositoryPublic, OrgRole orgRole,
                       RepoRole teamRole, boolean teamMayCreate, RepoRole grantRole) {
    }

    // --- the shared name space ---

    /** What owns {@code name}, or empty when it is free (an account or an organization; robots are not namespaces). */
    Mono<NamespaceKind> namespaceKind(String name);

    // --- organizations ---

    /**
     * Creates the organization with {@code owner} as its first owner: TAKEN when an account or
     * organization has the name (the account's own sign-up claims the name space in the same way,
     * so a race between the two has one winner).
     */
    Mono<Outcome> createOrganization(String name, String owner, Instant at);

    Mono<Organization> organization(String name);

    /** All organizations, by name, after {@code last} when not null. */
    Mono<List<Organization>> organizations(String last, int n);

    /** The organizations {@code username} is a member of, by name. */
    Flux<Member> membershipsOf(String username);

    /**
     * Deletes the organization with its teams, members, grants and robots. HOLDS_REPOSITORIES when
     * it still holds repositories and {@code withRepositories} is false; with it true, its
     * repositories are deleted as by {@link #deleteRepositories}.
     */
    Mono<Outcome> deleteOrganization(String name, boolean withRepositories, String actor);

    // --- members ---

    Flux<Member> members(String organization);

    Mono<Member> member(String organization, String username);

    /**
     * Adds {@code username} with {@code role}, or changes its role. NOT_FOUND when the organization
     * or the account does not exist; LAST_OWNER when it would demote the last owner.
     */
    Mono<Outcome> setMember(String organization, String username, OrgRole role, String actor);

    /** Removes a member from the organization and from all its teams; LAST_OWNER for the last owner. */
    Mono<Outcome> removeMember(String organization, String username, String actor);

    // --- teams ---

    Flux<Team> teams(String organization);

    Mono<Team> team(String organization, String name);

    /** Creates a team (TAKEN when the organization has one of that name, NOT_FOUND without the organization). */
    Mono<Outcome> createTeam(Team team, String actor);

    /** Changes a team's description, role and flags (not its name); NOT_FOUND when missing. */
    Mono<Outcome> updateTeam(Team team, String actor);

    Mono<Outcome> deleteTeam(String organization, String name, String actor);

    Flux<String> teamMembers(String organization, String team);

    /** Adds an account to a team; it becomes a member of the organization if it was not. */
    Mono<Outcome> addTeamMember(String organization, String team, String username, String actor);

    Mono<Outcome> removeTeamMember(String organization, String team, String username, String actor);

    /** The repositories (full names) listed for a team, by name. */
    Flux<String> teamRepositories(String organization, String team);

    /** Lists a repository of the organization for a team (it need not exist yet). */
    Mono<Outcome> addTeamRepository(String organization, String team, String repository, String actor);

    Mono<Outcome> removeTeamRepository(String organization, String team, String repository, String actor);

    // --- direct grants ---

    Flux<Grant> grants(String repository);

    /** Grants {@code role} on {@code repository} to an account, or changes it; NOT_FOUND without the account. */
    Mono<Outcome> setGrant(String repository, String username, RepoRole role, String actor);

    Mono<Outcome> removeGrant(String repository, String username, String actor);

    // --- robots ---

    /** TAKEN when the name is in use; NOT_FOUND when the namespace does not exist. */
    Mono<Outcome> createRobot(Robot robot, String actor);

    Mono<Robot> robot(String name);

    Flux<Robot> robots(String namespace);

    /** Changes a robot's description, permissions and expiry (not its name or secret). */
    Mono<Outcome> updateRobot(Robot robot, String actor);

    /** Replaces a robot's secret hash (a new secret, shown once); the old secret stops working. */
    Mono<Outcome> replaceRobotSecret(String name, String secretHash, String actor);

    Mono<Outcome> deleteRobot(String name, String actor);

    /** Records that the robot got a registry token at {@code at} (not audited: it is use, not change). */
    Mono<Void> robotUsed(String name, Instant at);

    // --- accounts, as an admin manages them ---

    /** Accounts by name, after {@code last} when not null. */
    Mono<List<AccountStore.Account>> accounts(String last, int n);

    /** Disables or re-enables an account; NOT_FOUND when missing. */
    Mono<Outcome> setDisabled(String username, boolean disabled, String actor);

    /**
     * Replaces an account's password hash (an admin's reset or the user's own change); with
     * {@code endSessions} also deletes its sessions, so other browsers sign in again.
     */
    Mono<Outcome> setPasswordHash(String username, String passwordHash, boolean endSessions, String actor);

    /**
     * Deletes an account with its credentials, memberships, grants and robots. HOLDS_REPOSITORIES
     * when its namespace holds repositories and {@code withRepositories} is false; LAST_OWNER when
     * it is the last owner of an organization.
     */
    Mono<Outcome> deleteAccount(String username, boolean withRepositories, String actor);

    // --- repositories ---

    /**
     * Deletes every repository of {@code namespace}: its tags, manifests (with their content-graph
     * edges), blob links, grants and team listings, in one transaction per repository. Blobs no
     * longer referenced are left to garbage collection. Answers how many repositories went.
     */
    Mono<Long> deleteRepositories(String namespace, String actor);

    /** Sets an existing repository's visibility and records the change; NOT_FOUND when it does not exist. */
    Mono<Outcome> setVisibility(String repository, boolean isPublic, String actor);

    // --- access ---

    /** The facts of an access decision of {@code username} (null: anonymous or a robot) on {@code repository}. */
    Mono<AccessFacts> accessFacts(String username, String repository);

    /**
     * Up to {@code n} repository names after {@code last} (null: from the start), in byte order,
     * that the caller may pull: public ones; for {@code username}, those of its own namespace, of the
     * organizations it owns or administers, those its teams list or cover with "all repositories",
     * and those granted to it directly; for a robot ({@code robot} not null, {@code username} null),
     * those its permissions cover. {@code admin} lists all. Served by indexes, never a scan of
     * every repository.
     */
    default Mono<Page> catalogFor(String username, String robot, boolean admin, String last, int n) {
        return catalogFor(username, robot, admin, last, n, null);
    }

    /**
     * {@link #catalogFor(String, String, boolean, String, int)} of the names containing
     * {@code contains} (a plain substring, no wildcards; null: all names): the repository search of
     * the browsing API. On PostgreSQL served by a trigram index where the extension exists.
     */
    Mono<Page> catalogFor(String username, String robot, boolean admin, String last, int n, String contains);

    // --- audit ---

    /**
     * The audit entries of a namespace, newest first, before {@code beforeId} when not null;
     * {@code namespace} null: the registry-wide entries (those of {@code account.*} changes).
     */
    Mono<List<AuditEntry>> audit(String namespace, Long beforeId, int n);
}

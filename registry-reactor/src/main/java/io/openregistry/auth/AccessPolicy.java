package io.openregistry.auth;

import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.OrgStore.AccessFacts;
import io.openregistry.metadata.OrgStore.NamespaceKind;
import io.openregistry.metadata.OrgStore.OrgRole;
import io.openregistry.metadata.OrgStore.RepoRole;
import io.openregistry.oci.Names;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The one access decision: what a {@link Principal} may do with a repository, and which
 * management actions it may take. Nothing else in the registry decides; the management API asks
 * the methods here.
 *
 * <p>The role on a repository {@code ns/rest} is the strongest of:
 * <ul>
 *   <li>registry admin: ADMIN everywhere;</li>
 *   <li>the user whose name is {@code ns} (a user namespace): ADMIN;</li>
 *   <li>an owner or admin of the organization {@code ns}: ADMIN (a plain member gets nothing by itself);</li>
 *   <li>the strongest role of the user's teams in {@code ns} that list the repository or cover all of them;</li>
 *   <li>a direct grant to the user on the repository;</li>
 *   <li>a robot: its role, on the repositories of its own namespace that it lists (or all of them);
 *       never anywhere else.</li>
 * </ul>
 * Then: pull needs READ or a public repository (anyone, anonymous included); push needs WRITE and
 * an existing repository or the right to create it ({@link #mayCreate}); delete needs ADMIN. A
 * personal access token narrows the result to its own actions and repositories. The catalog
 * ({@code registry:catalog:*}) is granted to everyone whose credential may pull; what it lists is
 * filtered per caller by {@link OrgStore#catalogFor}.
 *
 * <p>A grant is the intersection of what was asked and what is allowed; what is not allowed is
 * left out silently, so that a missing grant never tells a private repository from a missing one.
 *
 * <p>The decision itself ({@link #allowed}, {@link #role}, {@link #mayCreate} and the management
 * methods taking facts or a role) is a pure function of the principal and the
 * {@link AccessFacts} {@link OrgStore#accessFacts} reads in one call per repository.
 */
public final class AccessPolicy {
    /** More scopes than any client sends; bounds the lookups one token request can cause. */
    static final int MAX_SCOPES = 64;
    private static final List<String> ALL_ACTIONS = List.of(Scope.PULL, Scope.PUSH, Scope.DELETE);
    private final OrgStore orgs;

    public AccessPolicy(OrgStore orgs) {
        this.orgs = Objects.requireNonNull(orgs, "orgs");
    }

    // --- registry tokens ---

    /** The grants for {@code requested}, in request order, without empty ones. */
    public Mono<List<AccessClaims.Access>> grant(Principal principal, List<Scope> requested) {
        List<Scope> scopes = requested.size() > MAX_SCOPES ? requested.subList(0, MAX_SCOPES) : requested;
        return Flux.fromIterable(scopes)
                .concatMap(scope -> grantOne(principal, scope))
                .collectList();
    }

    private Mono<AccessClaims.Access> grantOne(Principal principal, Scope scope) {
        if (scope.type().equals(Scope.REGISTRY) && scope.name().equals(Scope.CATALOG)) {
            return scope.actions().contains(Scope.ALL) && mayListCatalog(principal)
                    ? Mono.just(new AccessClaims.Access(Scope.REGISTRY, Scope.CATALOG, List.of(Scope.ALL)))
                    : Mono.empty();
        }
        if (!scope.type().equals(Scope.REPOSITORY) || !Names.isValidName(scope.name())) {
            return Mono.empty();
        }
        String name = scope.name();
        Set<String> wanted = new LinkedHashSet<>();
        for (String action : scope.actions()) {
            if (action.equals(Scope.ALL)) {
                wanted.addAll(ALL_ACTIONS);
            } else if (ALL_ACTIONS.contains(action)) {
                wanted.add(action);
            }
        }
        wanted.removeIf(action -> !principal.credentialAllows(action, name));
        if (wanted.isEmpty()) {
            return Mono.empty();
        }
        if (principal.admin()) {
            // a registry admin may everything its credential allows: no facts to read
            return Mono.just(new AccessClaims.Access(Scope.REPOSITORY, name, List.copyOf(wanted)));
        }
        return facts(principal, name).flatMap(facts -> {
            Set<String> allowed = allowed(principal, name, facts);
            List<String> granted = wanted.stream().filter(allowed::contains).toList();
            return granted.isEmpty() ? Mono.empty()
                    : Mono.just(new AccessClaims.Access(Scope.REPOSITORY, name, granted));
        });
    }

    /** The facts of a decision about {@code principal} and {@code repository}, in one call of the store. */
    public Mono<AccessFacts> facts(Principal principal, String repository) {
        String username = principal.anonymous() || principal.isRobot() ? null : principal.username();
        return orgs.accessFacts(username, repository);
    }

    /** The principal's role in the organization, or empty (anonymous, robots, non-members, no such organization). */
    public Mono<OrgRole> orgRole(Principal principal, String organization) {
        if (principal.anonymous() || principal.isRobot()) {
            return Mono.empty();
        }
        return orgs.member(organization, principal.username()).map(OrgStore.Member::role);
    }

    // --- the pure decision ---

    /**
     * What {@code principal} may do with {@code repository}, given its facts: a subset of
     * {@code pull}, {@code push}, {@code delete}, narrowed by the principal's credential (a PAT).
     */
    public static Set<String> allowed(Principal principal, String repository, AccessFacts facts) {
        RepoRole role = role(principal, repository, facts);
        Set<String> allowed = new LinkedHashSet<>();
        if (role != null || facts.repositoryPublic()) {
            allowed.add(Scope.PULL);
        }
        if (atLeast(role, RepoRole.WRITE) && (facts.repositoryExists() || mayCreate(principal, repository, facts))) {
            allowed.add(Scope.PUSH);
        }
        if (atLeast(role, RepoRole.ADMIN)) {
            allowed.add(Scope.DELETE);
        }
        allowed.removeIf(action -> !principal.credentialAllows(action, repository));
        return allowed;
    }

    /**
     * The principal's role on {@code repository} before any credential narrows it, or null for
     * none. A name without a namespace ({@code app}) is in nobody's namespace.
     */
    public static RepoRole role(Principal principal, String repository, AccessFacts facts) {
        if (principal.admin()) {
            return RepoRole.ADMIN;
        }
        if (principal.anonymous()) {
            return null;
        }
        String namespace = namespaceOf(repository);
        if (principal.isRobot()) {
            Principal.RobotRights robot = principal.robot();
            boolean covered = robot.namespace().equals(namespace)
                    && (robot.allRepositories() || robot.repositories().contains(repository));
            return covered ? robot.role() : null;
        }
        RepoRole role = null;
        if (namespace != null) {
            if (ownsUserNamespace(principal, namespace, facts)) {
                return RepoRole.ADMIN;
            }
            if (facts.namespaceKind() == NamespaceKind.ORGANIZATION) {
                if (atLeast(facts.orgRole(), OrgRole.ADMIN)) {
                    return RepoRole.ADMIN;
                }
                role = facts.teamRole();
            }
        }
        return stronger(role, facts.grantRole());
    }

    /**
     * Whether a push of {@code principal} may create {@code repository} (when it does not exist):
     * a registry admin anywhere; elsewhere only in a namespace someone owns: its user, an owner or
     * admin of its organization, a member of one of its teams that may create, a robot of the
     * namespace that may create. A direct grant or a team role alone never creates.
     */
    public static boolean mayCreate(Principal principal, String repository, AccessFacts facts) {
        if (principal.admin()) {
            return true;
        }
        String namespace = namespaceOf(repository);
        if (principal.anonymous() || namespace == null) {
            return false;
        }
        if (principal.isRobot()) {
            return principal.robot().namespace().equals(namespace) && principal.robot().mayCreate();
        }
        if (ownsUserNamespace(principal, namespace, facts)) {
            return true;
        }
        return facts.namespaceKind() == NamespaceKind.ORGANIZATION
                && (atLeast(facts.orgRole(), OrgRole.ADMIN) || facts.teamMayCreate());
    }

    /** Whether the principal's credential allows listing the catalog (what it lists is filtered per caller). */
    public static boolean mayListCatalog(Principal principal) {
        return principal.credentialAllows(Scope.PULL, null);
    }

    // --- management decisions (the account and management APIs; never robots, never a PAT) ---

    /**
     * Whether the principal may administer {@code repository}: see and change its visibility and
     * its direct grants. Needs the role ADMIN on it; robots and personal access tokens never.
     * A caller that may not should be answered as if the repository did not exist.
     */
    public static boolean mayAdministerRepository(Principal principal, String repository, AccessFacts facts) {
        return manages(principal) && atLeast(role(principal, repository, facts), RepoRole.ADMIN);
    }

    /** As {@link #mayAdministerRepository(Principal, String, AccessFacts)}, reading the facts. */
    public Mono<Boolean> mayAdministerRepository(Principal principal, String repository) {
        if (!manages(principal)) {
            return Mono.just(false);
        }
        return facts(principal, repository).map(f -> mayAdministerRepository(principal, repository, f));
    }

    /**
     * Whether the principal may see the organization (its name, members and teams in the API):
     * any member, or a registry admin. {@code role} is the principal's role in it, or null.
     */
    public static boolean maySeeOrganization(Principal principal, OrgRole role) {
        return manages(principal) && (principal.admin() || role != null);
    }

    /**
     * Whether the principal may manage the organization's members (other than owners), teams,
     * team members and repositories, robots, and read its audit log: an owner or admin of it, or a
     * registry admin. {@code role} is the principal's role in it, or null.
     */
    public static boolean mayManageOrganization(Principal principal, OrgRole role) {
        return manages(principal) && (principal.admin() || atLeast(role, OrgRole.ADMIN));
    }

    /**
     * Whether the principal may manage the owners of the organization (make someone an owner,
     * demote or remove an owner) and delete the organization: an owner, or a registry admin.
     */
    public static boolean mayManageOwners(Principal principal, OrgRole role) {
        return manages(principal) && (principal.admin() || role == OrgRole.OWNER);
    }

    /**
     * Whether the principal may manage the robots of {@code namespace}: for an organization as
     * {@link #mayManageOrganization}; for a user namespace, that user; a registry admin always.
     *
     * @param kind what owns the namespace (null: nothing, then only a registry admin)
     * @param role the principal's role in the organization, or null (ignored for a user namespace)
     */
    public static boolean mayManageRobots(Principal principal, String namespace, NamespaceKind kind, OrgRole role) {
        if (!manages(principal)) {
            return false;
        }
        if (principal.admin()) {
            return true;
        }
        if (kind == NamespaceKind.USER) {
            return namespace.equals(principal.username());
        }
        return kind == NamespaceKind.ORGANIZATION && atLeast(role, OrgRole.ADMIN);
    }

    /** Whether the principal administers the registry (accounts: list, disable, reset passwords, delete). */
    public static boolean mayAdministerRegistry(Principal principal) {
        return manages(principal) && principal.admin();
    }

    /** Only a signed-in account with all its rights manages anything: not anonymous, robots or PATs. */
    private static boolean manages(Principal principal) {
        return !principal.anonymous() && !principal.isRobot() && !principal.narrowed();
    }

    // --- helpers ---

    /** The namespace of a repository name (its first path component), or null for a name without one. */
    public static String namespaceOf(String repository) {
        int slash = repository.indexOf('/');
        return slash <= 0 ? null : repository.substring(0, slash);
    }

    /** The user namespace: the account of that name (the shared name space leaves no organization of it). */
    private static boolean ownsUserNamespace(Principal principal, String namespace, AccessFacts facts) {
        return namespace.equals(principal.username()) && facts.namespaceKind() != NamespaceKind.ORGANIZATION;
    }

    private static <E extends Enum<E>> boolean atLeast(E role, E minimum) {
        return role != null && role.compareTo(minimum) >= 0;
    }

    private static RepoRole stronger(RepoRole a, RepoRole b) {
        return a == null ? b : b == null || a.compareTo(b) >= 0 ? a : b;
    }
}

package io.openregistry.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.metadata.AccountStore.Account;
import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.OrgStore.AccessFacts;
import io.openregistry.metadata.OrgStore.NamespaceKind;
import io.openregistry.metadata.OrgStore.OrgRole;
import io.openregistry.metadata.OrgStore.RepoRole;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import reactor.core.publisher.Mono;

/**
 * Property-based tests of the one access decision: random worlds of users (some registry admins,
 * some disabled), organizations with members and roles, teams (role, listed repositories or all,
 * may create), direct grants, robots (in user and organization namespaces, some expired, some
 * listing repositories of other namespaces), public, private and missing repositories, and random
 * requests by anonymous callers, users, narrowed personal access tokens and robots. The answer of
 * {@link AccessPolicy} must equal a reference model written here as plain set logic over the world
 * (who is a reader, writer, admin of each repository, who may create in each namespace), which
 * shares no code with the policy.
 */
class AccessPolicyPropertyTest {
    static final List<String> USERS = List.of("u0", "u1", "u2", "u3");
    static final List<String> ORGS = List.of("o0", "o1");
    static final String FREE = "free";
    static final List<String> NAMESPACES = concat(USERS, ORGS, List.of(FREE));
    /** Each namespace's repositories, and names without a namespace (one equal to a user's, one to an organization's). */
    static final List<String> REPOS;
    static final List<String> ROBOTS;
    static final Instant NOW = Instant.parse("2026-11-30T07:00:00Z");
    static final List<String> ACTIONS = List.of(Scope.PULL, Scope.PUSH, Scope.DELETE);

    static {
        List<String> repos = new ArrayList<>();
        for (String ns : NAMESPACES) {
            repos.addAll(List.of(ns + "/r0", ns + "/r1", ns + "/a/b"));
        }
        repos.addAll(List.of("u0", "o0", "solo"));
        REPOS = List.copyOf(repos);
        List<String> robots = new ArrayList<>();
        for (String ns : concat(USERS, ORGS)) {
            robots.addAll(List.of(ns + "+b0", ns + "+b1"));
        }
        ROBOTS = List.copyOf(robots);
    }

    enum State { MISSING, PRIVATE, PUBLIC }

    record User(String name, boolean admin, boolean disabled) {}

    record Team(String org, RepoRole role, boolean all, Set<String> listed, boolean mayCreate, Set<String> members) {}

    record Robot(String name, String namespace, RepoRole role, boolean all, Set<String> listed, boolean mayCreate,
                 boolean expired) {}

    record Grant(String user, String repository, RepoRole role) {}

    /** The whole state of a registry as far as access goes. */
    record World(Map<String, User> users, Map<String, Map<String, OrgRole>> members, List<Team> teams,
                 List<Grant> grants, Map<String, Robot> robots, Map<String, State> repos) {
        boolean isUser(String ns) {
            return users.containsKey(ns);
        }

        boolean isOrg(String ns) {
            return members.containsKey(ns);
        }
    }

    /** Who asks: nobody, a user by password, a user's PAT, a robot (perhaps one that does not exist). */
    record Who(String kind, String name, Set<String> patActions, List<String> patRepos) {
        static final Who ANONYMOUS = new Who("anonymous", null, null, List.of());

        @Override
        public String toString() {
            return kind + (name == null ? "" : ":" + name) + (patActions == null ? "" : patActions + "" + patRepos);
        }
    }

    // --- generators ---

    @Provide
    Arbitrary<World> worlds() {
        Arbitrary<List<User>> users = Combinators.combine(
                        Arbitraries.frequency(Tuple.of(6, false), Tuple.of(1, true)),
                        Arbitraries.frequency(Tuple.of(5, false), Tuple.of(1, true)))
                .as((admin, disabled) -> new boolean[] {admin, disabled})
                .list().ofSize(USERS.size())
                .map(flags -> {
                    List<User> list = new ArrayList<>();
                    for (int i = 0; i < USERS.size(); i++) {
                        list.add(new User(USERS.get(i), flags.get(i)[0], flags.get(i)[1]));
                    }
                    return list;
                });
        Arbitrary<List<OrgRole>> memberRoles = Arbitraries.of(OrgRole.values()).injectNull(0.5)
                .list().ofSize(ORGS.size() * USERS.size());
        Arbitrary<List<Team>> teams = Arbitraries.of(ORGS).flatMap(org -> Combinators.combine(
                        Arbitraries.of(RepoRole.values()),
                        Arbitraries.frequency(Tuple.of(3, false), Tuple.of(1, true)),
                        Arbitraries.subsetOf(reposOf(org)),
                        Arbitraries.frequency(Tuple.of(3, false), Tuple.of(1, true)),
                        Arbitraries.subsetOf(USERS))
                .as((role, all, listed, mayCreate, members) -> new Team(org, role, all, listed, mayCreate, members)))
                .list().ofMaxSize(4);
        Arbitrary<List<Grant>> grants = Combinators.combine(Arbitraries.of(USERS), Arbitraries.of(REPOS),
                        Arbitraries.of(RepoRole.values()))
                .as(Grant::new).list().ofMaxSize(6);
        Arbitrary<List<Robot>> robots = Combinators.combine(
                        Arbitraries.of(RepoRole.values()),
                        Arbitraries.frequency(Tuple.of(3, false), Tuple.of(1, true)),
                        // mostly its own namespace's repositories, sometimes others' (which it must never reach)
                        Arbitraries.subsetOf(REPOS).ofMaxSize(4),
                        Arbitraries.of(false, true),
                        Arbitraries.frequency(Tuple.of(5, false), Tuple.of(1, true)),
                        Arbitraries.frequency(Tuple.of(4, true), Tuple.of(1, false)))
                .as((role, all, listed, mayCreate, expired, exists) -> exists
                        ? new Robot(null, null, role, all, listed, mayCreate, expired) : null)
                .list().ofSize(ROBOTS.size());
        Arbitrary<List<State>> states = Arbitraries.of(State.values()).list().ofSize(REPOS.size());
        return Combinators.combine(users, memberRoles, teams, grants, robots, states)
                .as(AccessPolicyPropertyTest::world);
    }

    private static World world(List<User> userList, List<OrgRole> memberRoles, List<Team> teams, List<Grant> grants,
                               List<Robot> robotList, List<State> states) {
        Map<String, User> users = new LinkedHashMap<>();
        userList.forEach(u -> users.put(u.name(), u));
        Map<String, Map<String, OrgRole>> members = new LinkedHashMap<>();
        for (int o = 0; o < ORGS.size(); o++) {
            Map<String, OrgRole> roles = new LinkedHashMap<>();
            for (int u = 0; u < USERS.size(); u++) {
                OrgRole role = memberRoles.get(o * USERS.size() + u);
                if (role != null) {
                    roles.put(USERS.get(u), role);
                }
            }
            members.put(ORGS.get(o), roles);
        }
        // a team member is a member of the organization (the store adds it so)
        for (Team t : teams) {
            for (String m : t.members()) {
                members.get(t.org()).putIfAbsent(m, OrgRole.MEMBER);
            }
        }
        Map<String, Robot> robots = new LinkedHashMap<>();
        for (int i = 0; i < ROBOTS.size(); i++) {
            Robot r = robotList.get(i);
            if (r != null) {
                String name = ROBOTS.get(i);
                String ns = name.substring(0, name.indexOf('+'));
                // most listings are of the robot's own namespace
                Set<String> listed = new LinkedHashSet<>(r.listed());
                listed.add(ns + "/r0");
                robots.put(name, new Robot(name, ns, r.role(), r.all(), listed, r.mayCreate(), r.expired()));
            }
        }
        Map<String, State> repos = new LinkedHashMap<>();
        for (int i = 0; i < REPOS.size(); i++) {
            repos.put(REPOS.get(i), states.get(i));
        }
        return new World(users, members, List.copyOf(teams), List.copyOf(grants), robots, repos);
    }

    @Provide
    Arbitrary<Who> callers() {
        Arbitrary<Set<String>> patActions = Arbitraries.subsetOf(ACTIONS).ofMinSize(1);
        Arbitrary<List<String>> patRepos = Arbitraries.frequency(Tuple.of(2, false), Tuple.of(1, true))
                .flatMap(limited -> limited ? Arbitraries.subsetOf(REPOS).ofMinSize(1).ofMaxSize(3)
                        .map(ArrayList::new) : Arbitraries.just(List.<String>of()));
        return Arbitraries.oneOf(
                Arbitraries.just(Who.ANONYMOUS),
                Arbitraries.of(USERS).map(u -> new Who("password", u, null, List.of())),
                Arbitraries.of(USERS).flatMap(u -> Combinators.combine(patActions, patRepos)
                        .as((a, r) -> new Who("pat", u, a, List.copyOf(r)))),
                Arbitraries.of(concat(ROBOTS, List.of("o0+ghost"))).map(r -> new Who("robot", r, null, List.of())));
    }

    @Provide
    Arbitrary<List<Scope>> requests() {
        Arbitrary<Scope> repository = Combinators.combine(Arbitraries.of(REPOS),
                        Arbitraries.subsetOf(List.of(Scope.PULL, Scope.PUSH, Scope.DELETE, Scope.ALL, "bogus")).ofMinSize(1)
                                .map(ArrayList::new).flatMap(l -> Arbitraries.shuffle(l)))
.as((name, actions) -> new Scope(Scope.REPOSITORY, name, actions));
        Arbitrary<Scope> other = Arbitraries.of(Scope.CATALOG_SCOPE, new Scope(Scope.REGISTRY, Scope.CATALOG,
                List.of(Scope.PULL)), Scope.repository("UPPER/case", Scope.PULL));
        return Arbitraries.frequencyOf(Tuple.of(6, repository), Tuple.of(1, other)).list().ofMinSize(1).ofMaxSize(4);
    }

    // --- the properties ---

    /** The pure decision, with the facts the world would answer, equals the reference for every repository. */
    @Property(tries = 2000)
    void decisionEqualsReferenceModel(@ForAll("worlds") World world, @ForAll("callers") Who who) {
        Principal principal = resolve(world, who);
        Set<String> refusedOrNot = referenceRefused(world, who) ? null : Set.of();
        assertThat(principal == null).as("refused at /token: %s", who).isEqualTo(refusedOrNot == null);
        Statistics.label("caller").collect(who.kind() + (principal == null ? " refused" : ""));
        if (principal == null) {
            return;
        }
        for (String repo : REPOS) {
            AccessFacts facts = facts(world, principal, repo);
            Set<String> expected = referenceAllowed(world, who, repo);
            assertThat(AccessPolicy.allowed(principal, repo, facts)).as("%s on %s in %s", who, repo, world)
                    .containsExactlyInAnyOrderElementsOf(expected);
            Statistics.label("allowed").collect(expected.size());
            assertThat(AccessPolicy.mayAdministerRepository(principal, repo, facts)).as("administer %s: %s", repo, who)
                    .isEqualTo(referenceAdministers(world, who, repo));
        }
        for (String org : ORGS) {
            OrgRole role = who.kind().equals("anonymous") || who.kind().equals("robot") ? null
                    : world.members().get(org).get(who.name());
            boolean user = who.kind().equals("password");
            boolean admin = user && world.users().get(who.name()).admin();
            assertThat(AccessPolicy.maySeeOrganization(principal, role)).isEqualTo(user && (admin || role != null));
            assertThat(AccessPolicy.mayManageOrganization(principal, role))
                    .isEqualTo(user && (admin || role == OrgRole.OWNER || role == OrgRole.ADMIN));
            assertThat(AccessPolicy.mayManageOwners(principal, role)).isEqualTo(user && (admin || role == OrgRole.OWNER));
        }
        for (String ns : NAMESPACES) {
            NamespaceKind kind = world.isUser(ns) ? NamespaceKind.USER : world.isOrg(ns) ? NamespaceKind.ORGANIZATION : null;
            OrgRole role = who.kind().equals("password") && world.isOrg(ns) ? world.members().get(ns).get(who.name()) : null;
            boolean user = who.kind().equals("password");
            boolean expected = user && (world.users().get(who.name()).admin() || ns.equals(who.name())
                    || role == OrgRole.OWNER || role == OrgRole.ADMIN);
            assertThat(AccessPolicy.mayManageRobots(principal, ns, kind, role)).as("robots of %s: %s", ns, who)
                    .isEqualTo(expected);
        }
    }

    /**
     * The token service's grants, with AccessPolicy reading the facts from a store answering from
     * the world, equal the reference's, scope by scope, with one facts query per repository scope at most.
     */
    @Property(tries = 1000)
    void grantsEqualReferenceModel(@ForAll("worlds") World world, @ForAll("callers") Who who,
                                   @ForAll("requests") List<Scope> scopes) {
        Principal principal = resolve(world, who);
        if (principal == null) {
            assertThat(referenceRefused(world, who)).isTrue();
            return;
        }
        AtomicInteger queries = new AtomicInteger();
        AccessPolicy policy = new AccessPolicy(store(world, queries));
        List<AccessClaims.Access> granted = policy.grant(principal, scopes).block(Duration.ofSeconds(10));
        List<AccessClaims.Access> expected = new ArrayList<>();
        for (Scope scope : scopes) {
            if (scope.type().equals(Scope.REGISTRY)) {
                if (scope.name().equals(Scope.CATALOG) && scope.actions().contains(Scope.ALL)
                        && referenceMayListCatalog(who)) {
                    expected.add(new AccessClaims.Access(Scope.REGISTRY, Scope.CATALOG, List.of(Scope.ALL)));
                }
                continue;
            }
            if (!REPOS.contains(scope.name())) {
                continue; // an invalid name: nothing
            }
            Set<String> wanted = new LinkedHashSet<>();
            for (String a : scope.actions()) {
                wanted.addAll(a.equals(Scope.ALL) ? ACTIONS : ACTIONS.contains(a) ? List.of(a) : List.of());
            }
            Set<String> allowed = referenceAllowed(world, who, scope.name());
            List<String> actions = wanted.stream().filter(allowed::contains).toList();
            if (!actions.isEmpty()) {
                expected.add(new AccessClaims.Access(Scope.REPOSITORY, scope.name(), actions));
            }
        }
        assertThat(granted).as("%s asking %s in %s", who, scopes, world).isEqualTo(expected);
        long repositoryScopes = scopes.stream().filter(s -> s.type().equals(Scope.REPOSITORY)).count();
        assertThat(queries.get()).isLessThanOrEqualTo((int) repositoryScopes);
    }

    // --- the production side: principal resolution and the facts a store would answer ---

    /** The Principal the token endpoint would get, or null when it refuses the credential (401). */
    private static Principal resolve(World world, Who who) {
        switch (who.kind()) {
            case "anonymous":
                return Principal.ANONYMOUS;
            case "password":
            case "pat": {
                User u = world.users().get(who.name());
                if (u.disabled()) {
                    return null; // Accounts refuses a disabled account's password, sessions and PATs
                }
                return who.kind().equals("pat") ? new Principal(u.name(), u.admin(), who.patActions(), who.patRepos())
                        : Principal.account(u.name(), u.admin());
            }
            default: {
                Robot r = world.robots().get(who.name());
                if (r == null) {
                    return null;
                }
                OrgStore.Robot robot = new OrgStore.Robot(r.name(), r.namespace(), "hash", null, r.role(), r.all(),
                        r.mayCreate(), List.copyOf(r.listed()),
                        r.expired() ? NOW.minusSeconds(1) : NOW.plus(Duration.ofDays(1)), null, "u0", NOW);
                NamespaceKind kind = world.isUser(r.namespace()) ? NamespaceKind.USER
                        : world.isOrg(r.namespace()) ? NamespaceKind.ORGANIZATION : null;
                User owner = world.users().get(r.namespace());
                Account account = owner == null ? null
                        : new Account(owner.name(), "hash", owner.admin(), NOW, owner.disabled());
                return Accounts.robotRefusal(robot, kind, account, NOW) == null ? Principal.ofRobot(robot) : null;
            }
        }
    }

    /** What {@code OrgStore.accessFacts} answers in this world (as its Javadoc defines it). */
    static AccessFacts facts(World world, String username, String repository) {
        String first = repository.contains("/") ? repository.substring(0, repository.indexOf('/')) : repository;
        NamespaceKind kind = world.isUser(first) ? NamespaceKind.USER
                : world.isOrg(first) ? NamespaceKind.ORGANIZATION : null;
        State state = world.repos().getOrDefault(repository, State.MISSING);
        OrgRole orgRole = null;
        RepoRole teamRole = null;
        boolean teamMayCreate = false;
        RepoRole grantRole = null;
        if (username != null) {
            if (kind == NamespaceKind.ORGANIZATION) {
                orgRole = world.members().get(first).get(username);
                for (Team t : world.teams()) {
                    if (t.org().equals(first) && t.members().contains(username)) {
                        if (t.all() || t.listed().contains(repository)) {
                            teamRole = teamRole == null || t.role().compareTo(teamRole) > 0 ? t.role() : teamRole;
                        }
                        teamMayCreate |= t.mayCreate();
                    }
                }
            }
            for (Grant g : world.grants()) {
                if (g.user().equals(username) && g.repository().equals(repository)) {
                    grantRole = g.role(); // the last grant wins, as setGrant replaces
                }
            }
        }
        return new AccessFacts(kind, state != State.MISSING, state == State.PUBLIC, orgRole, teamRole, teamMayCreate,
                grantRole);
    }

    private static AccessFacts facts(World world, Principal principal, String repository) {
        return facts(world, principal.isRobot() || principal.anonymous() ? null : principal.username(), repository);
    }

    /** An OrgStore answering only {@code accessFacts}, from the world (counting the calls). */
    private static OrgStore store(World world, AtomicInteger queries) {
        return (OrgStore) Proxy.newProxyInstance(OrgStore.class.getClassLoader(), new Class<?>[] {OrgStore.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("accessFacts")) {
                        queries.incrementAndGet();
                        return Mono.fromSupplier(() -> facts(world, (String) args[0], (String) args[1]));
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    // --- the reference model: set logic over the world, sharing nothing with the policy ---

    private static boolean referenceRefused(World world, Who who) {
        return switch (who.kind()) {
            case "anonymous" -> false;
            case "password", "pat" -> world.users().get(who.name()).disabled();
            default -> {
                Robot r = world.robots().get(who.name());
                yield r == null || r.expired()
                        || (world.isUser(r.namespace()) && world.users().get(r.namespace()).disabled());
            }
        };
    }

    private static String id(Who who) {
        return who.kind().equals("robot") ? "robot:" + who.name() : "user:" + who.name();
    }

    /** Everyone with at least {@code minimum} on {@code repo}, as "user:x" and "robot:ns+y". */
    private static Set<String> holders(World world, String repo, RepoRole minimum) {
        Set<String> ids = new HashSet<>();
        world.users().values().stream().filter(User::admin).forEach(u -> ids.add("user:" + u.name()));
        String ns = repo.contains("/") ? repo.substring(0, repo.indexOf('/')) : null;
        if (ns != null && world.isUser(ns)) {
            ids.add("user:" + ns);
        }
        if (ns != null && world.isOrg(ns)) {
            world.members().get(ns).forEach((user, role) -> {
                if (role == OrgRole.OWNER || role == OrgRole.ADMIN) {
                    ids.add("user:" + user);
                }
            });
            for (Team t : world.teams()) {
                if (t.org().equals(ns) && (t.all() || t.listed().contains(repo)) && t.role().ordinal() >= minimum.ordinal()) {
                    t.members().forEach(m -> ids.add("user:" + m));
                }
            }
        }
        Map<String, RepoRole> lastGrant = new HashMap<>();
        world.grants().stream().filter(g -> g.repository().equals(repo)).forEach(g -> lastGrant.put(g.user(), g.role()));
        lastGrant.forEach((user, role) -> {
            if (role.ordinal() >= minimum.ordinal()) {
                ids.add("user:" + user);
            }
        });
        for (Robot r : world.robots().values()) {
            if (r.namespace().equals(ns) && (r.all() || r.listed().contains(repo)) && r.role().ordinal() >= minimum.ordinal()) {
                ids.add("robot:" + r.name());
            }
        }
        return ids;
    }

    /** Who may create a new repository {@code repo} by pushing. */
    private static Set<String> creators(World world, String repo) {
        Set<String> ids = new HashSet<>();
        world.users().values().stream().filter(User::admin).forEach(u -> ids.add("user:" + u.name()));
        String ns = repo.contains("/") ? repo.substring(0, repo.indexOf('/')) : null;
        if (ns != null && world.isUser(ns)) {
            ids.add("user:" + ns);
        }
        if (ns != null && world.isOrg(ns)) {
            world.members().get(ns).forEach((user, role) -> {
                if (role != OrgRole.MEMBER) {
                    ids.add("user:" + user);
                }
            });
            world.teams().stream().filter(t -> t.org().equals(ns) && t.mayCreate())
                    .forEach(t -> t.members().forEach(m -> ids.add("user:" + m)));
        }
        world.robots().values().stream().filter(r -> r.namespace().equals(ns) && r.mayCreate())
                .forEach(r -> ids.add("robot:" + r.name()));
        return ids;
    }

    private static Set<String> referenceAllowed(World world, Who who, String repo) {
        Set<String> allowed = new HashSet<>();
        if (referenceRefused(world, who)) {
            return allowed;
        }
        State state = world.repos().get(repo);
        boolean anonymous = who.kind().equals("anonymous");
        String id = anonymous ? null : id(who);
        if (state == State.PUBLIC || (!anonymous && holders(world, repo, RepoRole.READ).contains(id))) {
            allowed.add(Scope.PULL);
        }
        if (!anonymous && holders(world, repo, RepoRole.WRITE).contains(id)
                && (state != State.MISSING || creators(world, repo).contains(id))) {
            allowed.add(Scope.PUSH);
        }
        if (!anonymous && holders(world, repo, RepoRole.ADMIN).contains(id)) {
            allowed.add(Scope.DELETE);
        }
        if (who.kind().equals("pat")) {
            Set<String> patAllows = new HashSet<>(who.patActions());
            if (patAllows.contains(Scope.PUSH)) {
                patAllows.add(Scope.PULL);
            }
            allowed.retainAll(patAllows);
            if (!who.patRepos().isEmpty() && !who.patRepos().contains(repo)) {
                allowed.clear();
            }
        }
        return allowed;
    }

    private static boolean referenceAdministers(World world, Who who, String repo) {
        return who.kind().equals("password") && !referenceRefused(world, who)
                && holders(world, repo, RepoRole.ADMIN).contains(id(who));
    }

    private static boolean referenceMayListCatalog(Who who) {
        if (!who.kind().equals("pat")) {
            return true;
        }
        return who.patRepos().isEmpty() && (who.patActions().contains(Scope.PULL) || who.patActions().contains(Scope.PUSH));
    }

    private static List<String> reposOf(String ns) {
        return REPOS.stream().filter(r -> r.startsWith(ns + "/")).toList();
    }

    @SafeVarargs
    private static <T> List<T> concat(List<T>... lists) {
        List<T> all = new ArrayList<>();
        for (List<T> l : lists) {
            all.addAll(l);
        }
        return List.copyOf(all);
    }
}

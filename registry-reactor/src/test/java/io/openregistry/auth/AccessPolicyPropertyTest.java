package io.openregistry.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.metadata.AccountStore.Account;
import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.OrgStore.AccessFacts;
import io.openregistry.metadata.OrgStore.NamespaceKind;
import io.openregistry.metadata.OrgStore.OrgRole;
import io.openregistry.metadata.OrgStore.RepoRole;
import java.lang.reflect.Proxy;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * Property-based tests of the one access decision, on a small seeded runner of its own
 * ({@link #forAll}; {@code -Dpolicy.seed=} replays a run, {@code -Dpolicy.scale=} multiplies the tries): random worlds of users (some registry admins,
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

    // --- the seeded runner and the generators ---

    /** The run's seed: {@code -Dpolicy.seed=<seed>} replays a run exactly (it is printed with every failure). */
    static final long SEED = Long.getLong("policy.seed", new SecureRandom().nextLong());
    /** {@code -Dpolicy.scale=<factor>} multiplies the tries for a deeper local run. */
    static final double SCALE = Double.parseDouble(System.getProperty("policy.scale", "1"));

    /** A property over one try's own Random. */
    @FunctionalInterface
    interface Try {
        void run(Random random, Map<String, Integer> statistics);
    }

    /**
     * Runs {@code tries} tries, each with a Random derived from the run's seed and the try's
     * number; a failure names the seed and the try. (Not jqwik: from 1.10 on its maintainer asks
     * that AI coding agents not use it; see api/FuzzRunner.)
     */
    static void forAll(String property, int tries, Try body) {
        Map<String, Integer> statistics = new java.util.TreeMap<>();
        int n = (int) Math.max(1, tries * SCALE);
        for (int i = 0; i < n; i++) {
            Random random = new Random(SEED * 31 + i * 0x9E3779B97F4A7C15L);
            try {
                body.run(random, statistics);
            } catch (AssertionError e) {
                throw new AssertionError(property + " failed at try " + i + " of run seed " + SEED
                        + " (replay: -Dpolicy.seed=" + SEED + "): " + e.getMessage(), e);
            }
        }
        System.out.println("[" + property + "] " + n + " tries, seed " + SEED + ": " + statistics);
    }

    private static boolean chance(Random random, int inverse) {
        return random.nextInt(inverse) == 0;
    }

    private static <T> T pick(Random random, List<T> from) {
        return from.get(random.nextInt(from.size()));
    }

    private static <T> T pick(Random random, T[] from) {
        return from[random.nextInt(from.length)];
    }

    /** Each element with probability {@code p}. */
    private static <T> Set<T> subset(Random random, List<T> from, double p) {
        Set<T> out = new LinkedHashSet<>();
        for (T t : from) {
            if (random.nextDouble() < p) {
                out.add(t);
            }
        }
        return out;
    }

    static World world(Random random) {
        List<User> users = new ArrayList<>();
        for (String u : USERS) {
            users.add(new User(u, chance(random, 7), chance(random, 6)));
        }
        List<OrgRole> memberRoles = new ArrayList<>();
        for (int i = 0; i < ORGS.size() * USERS.size(); i++) {
            memberRoles.add(random.nextBoolean() ? null : pick(random, OrgRole.values()));
        }
        List<Team> teams = new ArrayList<>();
        for (int i = random.nextInt(5); i > 0; i--) {
            String org = pick(random, ORGS);
            teams.add(new Team(org, pick(random, RepoRole.values()), chance(random, 4), subset(random, reposOf(org), 0.4),
                    chance(random, 4), subset(random, USERS, 0.4)));
        }
        List<Grant> grants = new ArrayList<>();
        for (int i = random.nextInt(7); i > 0; i--) {
            grants.add(new Grant(pick(random, USERS), pick(random, REPOS), pick(random, RepoRole.values())));
        }
        List<Robot> robots = new ArrayList<>();
        for (int i = 0; i < ROBOTS.size(); i++) {
            // mostly its own namespace's repositories (added in world()), sometimes others' (which it must never reach)
            Set<String> listed = new LinkedHashSet<>();
            for (int k = random.nextInt(5); k > 0; k--) {
                listed.add(pick(random, REPOS));
            }
            robots.add(chance(random, 5) ? null : new Robot(null, null, pick(random, RepoRole.values()), chance(random, 4),
                    listed, random.nextBoolean(), chance(random, 6)));
        }
        List<State> states = new ArrayList<>();
        for (int i = 0; i < REPOS.size(); i++) {
            states.add(pick(random, State.values()));
        }
        return world(users, memberRoles, teams, grants, robots, states);
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

    static Who caller(Random random) {
        switch (random.nextInt(4)) {
            case 0:
                return Who.ANONYMOUS;
            case 1:
                return new Who("password", pick(random, USERS), null, List.of());
            case 2: {
                Set<String> actions = subset(random, ACTIONS, 0.5);
                if (actions.isEmpty()) {
                    actions.add(pick(random, ACTIONS));
                }
                List<String> repos = new ArrayList<>();
                if (chance(random, 3)) {
                    for (int k = 1 + random.nextInt(3); k > 0; k--) {
                        String repo = pick(random, REPOS);
                        if (!repos.contains(repo)) {
                            repos.add(repo);
                        }
                    }
                }
                return new Who("pat", pick(random, USERS), actions, repos);
            }
            default:
                return new Who("robot", chance(random, 14) ? "o0+ghost" : pick(random, ROBOTS), null, List.of());
        }
    }

    static List<Scope> requests(Random random) {
        List<Scope> scopes = new ArrayList<>();
        for (int i = 1 + random.nextInt(4); i > 0; i--) {
            if (chance(random, 7)) {
                scopes.add(pick(random, List.of(Scope.CATALOG_SCOPE,
                        new Scope(Scope.REGISTRY, Scope.CATALOG, List.of(Scope.PULL)), Scope.repository("UPPER/case", Scope.PULL))));
            } else {
                List<String> actions = new ArrayList<>(subset(random, List.of(Scope.PULL, Scope.PUSH, Scope.DELETE, Scope.ALL,
                        "bogus"), 0.4));
                if (actions.isEmpty()) {
                    actions.add(Scope.PULL);
                }
                java.util.Collections.shuffle(actions, random);
                scopes.add(new Scope(Scope.REPOSITORY, pick(random, REPOS), actions));
            }
        }
        return scopes;
    }

    // --- the properties ---

    /** The pure decision, with the facts the world would answer, equals the reference for every repository. */
    @Test
    void decisionEqualsReferenceModel() {
        forAll("decision = reference", 2000, (random, statistics) -> decision(world(random), caller(random), statistics));
    }

    private static void decision(World world, Who who, Map<String, Integer> statistics) {
        Principal principal = resolve(world, who);
        Set<String> refusedOrNot = referenceRefused(world, who) ? null : Set.of();
        assertThat(principal == null).as("refused at /token: %s", who).isEqualTo(refusedOrNot == null);
        statistics.merge("caller " + who.kind() + (principal == null ? " refused" : ""), 1, Integer::sum);
        if (principal == null) {
            return;
        }
        for (String repo : REPOS) {
            AccessFacts facts = facts(world, principal, repo);
            Set<String> expected = referenceAllowed(world, who, repo);
            assertThat(AccessPolicy.allowed(principal, repo, facts)).as("%s on %s in %s", who, repo, world)
                    .containsExactlyInAnyOrderElementsOf(expected);
            statistics.merge("allowed " + expected.size(), 1, Integer::sum);
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
    @Test
    void grantsEqualReferenceModel() {
        forAll("grants = reference", 3000, (random, statistics) -> grants(world(random), caller(random), requests(random),
                statistics));
    }

    private static void grants(World world, Who who, List<Scope> scopes, Map<String, Integer> statistics) {
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
        statistics.merge("granted scopes " + granted.size(), 1, Integer::sum);
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
        // a one-component name (u0, o0, solo) is in no namespace
        String first = repository.contains("/") ? repository.substring(0, repository.indexOf('/')) : null;
        NamespaceKind kind = first == null ? null : world.isUser(first) ? NamespaceKind.USER
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

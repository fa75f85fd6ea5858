package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.OrgStore.AccessFacts;
import io.openregistry.metadata.OrgStore.NamespaceKind;
import io.openregistry.metadata.OrgStore.OrgRole;
import io.openregistry.metadata.OrgStore.RepoRole;
import io.openregistry.metadata.Page;
import java.util.ArrayList;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * The two reads of Org mode that every request may cause: the facts of one access decision (one
 * statement, one round trip) and the catalog a caller may pull (one statement per page, after one
 * that finds the organizations a user covers whole).
 *
 * <p>The catalog is a union of sources, each of which is one index range read from {@code last}
 * for at most a page: public repositories ({@code repositories_public}), the repositories of each
 * whole namespace the caller covers ({@code repositories_namespace}: a namespace's names are
 * contiguous, all starting with {@code ns/}), and the repositories listed for the caller's teams,
 * robot or grants. The union is sorted and cut to a page; no statement reads every repository.
 */
final class OrgAccess {
    /** A role's strength, so that the strongest of several is a MAX. */
    private static final String RANK = "CASE t.role WHEN 'ADMIN' THEN 3 WHEN 'WRITE' THEN 2 ELSE 1 END";
    private static final RepoRole[] BY_RANK = {null, RepoRole.READ, RepoRole.WRITE, RepoRole.ADMIN};
    /** The user's teams in the namespace ($1 user, $2 namespace): a {@code team_members m JOIN teams t}. */
    private static final String TEAMS = " FROM team_members m JOIN teams t ON t.organization = m.organization"
            + " AND t.name = m.team WHERE m.username = $1 AND m.organization = $2";
    /** $1 user, $2 namespace, $3 repository. */
    private static final String FACTS = "SELECT"
            + " (SELECT kind FROM namespaces WHERE name = $2),"
            + " (SELECT is_public FROM repositories WHERE name = $3),"
            + " (SELECT role FROM org_members WHERE organization = $2 AND username = $1),"
            + " (SELECT MAX(" + RANK + ")" + TEAMS + " AND (t.all_repositories OR EXISTS (SELECT 1 FROM team_repositories l"
            + " WHERE l.organization = t.organization AND l.team = t.name AND l.repository = $3))),"
            + " (SELECT COUNT(*)" + TEAMS + " AND t.may_create),"
            + " (SELECT role FROM repository_grants WHERE repository = $3 AND username = $1)";

    /**
     * Public repositories after $2, a page ($3 rows). In these statements {@code @col} stands where
     * a search adds {@code AND col LIKE $k} to a source (see {@link #statement(Caller, int, boolean)}).
     */
    private static final String PUBLIC = "(SELECT name FROM repositories WHERE is_public AND name > $2 @name"
            + " ORDER BY name LIMIT $3)";
    /** The organizations whose every repository user $1 may pull: those it owns or administers, all-repository teams. */
    private static final String USER_ORGANIZATIONS = "SELECT organization FROM org_members WHERE username = $1"
            + " AND role IN ('OWNER', 'ADMIN')"
            + " UNION SELECT t.organization FROM team_members m JOIN teams t ON t.organization = m.organization"
            + " AND t.name = m.team WHERE m.username = $1 AND t.all_repositories";
    /** The existing repositories listed for user $1's teams (in each team's organization) and granted to it. */
    private static final String USER_LISTED = "(SELECT DISTINCT r.name FROM team_members m JOIN team_repositories l"
            + " ON l.organization = m.organization AND l.team = m.team"
            + " JOIN repositories r ON r.name = l.repository AND r.namespace = l.organization"
            + " WHERE m.username = $1 AND l.repository > $2 @r.name ORDER BY r.name LIMIT $3)"
            + " UNION (SELECT r.name FROM repository_grants g JOIN repositories r ON r.name = g.repository"
            + " WHERE g.username = $1 AND g.repository > $2 @r.name ORDER BY r.name LIMIT $3)";
    /**
     * Robot $1's repositories in its namespace $4: all of them when it has all repositories (a
     * test the database makes once), or those listed for it.
     */
    private static final String ROBOT = "SELECT name FROM (" + PUBLIC
            + " UNION (SELECT name FROM repositories WHERE namespace = $4 AND name > $2 @name"
            + " AND EXISTS (SELECT 1 FROM robots WHERE name = $1 AND all_repositories) ORDER BY name LIMIT $3)"
            + " UNION (SELECT l.repository FROM robot_repositories l JOIN repositories r ON r.name = l.repository"
            + " WHERE l.robot = $1 AND l.repository > $2 AND r.namespace = $4 @r.name ORDER BY l.repository LIMIT $3)"
            + ") c ORDER BY name LIMIT $3";

    private final Db db;

    OrgAccess(Db db) {
        this.db = db;
    }

    /** The namespace of a repository: its first path component, or null for a one-component name. */
    static String namespaceOf(String repository) {
        int slash = repository.indexOf('/');
        return slash > 0 ? repository.substring(0, slash) : null;
    }

    Mono<AccessFacts> facts(String username, String repository) {
        return db.query(FACTS, row -> {
            String kind = row.get(0, String.class);
            Boolean isPublic = row.get(1, Boolean.class);
            String orgRole = row.get(2, String.class);
            Number teamRank = (Number) row.get(3);
            Number mayCreate = (Number) row.get(4);
            String grant = row.get(5, String.class);
            return new AccessFacts(kind == null ? null : NamespaceKind.valueOf(kind), isPublic != null,
                    Boolean.TRUE.equals(isPublic), orgRole == null ? null : OrgRole.valueOf(orgRole),
                    teamRank == null ? null : BY_RANK[teamRank.intValue()],
                    mayCreate != null && mayCreate.longValue() > 0,
                    grant == null ? null : RepoRole.valueOf(grant));
        }, username, namespaceOf(repository), repository).single();
    }

    /** Who asks for a catalog: each has its own statement. */
    enum Caller { ADMIN, ANONYMOUS, USER, ROBOT }

    /**
     * For a user two statements, two round trips: the organizations it covers whole, then the page.
     * Each namespace is then a range of its own in the second statement, bound by value, so that
     * PostgreSQL plans it with that namespace's statistics: an ordered index scan cut at a page for
     * a large one. (One statement joining the namespaces, LATERAL, gets a plan for an average
     * namespace, which on PostgreSQL 14 reads a large one after {@code last} whole.)
     */
    Mono<Page> catalog(String username, String robot, boolean admin, String last, int n) {
        return catalog(username, robot, admin, last, n, null);
    }

    /**
     * As {@link #catalog(String, String, boolean, String, int)}, only names containing
     * {@code contains} when it is not null: each source of the union gets the LIKE, so each page
     * is still a range read of its index, or, on PostgreSQL, the trigram index of V15 where the
     * planner finds that cheaper (a rare substring).
     */
    Mono<Page> catalog(String username, String robot, boolean admin, String last, int n, String contains) {
        int limit = Math.max(0, n);
        String after = last == null ? "" : last;
        boolean search = contains != null;
        if (admin || (robot == null && username == null)) {
            List<Object> args = new ArrayList<>(List.of(after, limit + 1L));
            if (search) {
                args.add(Sql.containing(contains));
            }
            return Sql.page(db.query(statement(admin ? Caller.ADMIN : Caller.ANONYMOUS, 0, search),
                    row -> row.get(0, String.class), args.toArray()), limit);
        }
        if (robot != null) {
            int plus = robot.indexOf('+');
            String namespace = plus < 0 ? robot : robot.substring(0, plus);
            List<Object> args = new ArrayList<>(List.of(robot, after, limit + 1L, namespace));
            if (search) {
                args.add(Sql.containing(contains));
            }
            return Sql.page(db.query(statement(Caller.ROBOT, 0, search), row -> row.get(0, String.class),
                    args.toArray()), limit);
        }
        return db.query(USER_ORGANIZATIONS, row -> row.get(0, String.class), username)
                .collectList()
                .flatMap(organizations -> {
                    List<Object> args = new ArrayList<>(List.of(username, after, limit + 1L));
                    args.addAll(covered(username, organizations, after));
                    int namespaces = args.size() - 3;
                    if (search) {
                        args.add(Sql.containing(contains));
                    }
                    return Sql.page(db.query(statement(Caller.USER, namespaces, search),
                            row -> row.get(0, String.class), args.toArray()), limit);
                });
    }

    /**
     * The user's own namespace and {@code organizations}, sorted, without those whose every name
     * sorts before {@code after} ({@code ns/…} sorts below {@code ns0}: '0' follows '/').
     */
    static List<String> covered(String username, List<String> organizations, String after) {
        List<String> namespaces = new ArrayList<>(organizations);
        namespaces.add(username);
        return namespaces.stream().distinct().sorted().filter(ns -> (ns + "0").compareTo(after) > 0).toList();
    }

    /**
     * The catalog statement for a caller: for an admin and an anonymous caller $1 = last, $2 = a
     * page's rows; for a user $1 = its name, $2 = last, $3 = a page's rows and $4… the
     * {@code namespaces} namespaces it covers whole; for a robot $1 = its name, $2 = last, $3 = a
     * page's rows, $4 = its namespace.
     */
    static String statement(Caller caller, int namespaces) {
        return statement(caller, namespaces, false);
    }

    /**
     * {@link #statement(Caller, int)}, with {@code search}: every source also requires its name to
     * be LIKE the parameter after all the others ($3 for an admin or anonymous caller, $5 for a
     * robot, $(4 + namespaces) for a user).
     */
    static String statement(Caller caller, int namespaces, boolean search) {
        String sql = switch (caller) {
            case ADMIN -> "SELECT name FROM repositories WHERE name > $1 @name ORDER BY name LIMIT $2";
            case ANONYMOUS -> "SELECT name FROM repositories WHERE is_public AND name > $1 @name ORDER BY name LIMIT $2";
            case ROBOT -> ROBOT;
            case USER -> {
                StringBuilder s = new StringBuilder("SELECT name FROM (").append(PUBLIC).append(" UNION ").append(USER_LISTED);
                for (int i = 0; i < namespaces; i++) {
                    s.append(" UNION (SELECT name FROM repositories WHERE namespace = $").append(4 + i)
                            .append(" AND name > $2 @name ORDER BY name LIMIT $3)");
                }
                yield s.append(") c ORDER BY name LIMIT $3").toString();
            }
        };
        int like = switch (caller) {
            case ADMIN, ANONYMOUS -> 3;
            case ROBOT -> 5;
            case USER -> 4 + namespaces;
        };
        return sql.replaceAll(" @(r\\.name|name)", search ? " AND $1 LIKE \\$" + like : "");
    }

    /** The statement of {@link #facts}: $1 = user, $2 = namespace, $3 = repository. */
    static String factsStatement() {
        return FACTS;
    }

    /** The statement of the organizations a user covers whole ($1 = user). */
    static String organizationsStatement() {
        return USER_ORGANIZATIONS;
    }
}

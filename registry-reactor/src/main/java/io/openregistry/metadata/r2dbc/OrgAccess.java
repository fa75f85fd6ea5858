package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.OrgStore.AccessFacts;
import io.openregistry.metadata.OrgStore.NamespaceKind;
import io.openregistry.metadata.OrgStore.OrgRole;
import io.openregistry.metadata.OrgStore.RepoRole;
import io.openregistry.metadata.Page;
import reactor.core.publisher.Mono;

/**
 * The two reads of Org mode that every request may cause: the facts of one access decision (one
 * statement, one round trip) and the catalog a caller may pull (one statement per page).
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

    /** Public repositories after $2, a page ($3 rows). */
    private static final String PUBLIC = "(SELECT name FROM repositories WHERE is_public AND name > $2"
            + " ORDER BY name LIMIT $3)";
    /** The namespaces whose every repository user $1 may pull: its own, organizations it administers, all-repository teams. */
    private static final String USER_NAMESPACES = "SELECT username AS ns FROM accounts WHERE username = $1"
            + " UNION SELECT organization FROM org_members WHERE username = $1 AND role IN ('OWNER', 'ADMIN')"
            + " UNION SELECT t.organization FROM team_members m JOIN teams t ON t.organization = m.organization"
            + " AND t.name = m.team WHERE m.username = $1 AND t.all_repositories";
    /** The existing repositories listed for user $1's teams (in each team's organization) and granted to it. */
    private static final String USER_LISTED = "(SELECT DISTINCT r.name FROM team_members m JOIN team_repositories l"
            + " ON l.organization = m.organization AND l.team = m.team"
            + " JOIN repositories r ON r.name = l.repository AND r.namespace = l.organization"
            + " WHERE m.username = $1 AND l.repository > $2 ORDER BY r.name LIMIT $3)"
            + " UNION (SELECT r.name FROM repository_grants g JOIN repositories r ON r.name = g.repository"
            + " WHERE g.username = $1 AND g.repository > $2 ORDER BY r.name LIMIT $3)";
    private static final String ROBOT_NAMESPACES = "SELECT namespace AS ns FROM robots WHERE name = $1 AND all_repositories";
    /** The existing repositories listed for robot $1, in its own namespace only. */
    private static final String ROBOT_LISTED = "(SELECT r.name FROM robot_repositories l JOIN robots b ON b.name = l.robot"
            + " JOIN repositories r ON r.name = l.repository AND r.namespace = b.namespace"
            + " WHERE l.robot = $1 AND l.repository > $2 ORDER BY r.name LIMIT $3)";

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

    Mono<Page> catalog(String username, String robot, boolean admin, String last, int n) {
        int limit = Math.max(0, n);
        String after = last == null ? "" : last;
        if (admin || (robot == null && username == null)) {
            return Sql.page(db.query(statement(db.dialect, admin ? Caller.ADMIN : Caller.ANONYMOUS),
                    row -> row.get(0, String.class), after, limit + 1L), limit);
        }
        String sql = statement(db.dialect, robot != null ? Caller.ROBOT : Caller.USER);
        return Sql.page(db.query(sql, row -> row.get(0, String.class), robot != null ? robot : username, after,
                limit + 1L), limit);
    }

    /**
     * The catalog statement for a caller: for an admin and an anonymous caller $1 = last, $2 = a
     * page's rows; for a user or robot $1 = its name, $2 = last, $3 = a page's rows.
     */
    static String statement(Dialect dialect, Caller caller) {
        return switch (caller) {
            case ADMIN -> "SELECT name FROM repositories WHERE name > $1 ORDER BY name LIMIT $2";
            case ANONYMOUS -> "SELECT name FROM repositories WHERE is_public AND name > $1 ORDER BY name LIMIT $2";
            case USER -> union(dialect, USER_NAMESPACES, USER_LISTED);
            case ROBOT -> union(dialect, ROBOT_NAMESPACES, ROBOT_LISTED);
        };
    }

    /** The statement of {@link #facts}: $1 = user, $2 = namespace, $3 = repository. */
    static String factsStatement() {
        return FACTS;
    }

    /**
     * Public repositories, those of the namespaces {@code namespaces} selects (column {@code ns}),
     * and {@code listed}, after $2, one page ($3 rows) of each, then of the union.
     */
    private static String union(Dialect dialect, String namespaces, String listed) {
        String whole = dialect == Dialect.POSTGRESQL
                // one index range per namespace, each cut to a page
                ? "(SELECT x.name FROM (" + namespaces + ") s CROSS JOIN LATERAL (SELECT r.name FROM repositories r"
                        + " WHERE r.namespace = s.ns AND r.name > $2 ORDER BY r.name LIMIT $3) x)"
                // H2 has no LATERAL; it runs in-process, so reading the namespaces' ranges costs no round trips
                : "(SELECT name FROM repositories WHERE namespace IN (" + namespaces + ") AND name > $2"
                        + " ORDER BY name LIMIT $3)";
        return "SELECT name FROM (" + PUBLIC + " UNION " + whole + " UNION " + listed + ") c ORDER BY name LIMIT $3";
    }
}

package io.openregistry.metadata.r2dbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.config.Config;
import io.openregistry.metadata.PostgresSupport;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The catalog by caller and the access facts are served by indexes (OrgStore's contract: "never a
 * scan of every repository"): PostgreSQL's plans for them, on 38,000 repositories (fifty
 * organizations, 500 user namespaces and one organization of 30,000) with statistics gathered,
 * read the repositories through index ranges only. The plans are printed (the test's output) for
 * a reader to check.
 */
class OrgQueryPlanTest {
    private static final int REPOSITORIES = 6000;
    private static final int HUGE = 30000;
    private static PostgresSupport postgres;
    private static Connection jdbc;

    @BeforeAll
    static void populate() throws SQLException {
        postgres = PostgresSupport.start();
        Config.Database database = postgres.newDatabase(2);
        R2dbcMetadata.open(database).close(); // migrates
        String name = database.url().substring(database.url().lastIndexOf('/') + 1);
        jdbc = DriverManager.getConnection(postgres.jdbcUrl(name));
        try (Statement s = jdbc.createStatement()) {
            s.execute("INSERT INTO namespaces (name, kind) SELECT 'user' || g, 'USER' FROM generate_series(1, 500) g");
            s.execute("INSERT INTO accounts (username, password_hash, created_at) SELECT 'user' || g, 'h', now()"
                    + " FROM generate_series(1, 500) g");
            s.execute("INSERT INTO namespaces (name, kind) SELECT 'org' || g, 'ORGANIZATION' FROM generate_series(1, 50) g");
            s.execute("INSERT INTO organizations (name, created_at) SELECT 'org' || g, now() FROM generate_series(1, 50) g");
            // every user a member of five organizations, admin of one
            s.execute("INSERT INTO org_members (organization, username, role, added_at) SELECT 'org' || ((u + k * 7) % 50 + 1),"
                    + " 'user' || u, CASE WHEN k = 0 THEN 'ADMIN' ELSE 'MEMBER' END, now()"
                    + " FROM generate_series(1, 500) u, generate_series(0, 4) k");
            s.execute("INSERT INTO teams (organization, name, role, all_repositories, created_at) SELECT 'org' || g, t,"
                    + " 'READ', t = 'all', now() FROM generate_series(1, 50) g, (VALUES ('all'), ('some')) v(t)");
            s.execute("INSERT INTO team_members (organization, team, username) SELECT organization,"
                    + " CASE WHEN length(username) % 2 = 0 THEN 'all' ELSE 'some' END, username FROM org_members");
            s.execute("INSERT INTO repositories (name, is_public) SELECT 'org' || (g % 50 + 1) || '/app' || g, g % 20 = 0"
                    + " FROM generate_series(1, " + REPOSITORIES + ") g");
            s.execute("INSERT INTO repositories (name) SELECT 'user' || (g % 500 + 1) || '/tool' || g FROM generate_series(1, 2000) g");
            s.execute("INSERT INTO team_repositories (organization, team, repository) SELECT namespace, 'some', name"
                    + " FROM repositories WHERE namespace LIKE 'org%' AND length(name) % 3 = 0");
            s.execute("INSERT INTO repository_grants (repository, username, role, granted_at) SELECT name,"
                    + " 'user' || (length(name) * 13 % 500 + 1), 'READ', now() FROM repositories WHERE name LIKE '%7'");
            s.execute("INSERT INTO robots (name, namespace, secret_hash, role, all_repositories, created_at)"
                    + " SELECT 'org' || g || '+ci', 'org' || g, 'h', 'READ', g % 2 = 0, now() FROM generate_series(1, 50) g");
            s.execute("INSERT INTO robot_repositories (robot, repository) SELECT namespace || '+ci', name FROM repositories"
                    + " WHERE namespace LIKE 'org%' AND length(name) % 4 = 0");
            // one large organization, administered by user1
            s.execute("INSERT INTO namespaces (name, kind) VALUES ('huge', 'ORGANIZATION')");
            s.execute("INSERT INTO organizations (name, created_at) VALUES ('huge', now())");
            s.execute("INSERT INTO org_members (organization, username, role, added_at) VALUES ('huge', 'user1', 'ADMIN', now())");
            s.execute("INSERT INTO repositories (name) SELECT 'huge/r' || g FROM generate_series(1, " + HUGE + ") g");
            s.execute("ANALYZE");
        }
    }

    @AfterAll
    static void stop() throws SQLException {
        if (jdbc != null) {
            jdbc.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    /**
     * The plans of {@code sql} for the given SQL literals as $1, $2, …, both the one made for these
     * values and the generic one (which PostgreSQL may switch to for a prepared statement used
     * again, as the driver's statement cache does); printed for the record.
     */
    private static String plan(String sql, String types, String... literals) throws SQLException {
        return PreparedPlans.of(jdbc, "ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF", sql, types, literals);
    }

    /** The plan of the catalog page of {@code user} after {@code last} (a SQL literal), as the store would run it. */
    private static String userPlan(String user, String last) throws SQLException {
        List<String> organizations = new ArrayList<>();
        try (var st = jdbc.prepareStatement(OrgAccess.organizationsStatement().replace("$1", "?"))) {
            st.setString(1, user);
            st.setString(2, user);
            try (ResultSet rows = st.executeQuery()) {
                while (rows.next()) {
                    organizations.add(rows.getString(1));
                }
            }
        }
        List<String> namespaces = OrgAccess.covered(user, organizations, last.substring(1, last.length() - 1));
        List<String> literals = new ArrayList<>(List.of("'" + user + "'", last, "101"));
        namespaces.forEach(ns -> literals.add("'" + ns + "'"));
        return plan(OrgAccess.statement(OrgAccess.Caller.USER, namespaces.size()),
                "text, text, bigint" + ", text".repeat(namespaces.size()), literals.toArray(String[]::new));
    }

    @Test
    void theCatalogOfAUserReadsIndexRangesOnly() throws SQLException {
        for (String last : List.of("''", "'org3/app1003'")) {
            String plan = userPlan("user7", last);
            assertThat(plan).doesNotContain("Seq Scan on repositories");
            assertThat(plan).contains("repositories_namespace").contains("repositories_public");
        }
    }

    /** A namespace of 30,000 repositories is read a page at a time, not whole. */
    @Test
    void aLargeNamespaceIsReadOnePageAtATime() throws SQLException {
        String plan = userPlan("user1", "'huge/r2'");
        assertThat(plan).doesNotContain("Seq Scan on repositories");
        // no read of repositories yields more than a few pages' rows (the planner may read a small
        // namespace of a hundred whole and sort it; the large one it must cut at the page)
        java.util.regex.Pattern rows = java.util.regex.Pattern.compile("on repositories.*actual rows=(\\d+)");
        List<Integer> counts = plan.lines().map(rows::matcher).filter(java.util.regex.Matcher::find)
                .map(m -> Integer.parseInt(m.group(1))).toList();
        assertThat(counts).isNotEmpty().allSatisfy(count -> assertThat(count).isLessThan(1000));
    }

    @Test
    void theCatalogOfARobotAnAdminAndAnAnonymousCallerReadIndexRangesOnly() throws SQLException {
        for (String robot : List.of("org4", "org5")) {
            assertThat(plan(OrgAccess.statement(OrgAccess.Caller.ROBOT, 0), "text, text, bigint, text",
                    "'" + robot + "+ci'", "''", "101", "'" + robot + "'")).doesNotContain("Seq Scan on repositories");
        }
        assertThat(plan(OrgAccess.statement(OrgAccess.Caller.ADMIN, 0), "text, bigint",
                "'org2/'", "101")).doesNotContain("Seq Scan");
        assertThat(plan(OrgAccess.statement(OrgAccess.Caller.ANONYMOUS, 0), "text, bigint",
                "''", "101")).doesNotContain("Seq Scan").contains("repositories_public");
    }

    @Test
    void theAccessFactsAreLookupsByKey() throws SQLException {
        String plan = plan(OrgAccess.factsStatement(), "text, text, text", "'user7'", "'org8'", "'org8/app1007'");
        // (the planner may well read a table of a hundred teams whole: that is its choice to make)
        for (String table : List.of("repositories", "org_members", "team_members", "team_repositories", "repository_grants")) {
            assertThat(plan).doesNotContain("Seq Scan on " + table + " ");
        }
    }
}

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
 * Repository search on PostgreSQL with 100,000 repositories: migration V15 made the trigram index
 * (pg_trgm is in the embedded binaries), the planner uses it for a rare substring, and the store
 * answers exactly the expected names. The plans (EXPLAIN ANALYZE, for the values and generic) and
 * the timings are printed; nothing is asserted about time.
 */
class RepositorySearchPostgresTest {
    private static PostgresSupport postgres;
    private static Connection jdbc;
    private static R2dbcMetadata metadata;

    @BeforeAll
    static void populate() throws SQLException {
        postgres = PostgresSupport.start();
        Config.Database database = postgres.newDatabase(4);
        R2dbcMetadata.open(database).close(); // migrates
        String name = database.url().substring(database.url().lastIndexOf('/') + 1);
        jdbc = DriverManager.getConnection(postgres.jdbcUrl(name));
        try (Statement s = jdbc.createStatement()) {
            long start = System.nanoTime();
            s.execute(RepositorySearchScale.postgresInsert());
            long inserted = System.nanoTime();
            s.execute("ANALYZE");
            System.out.printf("PostgreSQL: %d repositories inserted (with the trigram index) in %d ms, ANALYZE %d ms%n",
                    RepositorySearchScale.REPOSITORIES, (inserted - start) / 1_000_000,
                    (System.nanoTime() - inserted) / 1_000_000);
        }
        metadata = R2dbcMetadata.open(database);
    }

    @AfterAll
    static void stop() throws SQLException {
        if (metadata != null) {
            metadata.close();
        }
        if (jdbc != null) {
            jdbc.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void theMigrationMadeTheTrigramIndex() throws SQLException {
        try (Statement s = jdbc.createStatement();
             ResultSet rows = s.executeQuery("SELECT indexdef FROM pg_indexes WHERE indexname = 'repositories_name_trgm'")) {
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(1)).contains("gin").contains("gin_trgm_ops");
        }
    }

    @Test
    void aRareSubstringIsFoundThroughTheTrigramIndex() throws SQLException {
        // an admin and an anonymous caller: one statement each
        String admin = plan(OrgAccess.statement(OrgAccess.Caller.ADMIN, 0, true), "text, bigint, text",
                "''", "51", "'%svc9999%'");
        assertThat(custom(admin)).contains("repositories_name_trgm").doesNotContain("Seq Scan");
        String anonymous = plan(OrgAccess.statement(OrgAccess.Caller.ANONYMOUS, 0, true), "text, bigint, text",
                "''", "51", "'%svc1234%'");
        assertThat(custom(anonymous)).contains("repositories_name_trgm").doesNotContain("Seq Scan");
        // a user: the public source through the trigram index, its own namespace by its range
        String user = plan(OrgAccess.statement(OrgAccess.Caller.USER, 1, true), "text, text, bigint, text, text",
                "'org7'", "''", "51", "'org7'", "'%svc1234%'");
        assertThat(custom(user)).contains("repositories_name_trgm").doesNotContain("Seq Scan on repositories");
    }

    /**
     * The driver reuses prepared statements, and after five runs PostgreSQL may plan a statement
     * generically (blind to the pattern): printed for the record, what it then runs for an admin
     * and an anonymous caller (an admin's generic plan is costed above the custom ones, so it
     * stays custom; an anonymous caller's generic plan walks the public names with the LIKE as a
     * filter, bounded by the number of public repositories).
     */
    @Test
    void printThePlansOfAReusedStatement() throws SQLException {
        for (String[] search : List.of(new String[] {OrgAccess.statement(OrgAccess.Caller.ADMIN, 0, true), "'%svc9999%'"},
                new String[] {OrgAccess.statement(OrgAccess.Caller.ANONYMOUS, 0, true), "'%svc1234%'"},
                new String[] {OrgAccess.statement(OrgAccess.Caller.ANONYMOUS, 0, true), "'%zzz%'"})) {
            List<String> lines = new ArrayList<>(List.of("-- the 7th run of a prepared statement (plan_cache_mode auto): "
                    + search[1]));
            try (Statement s = jdbc.createStatement()) {
                s.execute("DEALLOCATE ALL");
                s.execute("PREPARE reused(text, bigint, text) AS " + search[0]);
                for (int i = 0; i < 6; i++) {
                    s.executeQuery("EXECUTE reused('', 51, " + search[1] + ")").close();
                }
                try (ResultSet rows = s.executeQuery("EXPLAIN (ANALYZE, BUFFERS) EXECUTE reused('', 51, " + search[1] + ")")) {
                    while (rows.next()) {
                        lines.add(rows.getString(1));
                    }
                }
            }
            System.out.println(search[0] + "\n" + String.join("\n", lines));
        }
    }

    /**
     * A page of a repository of 20,000 tags, in push order from a cursor in the middle, reads the
     * index {@code tags_pushed} from the cursor for a page, not the repository's tags whole; in
     * name order with a search, the primary key's range.
     */
    @Test
    void aTagPageOfALargeRepositoryReadsOnePageOfTheIndex() throws SQLException {
        try (Statement s = jdbc.createStatement()) {
            s.execute("INSERT INTO repositories (name) VALUES ('big/tags')");
            s.execute("INSERT INTO manifests (repository, digest, media_type, size, content) VALUES ('big/tags',"
                    + " 'sha256:" + "a".repeat(64) + "', 'application/vnd.oci.image.manifest.v1+json', 2, '\\x7b7d')");
            s.execute("INSERT INTO tags (repository, name, digest, updated_at) SELECT 'big/tags', 'v' || g, 'sha256:"
                    + "a".repeat(64) + "', TIMESTAMPTZ '2026-01-01 00:00:00+00' + g * INTERVAL '1 second'"
                    + " FROM generate_series(1, 20000) g");
            s.execute("ANALYZE tags");
        }
        String pushed = plan(R2dbcBrowseStore.tagsStatement(false, io.openregistry.metadata.BrowseStore.TagOrder.PUSHED,
                        true, true), "text, timestamptz, text, bigint",
                "'big/tags'", "TIMESTAMPTZ '2026-01-01 03:00:00+00'", "'v10800'", "101");
        assertThat(custom(pushed)).contains("tags_pushed").doesNotContain("Seq Scan on tags")
                .doesNotContain("Rows Removed by Filter");
        // the cursor bounds the index scan: it starts at the cursor, not at the newest tag
        List<String> lines = custom(pushed).lines().toList();
        int scan = lines.indexOf(lines.stream().filter(l -> l.contains("using tags_pushed")).findFirst().orElseThrow());
        assertThat(lines.get(scan + 1)).contains("Index Cond").contains("updated_at");
        String named = plan(R2dbcBrowseStore.tagsStatement(true, io.openregistry.metadata.BrowseStore.TagOrder.NAME,
                        false, true), "text, text, text, bigint", "'big/tags'", "'%v1%'", "'v15'", "101");
        assertThat(custom(named)).doesNotContain("Seq Scan on tags");
    }

    @Test
    void theSearchFindsExactlyWhatTheCallerMayPull() {
        RepositorySearchScale.check(metadata.orgs(), "PostgreSQL 14 (embedded), through R2DBC");
    }

    /** The part of a {@link #plan} made for the values. */
    private static String custom(String plan) {
        return PreparedPlans.custom(plan);
    }

    /** The plans of {@code sql} for these literals as $1, $2, …: the one for the values, then the generic one. */
    private static String plan(String sql, String types, String... literals) throws SQLException {
        return PreparedPlans.of(jdbc, "ANALYZE, BUFFERS", sql, types, literals);
    }
}

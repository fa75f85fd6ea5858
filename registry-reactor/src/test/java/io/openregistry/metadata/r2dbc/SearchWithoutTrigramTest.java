package io.openregistry.metadata.r2dbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.config.Config;
import io.openregistry.metadata.PostgresSupport;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Migration V15 on a PostgreSQL where the registry's role may not create the pg_trgm extension (it
 * owns no database and has no CREATE on it, as on some managed servers): the migration still
 * succeeds, without the trigram index, and repository search answers the same through plain LIKE.
 */
class SearchWithoutTrigramTest {
    @Test
    void theMigrationSucceedsWithoutTheExtensionAndSearchStillWorks() throws SQLException {
        try (PostgresSupport postgres = PostgresSupport.start()) {
            String database = postgres.createDatabase();
            try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(database)); Statement s = c.createStatement()) {
                s.execute("CREATE ROLE registry LOGIN PASSWORD 'registry-password'");
                s.execute("GRANT ALL ON SCHEMA public TO registry");
                s.execute("REVOKE CREATE ON DATABASE " + database + " FROM PUBLIC");
            }
            R2dbcMetadata metadata = R2dbcMetadata.open(new Config.Database(postgres.r2dbcUrl(database), "registry",
                    "registry-password", 2));
            try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(database)); Statement s = c.createStatement()) {
                assertThat(count(s, "SELECT COUNT(*) FROM pg_extension WHERE extname = 'pg_trgm'")).isZero();
                assertThat(count(s, "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'repositories_name_trgm'")).isZero();
                assertThat(count(s, "SELECT COUNT(*) FROM flyway_schema_history WHERE version = '15' AND success")).isOne();
                assertThat(count(s, "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'tags_pushed'")).isOne();
                s.execute("INSERT INTO repositories (name, is_public) VALUES ('acme/search-me', true), ('acme/other', true),"
                        + " ('bob/search_me', false)");
            }
            assertThat(metadata.orgs().catalogFor(null, null, false, null, 10, "search").block(Duration.ofSeconds(30))
                    .items()).isEqualTo(List.of("acme/search-me"));
            assertThat(metadata.orgs().catalogFor(null, null, true, null, 10, "search_").block(Duration.ofSeconds(30))
                    .items()).isEqualTo(List.of("bob/search_me"));
            metadata.close();
        }
    }

    private static long count(Statement s, String sql) throws SQLException {
        try (ResultSet rows = s.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}

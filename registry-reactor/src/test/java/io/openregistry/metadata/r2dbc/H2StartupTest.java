package io.openregistry.metadata.r2dbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.config.Config;
import io.r2dbc.spi.Connection;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/**
 * Opening a new H2 database at start: Flyway's migration, the start-up cleanup and the pool all
 * use one open database. H2 closes a database when its last connection closes and compacts the
 * file then (with fsyncs), so each close and reopen in between cost start-up time.
 */
class H2StartupTest {
    @TempDir
    Path dir;

    @Test
    void migrationCleanupAndPoolShareOneOpenDatabase() {
        Config.Database cfg = new Config.Database("r2dbc:h2:file:///" + dir.toAbsolutePath() + "/metadata", null, null, 2);
        try (R2dbcMetadata meta = R2dbcMetadata.open(cfg)) {
            // H2 numbers the sessions of an open database from 1; a database reopened for the pool
            // would give the pool's connection one of the first numbers again, while Flyway's
            // connections, the cleanup's and the start-up connection came before it in one database
            assertThat(query(meta, "SELECT SESSION_ID()", Integer.class)).isGreaterThan(3);
            // the durability setting of prepareH2 holds on the pool's connection (WRITE_DELAY 0:
            // a commit is in the file when it returns)
            assertThat(query(meta, "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'WRITE_DELAY'",
                    String.class)).isEqualTo("0");
            // and the schema is there
            assertThat(query(meta, "SELECT COUNT(*) FROM manifests", Long.class)).isZero();
        }
    }

    private static <T> T query(R2dbcMetadata meta, String sql, Class<T> type) {
        return Mono.usingWhen(meta.pool().create(),
                        (Connection c) -> Mono.from(c.createStatement(sql).execute())
                                .flatMap(r -> Mono.from(r.map((row, m) -> row.get(0, type)))),
                        Connection::close)
                .block(Duration.ofSeconds(30));
    }
}

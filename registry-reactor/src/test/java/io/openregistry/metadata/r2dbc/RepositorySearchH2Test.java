package io.openregistry.metadata.r2dbc;

import io.openregistry.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Repository search on H2 with the same 100,000 repositories as {@link RepositorySearchPostgresTest}:
 * plain LIKE (H2 has no substring index), the same exact answers; timings printed.
 */
class RepositorySearchH2Test {
    private static Path dir;
    private static R2dbcMetadata metadata;

    @BeforeAll
    static void populate() throws Exception {
        dir = Files.createTempDirectory("search-h2");
        Config.Database database = new Config.Database("r2dbc:h2:file:///" + dir.resolve("db"), null, null, 4);
        R2dbcMetadata.open(database).close(); // migrates
        try (Connection c = DriverManager.getConnection(R2dbcUrls.jdbcUrl(database.url()), "sa", "");
             Statement s = c.createStatement()) {
            long start = System.nanoTime();
            s.execute(RepositorySearchScale.h2Insert());
            System.out.printf("H2: %d repositories inserted in %d ms%n", RepositorySearchScale.REPOSITORIES,
                    (System.nanoTime() - start) / 1_000_000);
        }
        metadata = R2dbcMetadata.open(database);
    }

    @AfterAll
    static void stop() {
        if (metadata != null) {
            metadata.close();
        }
        io.openregistry.RegistryServer.deleteTree(dir);
    }

    @Test
    void theSearchFindsExactlyWhatTheCallerMayPull() {
        RepositorySearchScale.check(metadata.orgs(), "H2 (file), through R2DBC");
    }
}

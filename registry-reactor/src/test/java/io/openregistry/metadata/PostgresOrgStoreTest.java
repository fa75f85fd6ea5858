package io.openregistry.metadata;

import io.openregistry.config.Config;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The Org mode contract on a real PostgreSQL server, one per class, a fresh database per test. */
class PostgresOrgStoreTest extends OrgStoreContract {
    private static PostgresSupport postgres;

    @BeforeAll
    static void startPostgres() {
        postgres = PostgresSupport.start();
    }

    @AfterAll
    static void stopPostgres() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Override
    protected Config.Database newDatabase() {
        return postgres.newDatabase(POOL_SIZE);
    }
}

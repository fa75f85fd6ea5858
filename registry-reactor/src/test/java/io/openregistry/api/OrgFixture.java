package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.RegistryServer;
import io.openregistry.config.Config;
import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.r2dbc.R2dbcMetadata;
import java.time.Duration;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The running registry's database, opened a second time by the test (the same H2 file in this
 * JVM, or the same PostgreSQL), to set up organizations, teams, grants and robots directly through
 * {@link OrgStore} where no HTTP API does it (yet).
 */
final class OrgFixture implements AutoCloseable {
    final R2dbcMetadata metadata;
    final OrgStore orgs;

    private OrgFixture(R2dbcMetadata metadata) {
        this.metadata = metadata;
        this.orgs = metadata.orgs();
    }

    static OrgFixture of(RegistryServer server) {
        Config.Database db = server.postgres() != null
                ? new Config.Database("r2dbc:postgresql://localhost:" + server.postgres().getPort() + "/postgres",
                        "postgres", "postgres", 4)
                : new Config.Database("r2dbc:h2:file:///" + server.dataDir().resolve("db/registry"), null, null, 4);
        return new OrgFixture(R2dbcMetadata.open(db));
    }

    /** Waits for {@code mono} off the test thread's own context (BlockHound is on in the registry's threads). */
    static <T> T await(Mono<T> mono) {
        return mono.subscribeOn(Schedulers.boundedElastic()).block(Duration.ofSeconds(60));
    }

    /** Runs a change and asserts it was done. */
    static void done(Mono<OrgStore.Outcome> change) {
        assertThat(await(change)).isEqualTo(OrgStore.Outcome.DONE);
    }

    @Override
    public void close() {
        metadata.close();
    }
}

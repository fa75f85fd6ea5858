package io.openregistry.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.config.Config;
import io.openregistry.metadata.r2dbc.R2dbcMetadata;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** The metadata contract on the embedded default: an H2 file database in a temporary directory. */
class H2MetadataTest extends MetadataStoreContract {
    @TempDir
    Path dir;

    @Override
    protected Config.Database newDatabase() {
        return database("");
    }

    private Config.Database database(String query) {
        // Four slashes: r2dbc-h2 reads "file://" + an absolute path.
        return new Config.Database("r2dbc:h2:file:///" + dir.toAbsolutePath() + "/metadata" + query,
                null, null, POOL_SIZE);
    }

    /**
     * H2 works on the calling thread, and BlockHound does not see most of what it does (file
     * channels, its own locks), so check directly that results come from a thread that may block
     * even when the caller is on a non-blocking one.
     */
    @Test
    void h2WorkLeavesNonBlockingThreads() {
        Boolean offLoop = Mono.defer(() -> meta.repositories().exists("x"))
                .map(exists -> !Schedulers.isInNonBlockingThread())
                .subscribeOn(Schedulers.parallel())
                .block();
        assertThat(offLoop).isTrue();
        Boolean offLoopInTransaction = Mono.defer(() -> meta.manifests().put(new ManifestRecord("r",
                        digest("m"), "application/json", new byte[] {1}, null, null, null), "t"))
                .then(Mono.fromCallable(() -> !Schedulers.isInNonBlockingThread()))
                .subscribeOn(Schedulers.parallel())
                .block();
        assertThat(offLoopInTransaction).isTrue();
    }

    /** r2dbc-h2 settings in {@code options=} must reach Flyway's JDBC URL in a form JDBC H2 accepts. */
    @Test
    void h2SettingsInTheUrlReachBothDrivers() {
        meta.close();
        meta = R2dbcMetadata.open(database("?options=LOCK_TIMEOUT=5000;DB_CLOSE_DELAY=0"));
        assertThat(await(meta.repositories().exists("x"))).isFalse();
    }

    /**
     * One process holds an H2 file at a time, so a lease found at start is from a run that ended
     * (perhaps killed): it must not make the client wait out the lease time.
     */
    @Test
    void leasesOfALastRunAreReleasedAtStart() {
        await(meta.uploads().create("u-1", "r"));
        assertThat(await(meta.uploads().claim("u-1", "r", "dead-process", Duration.ofHours(1)))).isNotNull();
        assertThat(await(meta.uploads().claim("u-1", "r", "same-run", Duration.ofHours(1)))).isNull();
        meta.close();
        meta = R2dbcMetadata.open(newDatabase());
        UploadRecord claimed = await(meta.uploads().claim("u-1", "r", "next-run", Duration.ofHours(1)));
        assertThat(claimed).isNotNull();
        assertThat(claimed.id()).isEqualTo("u-1");
    }
}

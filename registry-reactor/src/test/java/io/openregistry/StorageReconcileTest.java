package io.openregistry;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.openregistry.config.Config;
import io.openregistry.maintenance.Reconciler;
import io.openregistry.metadata.r2dbc.R2dbcMetadata;
import io.openregistry.oci.Digest;
import io.openregistry.storage.BackendRouter;
import io.openregistry.storage.fs.FilesystemBlobStore;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * {@code openregistry storage reconcile} against the real filesystem store and database: an old
 * file no row names is removed and a pushed blob kept; a file whose digest a commit is committing
 * (a live intent) is kept; a file that is not of the store's layout is never touched; a staged
 * upload without a session is removed and one with a session kept; a dry run removes nothing and
 * reports the same; the grace period keeps young files.
 */
class StorageReconcileTest {
    private static final FileTime OLD = FileTime.from(Instant.now().minus(Duration.ofDays(3)));
    private StorageBackends backends;

    @BeforeEach
    void start() {
        backends = new StorageBackends(null, false);
    }

    @AfterEach
    void stop() throws Exception {
        backends.close();
    }

    /**
     * On H2 and on PostgreSQL. The commit in progress only on PostgreSQL: an H2 file is open in one
     * process at a time, and opening it drops every intent (their commits ended with that process).
     */
    @ParameterizedTest(name = "postgres={0}")
    @ValueSource(booleans = {false, true})
    void unnamedFilesAndSessionlessUploadsAreRemovedNamedOnesKept(boolean postgres) throws Exception {
        if (postgres) {
            backends.close();
            backends = new StorageBackends(null, true);
        }
        byte[] pushed = StorageBackends.random(10_000);
        Config config = backends.config("filesystem", false, false);
        String session;
        try (Registry fs = Registry.start(config)) {
            assertThat(backends.push(fs, "app", pushed)).isEqualTo(201);
            HttpResponse<byte[]> post = backends.send(fs, "POST", "/v2/app/blobs/uploads/", null);
            assertThat(post.statusCode()).isEqualTo(202);
            String location = post.headers().firstValue("Location").orElseThrow();
            session = location.substring(location.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
            assertThat(backends.send(fs, "PATCH", location.replaceFirst("^https?://[^/]+", ""), new byte[] {1, 2, 3},
                    "Content-Type", "application/octet-stream").statusCode()).isEqualTo(202);
        }
        Path named = backends.file(StorageBackends.digest(pushed));
        Files.setLastModifiedTime(named, OLD);
        byte[] orphan = StorageBackends.random(5_000);
        Path unnamed = plant(StorageBackends.digest(orphan), orphan);
        byte[] committing = StorageBackends.random(3_000);
        Path intended = postgres ? plant(StorageBackends.digest(committing), committing) : named;
        Path foreign = backends.dir.resolve("storage/blobs/notes.txt");
        Files.writeString(foreign, "not the registry's");
        Files.setLastModifiedTime(foreign, OLD);
        Path uploads = backends.dir.resolve("storage/uploads");
        Path live = uploads.resolve(session);
        assertThat(live).exists();
        Files.setLastModifiedTime(live, OLD);
        Path abandoned = uploads.resolve("abandoned-upload");
        Files.write(abandoned, new byte[700]);
        Files.setLastModifiedTime(abandoned, OLD);
        if (postgres) {
            try (R2dbcMetadata metadata = R2dbcMetadata.open(config.database())) {
                assertThat(metadata.blobs().intend(Digest.parse(StorageBackends.digest(committing)), "test-commit",
                        Duration.ofMinutes(10)).block()).isTrue();
            }
        }

        StorageScrubTest.Result dry = StorageScrubTest.run(config, "reconcile", "--dry-run");
        assertThat(dry.status()).as(dry.out() + dry.err()).isZero();
        assertThat(dry.out()).contains("would remove blob filesystem " + location(orphan) + " (5000 bytes)")
                .contains("would remove staged upload abandoned-upload (700 bytes)")
                .contains("1 unnamed blobs (5000 bytes), 1 staged uploads without a session (700 bytes)")
                .doesNotContain(location(pushed)).doesNotContain(location(committing)).doesNotContain(session);
        assertThat(List.of(named, unnamed, intended, foreign, live, abandoned)).allMatch(Files::exists);

        StorageScrubTest.Result run = StorageScrubTest.run(config, "reconcile");
        assertThat(run.status()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("removed blob filesystem " + location(orphan) + " (5000 bytes)")
                .contains("removed staged upload abandoned-upload (700 bytes)")
                .contains("1 unnamed blobs (5000 bytes), 1 staged uploads without a session (700 bytes), " + (postgres ? 2 : 1) + " kept, 0 failed");
        assertThat(unnamed).doesNotExist();
        assertThat(abandoned).doesNotExist();
        assertThat(List.of(named, intended, foreign, live)).allMatch(Files::exists);
        // nothing parked aside is left behind
        try (var aside = Files.list(backends.dir.resolve("storage/reconcile"))) {
            assertThat(aside).isEmpty();
        }
        try (Registry fs = Registry.start(config)) {
            assertThat(backends.get(fs, "app", StorageBackends.digest(pushed)).body()).isEqualTo(pushed);
        }
        StorageScrubTest.Result again = StorageScrubTest.run(config, "reconcile");
        assertThat(again.out()).contains("0 unnamed blobs (0 bytes), 0 staged uploads without a session (0 bytes)");
    }

    /** Young files and uploads stay, however unnamed: the grace period is the commit's window. */
    @Test
    void theGracePeriodKeepsYoungObjects() throws Exception {
        Config config = backends.config("filesystem", false, false);
        byte[] orphan = StorageBackends.random(2_000);
        Path young = plant(StorageBackends.digest(orphan), orphan);
        Files.setLastModifiedTime(young, FileTime.from(Instant.now()));
        Path staged = backends.dir.resolve("storage/uploads/young-upload");
        Files.createDirectories(staged.getParent());
        Files.write(staged, new byte[10]);
        Scheduler io = Schedulers.newBoundedElastic(2, 100, "reconcile-test");
        try (R2dbcMetadata metadata = R2dbcMetadata.open(config.database())) {
            BackendRouter stores = new BackendRouter(new FilesystemBlobStore(backends.dir.resolve("storage"), io),
                    List.of());
            Reconciler reconciler = new Reconciler(metadata.placements(), stores, new SimpleMeterRegistry());
            Instant hourAgo = Instant.now().minus(Duration.ofHours(1));
            List<String> lines = new ArrayList<>();
            Reconciler.Report kept = reconciler.reconcile(hourAgo, hourAgo, false, lines::add)
                    .block(Duration.ofMinutes(1));
            assertThat(kept.blobs()).isZero();
            assertThat(kept.staged()).isZero();
            assertThat(lines).isEmpty();
            assertThat(young).exists();
            assertThat(staged).exists();
            // zero grace: the same files go
            Instant later = Instant.now().plusSeconds(1);
            Reconciler.Report removed = reconciler.reconcile(later, later, false, lines::add).block(Duration.ofMinutes(1));
            assertThat(removed.blobs()).isEqualTo(1);
            assertThat(removed.staged()).isEqualTo(1);
            assertThat(young).doesNotExist();
            assertThat(staged).doesNotExist();
        } finally {
            io.dispose();
        }
    }

    @Test
    void reconcileArgumentsAndHelp() {
        Config config = backends.config("filesystem", false, false);
        StorageScrubTest.Result bad = StorageScrubTest.run(config, "reconcile", "--all");
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err()).contains("unexpected argument '--all' for storage reconcile");
        StorageScrubTest.Result none = StorageScrubTest.run(config, "reconcile");
        assertThat(none.status()).as(none.err()).isZero();
        assertThat(StorageCommand.USAGE).contains("openregistry storage reconcile [--dry-run]");
    }

    private String location(byte[] content) {
        return backends.dir.resolve("storage").relativize(backends.file(StorageBackends.digest(content))).toString()
                .replace('\\', '/');
    }

    /** A blob file in the store's layout, as a commit whose database transaction failed leaves it. */
    private Path plant(String digest, byte[] content) throws Exception {
        Path file = backends.file(digest);
        Files.createDirectories(file.getParent());
        Files.write(file, content);
        Files.setLastModifiedTime(file, OLD);
        return file;
    }
}

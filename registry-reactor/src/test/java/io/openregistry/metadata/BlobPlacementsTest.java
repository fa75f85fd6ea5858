package io.openregistry.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.config.Config;
import io.openregistry.metadata.BlobPlacements.Relocation;
import io.openregistry.metadata.BlobPlacements.Retired;
import io.openregistry.metadata.BlobPlacements.Sweep;
import io.openregistry.metadata.r2dbc.R2dbcMetadata;
import io.openregistry.oci.Digest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.publisher.Mono;

/**
 * The rules of moving a blob's row and deleting retired copies, on H2 and PostgreSQL: a move
 * happens only from the recorded copy, never while a commit of the digest holds an intent or the
 * collector is deleting it; a retired copy is deleted only while the row names another copy and
 * no commit intends the digest, and never when a row names it again.
 */
class BlobPlacementsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static PostgresSupport postgres;
    @TempDir
    static Path dir;

    @BeforeAll
    static void startPostgres() {
        postgres = PostgresSupport.start();
    }

    @AfterAll
    static void stopPostgres() {
        postgres.close();
    }

    static Stream<String> databases() {
        return Stream.of("h2", "postgresql");
    }

    private static R2dbcMetadata open(String kind) {
        Config.Database db = kind.equals("h2")
                ? new Config.Database("r2dbc:h2:file:///" + dir.toAbsolutePath() + "/" + System.nanoTime(), null, null, 4)
                : postgres.newDatabase(4);
        return R2dbcMetadata.open(db);
    }

    private static Digest digest(String s) {
        return Digest.sha256(s.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @MethodSource("databases")
    void aRowMovesOnlyFromItsRecordedCopyAndNotWhileACommitIntendsIt(String kind) {
        try (R2dbcMetadata meta = open(kind)) {
            BlobIndex blobs = meta.blobs();
            BlobPlacements placements = meta.placements();
            BlobRecord onDisk = new BlobRecord(digest("a"), 10, "filesystem", "blobs/sha256/aa/a");
            blobs.commit("repo", onDisk, null, null).block(WAIT);
            blobs.commit("repo", new BlobRecord(digest("b"), 5, "s3", "blobs/sha256/b"), null, null).block(WAIT);
            assertThat(placements.countByBackend().collectList().block(WAIT))
                    .containsExactlyInAnyOrder(new BlobPlacements.BackendCount("filesystem", 1),
                            new BlobPlacements.BackendCount("s3", 1));
            assertThat(placements.page(null, "s3", 10).collectList().block(WAIT)).containsExactly(onDisk);
            assertThat(placements.sample(10).collectList().block(WAIT)).hasSize(2);

            // a commit of the digest holds an intent: the row stays where it is
            assertThat(blobs.intend(onDisk.digest(), "pusher", Duration.ofMinutes(1)).block(WAIT)).isTrue();
            Instant retireAfter = Instant.now().plusSeconds(60);
            assertThat(placements.relocate(onDisk, "s3", "blobs/sha256/a", retireAfter).block(WAIT))
                    .isEqualTo(Relocation.BUSY);
            assertThat(blobs.find(onDisk.digest()).block(WAIT)).isEqualTo(onDisk);
            blobs.dropIntent(onDisk.digest(), "pusher").block(WAIT);

            assertThat(placements.relocate(onDisk, "s3", "blobs/sha256/a", retireAfter).block(WAIT))
                    .isEqualTo(Relocation.MOVED);
            BlobRecord onS3 = new BlobRecord(onDisk.digest(), 10, "s3", "blobs/sha256/a");
            assertThat(blobs.find(onDisk.digest()).block(WAIT)).isEqualTo(onS3);
            assertThat(placements.due(Instant.now(), 10).collectList().block(WAIT)).as("not due yet").isEmpty();
            assertThat(placements.due(retireAfter.plusSeconds(1), 10).collectList().block(WAIT))
                    .extracting(Retired::backend, Retired::location, Retired::digest)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("filesystem", onDisk.location(), onDisk.digest()));
            // a second mover holding the old record changes nothing
            assertThat(placements.relocate(onDisk, "ipfs", "bafy", retireAfter).block(WAIT))
                    .isEqualTo(Relocation.CHANGED);
            assertThat(blobs.find(onDisk.digest()).block(WAIT)).isEqualTo(onS3);

            // the collector is deleting it: no move
            blobs.unlink("repo", onS3.digest()).block(WAIT);
            assertThat(blobs.forget(onS3.digest(), Instant.now().plusSeconds(3600)).block(WAIT)).isTrue();
            assertThat(placements.relocate(onS3, "ipfs", "bafy", retireAfter).block(WAIT))
                    .isEqualTo(Relocation.CHANGED);
            assertThat(placements.page(null, null, 10).collectList().block(WAIT)).as("deleting rows are not listed")
                    .extracting(BlobRecord::digest).containsExactly(digest("b"));
        }
    }

    @ParameterizedTest
    @MethodSource("databases")
    void aRetiredCopyIsDeletedOnlyWhenNothingNamesOrIntendsIt(String kind) {
        try (R2dbcMetadata meta = open(kind)) {
            BlobIndex blobs = meta.blobs();
            BlobPlacements placements = meta.placements();
            Instant past = Instant.now().minusSeconds(1);
            AtomicInteger deletions = new AtomicInteger();
            java.util.function.Supplier<Mono<Void>> delete = () -> Mono.fromRunnable(deletions::incrementAndGet);

            BlobRecord moved = new BlobRecord(digest("m"), 3, "s3", "blobs/sha256/m");
            blobs.commit("repo", moved, null, null).block(WAIT);
            Retired old = new Retired("filesystem", "blobs/sha256/mm/m", moved.digest(), past);
            placements.retire(old).block(WAIT);
            // a commit of the digest is under way: it might adopt the file; wait
            blobs.intend(moved.digest(), "pusher", Duration.ofMinutes(1)).block(WAIT);
            assertThat(placements.sweep(old, delete).block(WAIT)).isEqualTo(Sweep.DEFERRED);
            assertThat(deletions).hasValue(0);
            blobs.dropIntent(moved.digest(), "pusher").block(WAIT);
            assertThat(placements.sweep(old, delete).block(WAIT)).isEqualTo(Sweep.DELETED);
            assertThat(deletions).hasValue(1);
            assertThat(placements.due(Instant.now(), 10).collectList().block(WAIT)).isEmpty();

            // a row names the retired copy again (moved back): the entry goes, the bytes stay
            Retired named = new Retired("s3", moved.location(), moved.digest(), past);
            placements.retire(named).block(WAIT);
            assertThat(placements.sweep(named, delete).block(WAIT)).isEqualTo(Sweep.KEPT);
            // no row at all: the bytes are left to reconciliation
            Retired orphan = new Retired("filesystem", "blobs/sha256/zz/z", digest("z"), past);
            placements.retire(orphan).block(WAIT);
            assertThat(placements.sweep(orphan, delete).block(WAIT)).isEqualTo(Sweep.KEPT);
            assertThat(deletions).hasValue(1);
            assertThat(placements.due(Instant.now(), 10).collectList().block(WAIT)).isEmpty();

            // the collector is deleting the blob: wait for it
            Retired late = new Retired("filesystem", "blobs/sha256/mm/m2", moved.digest(), past);
            placements.retire(late).block(WAIT);
            blobs.unlink("repo", moved.digest()).block(WAIT);
            assertThat(blobs.forget(moved.digest(), Instant.now().plusSeconds(3600)).block(WAIT)).isTrue();
            assertThat(placements.sweep(late, delete).block(WAIT)).isEqualTo(Sweep.DEFERRED);
            assertThat(placements.due(Instant.now(), 10).collectList().block(WAIT)).extracting(Retired::location)
                    .isEqualTo(List.of(late.location()));
        }
    }
}

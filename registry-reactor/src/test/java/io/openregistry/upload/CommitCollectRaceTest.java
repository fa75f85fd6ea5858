package io.openregistry.upload;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.openregistry.metadata.BlobRecord;
import io.openregistry.metadata.PostgresSupport;
import io.openregistry.metadata.r2dbc.R2dbcMetadata;
import io.openregistry.metrics.Meters;
import io.openregistry.oci.Digest;
import io.openregistry.storage.fs.FilesystemBlobStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.blockhound.BlockHound;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A blob commit on one replica races the collector's deletion of the same digest on another, many
 * times over, on one PostgreSQL database and one storage directory: afterwards every recorded blob's
 * bytes exist and hash to its digest. With the exclusion switched off (intents ignored by both
 * sides) it fails within a few rounds: a commit reaches a blob the collector is deleting.
 */
class CommitCollectRaceTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int ROUNDS = 150;
    @TempDir
    Path dir;
    private PostgresSupport postgres;
    private Scheduler io;
    private R2dbcMetadata metaA;
    private R2dbcMetadata metaB;

    @BeforeEach
    void start() {
        BlockHound.install();
        postgres = PostgresSupport.start();
        io = Schedulers.newBoundedElastic(8, 1000, "test-io");
        var db = postgres.newDatabase(6);
        metaA = R2dbcMetadata.open(db);
        metaB = R2dbcMetadata.open(db);
    }

    @AfterEach
    void stop() {
        metaA.close();
        metaB.close();
        io.dispose();
        postgres.close();
    }

    @Test
    void aCommitAndACollectionOfOneDigestNeverLoseItsBytes() {
        FilesystemBlobStore storeA = new FilesystemBlobStore(dir.resolve("storage"), io);
        FilesystemBlobStore storeB = new FilesystemBlobStore(dir.resolve("storage"), io);
        storeA.check().block(WAIT);
        SimpleMeterRegistry metersA = new SimpleMeterRegistry();
        BlobCollector collectorA = new BlobCollector(metaA.blobs(), storeA, Schedulers.parallel(), metersA);
        UploadService a = new UploadService(storeA, metaA.blobs(), metaA.uploads(), collectorA, io, metersA);
        BlobCollector collectorB = new BlobCollector(metaB.blobs(), storeB, Schedulers.parallel(), new SimpleMeterRegistry());

        byte[] content = new byte[64 * 1024];
        new Random(5).nextBytes(content);
        Digest digest = Digest.sha256(content);
        int collected = 0;
        int kept = 0;
        for (int round = 0; round < ROUNDS; round++) {
            String repo = "race/" + round;
            if (metaA.blobs().find(digest).block(WAIT) == null) {
                // the last round's collection won: push it afresh, the race needs a stored blob
                a.monolithic("seed", digest, content.length, body(content)).block(WAIT);
                metaA.blobs().unlink("seed", digest).block(WAIT);
            }
            // orphaned now; the collector below collects everything orphaned before an hour from now
            Mono<BlobRecord> commit = a.monolithic(repo, digest, content.length, body(content))
                    .subscribeOn(Schedulers.parallel());
            Mono<Long> collect = collectorB.collect(Instant.now().plusSeconds(3600)).subscribeOn(Schedulers.parallel());
            var both = Mono.zip(commit, collect).block(WAIT);
            collected += both.getT2();

            // the commit won the blob back: it is recorded, linked, and its bytes are whole
            BlobRecord recorded = metaB.blobs().findLinked(repo, digest).block(WAIT);
            assertThat(recorded).as("round %d: the committed blob is recorded", round).isNotNull();
            assertThat(readDigest(storeB, recorded)).as("round %d: its bytes", round).isEqualTo(digest);
            if (both.getT2() == 0) {
                kept++;
            }
            // orphan it again for the next round
            assertThat(metaA.blobs().unlink(repo, digest).block(WAIT)).isTrue();
        }
        // both orders happened: collections that went first (the commit then waited and stored
        // fresh bytes), and commits whose intent kept the collector off
        assertThat(collected).as("rounds the collector deleted the blob first").isPositive();
        assertThat(kept).as("rounds the commit kept the blob").isPositive();
        System.out.printf("commit vs collect: %d rounds, collector first %d, commit kept it %d, commits that waited %.0f%n",
                ROUNDS, collected, kept, metersA.get(Meters.BLOB_COMMIT_WAITS).counter().count());
    }

    private static Flux<ByteBuf> body(byte[] content) {
        return Flux.range(0, content.length / 8192)
                .map(i -> Unpooled.wrappedBuffer(content, i * 8192, 8192));
    }

    private static Digest readDigest(FilesystemBlobStore store, BlobRecord blob) {
        java.security.MessageDigest md = Digest.Algorithm.SHA256.newMessageDigest();
        store.read(blob.location(), 0, blob.size())
                .doOnNext(b -> {
                    md.update(b.nioBuffer());
                    b.release();
                })
                .blockLast(WAIT);
        return Digest.Algorithm.SHA256.digestOf(md);
    }
}

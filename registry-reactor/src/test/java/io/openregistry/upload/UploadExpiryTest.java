package io.openregistry.upload;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.openregistry.config.Config;
import io.openregistry.oci.Digest;
import io.openregistry.metadata.r2dbc.R2dbcMetadata;
import io.openregistry.storage.fs.FilesystemBlobStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/** Abandoned upload sessions are discarded with their staged bytes; live ones are kept. */
class UploadExpiryTest {
    @TempDir
    Path dir;
    private Scheduler io;
    private R2dbcMetadata meta;
    private UploadService uploads;
    private BlobCollector collector;

    @BeforeEach
    void start() {
        io = Schedulers.newBoundedElastic(4, 1000, "test-io");
        meta = R2dbcMetadata.open(new Config.Database("r2dbc:h2:file:///" + dir.resolve("db/r"), null, null, 4));
        FilesystemBlobStore store = new FilesystemBlobStore(dir.resolve("storage"), io);
        store.check().block();
        collector = new BlobCollector(meta.blobs(), store);
        uploads = new UploadService(store, meta.blobs(), meta.uploads(), collector, io, new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    }

    @AfterEach
    void stop() {
        meta.close();
        io.dispose();
    }

    @Test
    void idleSessionsAndTheirStagedBytesAreDiscarded() throws Exception {
        String idle = uploads.start("repo").block().id();
        uploads.append("repo", idle, null, 3, Flux.just(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}))).block();
        assertThat(Files.exists(dir.resolve("storage/uploads/" + idle))).isTrue();
        Thread.sleep(20);
        Instant cutoff = Instant.now();
        Thread.sleep(20);
        String live = uploads.start("repo").block().id();

        assertThat(uploads.expire(cutoff).block(Duration.ofSeconds(30))).isEqualTo(1);
        assertThat(meta.uploads().find(idle).block()).isNull();
        assertThat(Files.exists(dir.resolve("storage/uploads/" + idle))).isFalse();
        assertThat(uploads.status("repo", live).block()).isNotNull();
        assertThat(uploads.expire(cutoff).block(Duration.ofSeconds(30))).isZero();
    }

    @Test
    void orphanedBlobsAreCollectedAfterTheGraceUnlessRevived() throws Exception {
        byte[] content = {9, 8, 7, 6};
        Digest digest = Digest.sha256(content);
        uploads.monolithic("a", digest, 4, Flux.just(Unpooled.wrappedBuffer(content))).block(Duration.ofSeconds(30));
        uploads.monolithic("b", digest, 4, Flux.just(Unpooled.wrappedBuffer(content))).block(Duration.ofSeconds(30));
        Path file = dir.resolve("storage/blobs/sha256/" + digest.hex().substring(0, 2) + "/" + digest.hex());
        assertThat(file).exists();

        assertThat(meta.blobs().unlink("a", digest).block()).isTrue();
        assertThat(collector.collect(Instant.now().plusSeconds(60)).block()).isZero(); // "b" still links it
        assertThat(meta.blobs().unlink("b", digest).block()).isTrue();
        Thread.sleep(20);
        Instant afterOrphaning = Instant.now();
        // within the grace period nothing happens, and a new push revives the blob
        assertThat(collector.collect(afterOrphaning.minusSeconds(3600)).block()).isZero();
        uploads.monolithic("c", digest, 4, Flux.just(Unpooled.wrappedBuffer(content))).block(Duration.ofSeconds(30));
        assertThat(collector.collect(afterOrphaning.plusSeconds(60)).block()).isZero();
        assertThat(file).exists();

        assertThat(meta.blobs().unlink("c", digest).block()).isTrue();
        Thread.sleep(20);
        assertThat(collector.collect(Instant.now()).block()).isEqualTo(1);
        assertThat(file).doesNotExist();
        assertThat(meta.blobs().find(digest).block()).isNull();
        // the same content can be pushed again afterwards
        uploads.monolithic("d", digest, 4, Flux.just(Unpooled.wrappedBuffer(content))).block(Duration.ofSeconds(30));
        assertThat(file).exists();
    }
}

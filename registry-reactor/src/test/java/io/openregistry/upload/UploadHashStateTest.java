package io.openregistry.upload;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.openregistry.config.Config;
import io.openregistry.metadata.BlobRecord;
import io.openregistry.metadata.r2dbc.R2dbcMetadata;
import io.openregistry.metrics.Meters;
import io.openregistry.oci.Digest;
import io.openregistry.storage.fs.FilesystemBlobStore;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The running digest of an upload continues in a process that did not hold it (a second service
 * on the same database and storage, as another replica or a restarted one would): restored from
 * the state stored with the offset, or — when that state is missing, corrupt, or cannot be
 * restored on this JVM — rebuilt by re-reading the staged bytes. Either way the digest is right.
 */
class UploadHashStateTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    @TempDir
    Path dir;
    private Scheduler io;
    private R2dbcMetadata meta;
    private FilesystemBlobStore store;
    private BlobCollector collector;
    private final byte[] content = new byte[300_007];
    private Digest digest;

    @BeforeEach
    void start() {
        new SplittableRandom(5).nextBytes(content);
        digest = Digest.sha256(content);
        io = Schedulers.newBoundedElastic(4, 1000, "test-io");
        meta = R2dbcMetadata.open(new Config.Database("r2dbc:h2:file:///" + dir.resolve("db/r"), null, null, 4));
        store = new FilesystemBlobStore(dir.resolve("storage"), io);
        store.check().block();
        collector = new BlobCollector(meta.blobs(), store);
    }

    @AfterEach
    void stop() {
        meta.close();
        io.dispose();
    }

    /** A service with its own memory (and meters), like another replica. */
    private UploadService replica(MeterRegistry meters, DigestStates states) {
        return new UploadService(store, meta.blobs(), meta.uploads(), collector, io, meters, UploadLimits.NONE, states);
    }

    private static double rebuilds(MeterRegistry meters, String outcome) {
        return meters.get(Meters.UPLOAD_DIGEST_REBUILDS).tag(Meters.TAG_OUTCOME, outcome).counter().count();
    }

    private void patch(UploadService service, String id, int from, int to) {
        service.append("repo", id, from + "-" + (to - 1), to - from,
                Flux.just(Unpooled.wrappedBuffer(Arrays.copyOfRange(content, from, to)))).block(WAIT);
    }

    private BlobRecord put(UploadService service, String id, int from) {
        return service.finish("repo", id, digest, from + "-" + (content.length - 1), content.length - from,
                Flux.just(Unpooled.wrappedBuffer(Arrays.copyOfRange(content, from, content.length)))).block(WAIT);
    }

    @Test
    void anotherProcessRestoresTheStoredStateInsteadOfRereading() {
        MeterRegistry metersA = new SimpleMeterRegistry();
        MeterRegistry metersB = new SimpleMeterRegistry();
        UploadService a = replica(metersA, DigestStates.shared());
        UploadService b = replica(metersB, DigestStates.shared());
        String id = a.start("repo").block(WAIT).id();
        patch(a, id, 0, 100_001);
        patch(b, id, 100_001, 200_003);
        assertThat(put(a, id, 200_003).digest()).isEqualTo(digest);

        assertThat(rebuilds(metersB, Meters.OUTCOME_RESTORED)).isEqualTo(1);
        // A held the digest at 100,001; the upload had moved on, so it restored too
        assertThat(rebuilds(metersA, Meters.OUTCOME_RESTORED)).isEqualTo(1);
        assertThat(rebuilds(metersA, Meters.OUTCOME_REREAD) + rebuilds(metersB, Meters.OUTCOME_REREAD)).isZero();
    }

    @Test
    void withoutAccessToTheJdkStateTheStagedBytesAreReread() {
        MeterRegistry metersB = new SimpleMeterRegistry();
        UploadService a = replica(new SimpleMeterRegistry(), DigestStates.unavailable("test: no add-opens"));
        UploadService b = replica(metersB, DigestStates.unavailable("test: no add-opens"));
        String id = a.start("repo").block(WAIT).id();
        patch(a, id, 0, 100_001);
        assertThat(meta.uploads().hashState(id, 100_001).block(WAIT)).as("nothing exported").isNull();
        patch(b, id, 100_001, 200_003);
        assertThat(put(b, id, 200_003).digest()).isEqualTo(digest);
        assertThat(rebuilds(metersB, Meters.OUTCOME_REREAD)).isEqualTo(1);
        assertThat(rebuilds(metersB, Meters.OUTCOME_RESTORED)).isZero();
    }

    @Test
    void aStateWrittenWithoutAddOpensIsRereadByAProcessThatHasThem() {
        MeterRegistry metersB = new SimpleMeterRegistry();
        UploadService a = replica(new SimpleMeterRegistry(), DigestStates.unavailable("test: no add-opens"));
        UploadService b = replica(metersB, DigestStates.shared());
        String id = a.start("repo").block(WAIT).id();
        patch(a, id, 0, 100_001);
        assertThat(put(b, id, 100_001).digest()).isEqualTo(digest);
        assertThat(rebuilds(metersB, Meters.OUTCOME_REREAD)).isEqualTo(1);
    }

    @Test
    void aCorruptStoredStateFallsBackToRereading() {
        MeterRegistry metersB = new SimpleMeterRegistry();
        UploadService a = replica(new SimpleMeterRegistry(), DigestStates.shared());
        UploadService b = replica(metersB, DigestStates.shared());
        String id = a.start("repo").block(WAIT).id();
        patch(a, id, 0, 100_001);
        byte[] stored = meta.uploads().hashState(id, 100_001).block(WAIT);
        assertThat(stored).isNotNull();
        // truncated: refused on its length
        plant(id, 100_001, Arrays.copyOf(stored, stored.length - 3));
        patch(b, id, 100_001, 200_003);
        assertThat(rebuilds(metersB, Meters.OUTCOME_REREAD)).isEqualTo(1);

        // well-formed, but the state of another length: refused on its byte count
        MessageDigest other = Digest.Algorithm.SHA256.newMessageDigest();
        other.update(content, 0, 5);
        plant(id, 200_003, DigestStates.shared().export(other));
        UploadService c = replica(metersB, DigestStates.shared());
        assertThat(put(c, id, 200_003).digest()).isEqualTo(digest);
        assertThat(rebuilds(metersB, Meters.OUTCOME_REREAD)).isEqualTo(2);
        assertThat(rebuilds(metersB, Meters.OUTCOME_RESTORED)).isZero();
    }

    /** Records {@code state} as the session's hash state at its offset, as a replica's last write would. */
    private void plant(String id, long offset, byte[] state) {
        assertThat(meta.uploads().claim(id, "repo", "planter", Duration.ofMinutes(1)).block(WAIT)).isNotNull();
        assertThat(meta.uploads().advanceAndRelease(id, offset, offset, state, "planter").block(WAIT)).isTrue();
    }
}

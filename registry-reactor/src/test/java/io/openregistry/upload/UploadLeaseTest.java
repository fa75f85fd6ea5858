package io.openregistry.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.openregistry.metadata.BlobRecord;
import io.openregistry.metadata.PostgresSupport;
import io.openregistry.metadata.r2dbc.R2dbcMetadata;
import io.openregistry.metrics.Meters;
import io.openregistry.oci.Digest;
import io.openregistry.storage.fs.FilesystemBlobStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.blockhound.BlockHound;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Two upload services on one PostgreSQL database and one storage directory, as two replicas:
 * a session's lease in the database lets one of them at a time work on an upload, and a holder
 * that lost its lease (here: paused, so it could not renew) neither writes nor rolls back the
 * staged bytes the next holder is writing.
 */
class UploadLeaseTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static PostgresSupport postgres;
    @TempDir
    Path dir;
    private Scheduler io;
    private R2dbcMetadata metaA;
    private R2dbcMetadata metaB;
    private Replica a;
    private Replica b;
    private Scheduler pausedTimer;
    private CountDownLatch pause;

    private record Replica(UploadService uploads, BlobCollector collector, FilesystemBlobStore store,
                           SimpleMeterRegistry meters) {
        double meter(String name) {
            return meters.get(name).counter().count();
        }
    }

    @BeforeAll
    static void startPostgres() {
        BlockHound.install();
        postgres = PostgresSupport.start();
    }

    @AfterAll
    static void stopPostgres() {
        postgres.close();
    }

    @BeforeEach
    void start() {
        io = Schedulers.newBoundedElastic(8, 1000, "test-io");
        var db = postgres.newDatabase(4);
        metaA = R2dbcMetadata.open(db);
        metaB = R2dbcMetadata.open(db);
        // A's renewals are scheduled on a timer whose one thread is stuck: A is "paused" (as by a
        // long GC pause or a frozen VM) and cannot renew its leases
        // (a plain executor thread: BlockHound would stop a Reactor timer thread that waits)
        pausedTimer = Schedulers.fromExecutorService(java.util.concurrent.Executors.newSingleThreadScheduledExecutor());
        pause = new CountDownLatch(1);
        pausedTimer.schedule(() -> {
            try {
                pause.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        a = replica(metaA, Duration.ofSeconds(3), pausedTimer);
        b = replica(metaB, Duration.ofSeconds(30), Schedulers.parallel());
    }

    private Replica replica(R2dbcMetadata meta, Duration lease, Scheduler timer) {
        FilesystemBlobStore store = new FilesystemBlobStore(dir.resolve("storage"), io);
        store.check().block(WAIT);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        BlobCollector collector = new BlobCollector(meta.blobs(), store, Schedulers.parallel(), meters);
        return new Replica(new UploadService(store, meta.blobs(), meta.uploads(), collector, io, meters,
                UploadLimits.NONE, lease, timer), collector, store, meters);
    }

    @AfterEach
    void stop() {
        pause.countDown();
        pausedTimer.dispose();
        metaA.close();
        metaB.close();
        io.dispose();
    }

    private static ByteBuf buf(byte[] bytes) {
        return Unpooled.wrappedBuffer(bytes);
    }

    @Test
    void aRequestOnAnotherReplicaGetsTheSessionsRangeWhileOneWorks() {
        byte[] content = new byte[3000];
        new Random(1).nextBytes(content);
        String id = b.uploads().start("r").block(WAIT).id();
        // B works on the session: a PATCH whose body is still arriving
        Sinks.Many<ByteBuf> body = Sinks.many().unicast().onBackpressureBuffer();
        Mono<?> onB = b.uploads().append("r", id, null, -1, body.asFlux()).cache();
        onB.subscribe(v -> { }, e -> { });
        body.tryEmitNext(buf(Arrays.copyOfRange(content, 0, 1000)));
        awaitStaged(id, 1000);

        // A's request gets what a concurrent request on one replica gets: a 416 with the session
        assertThatThrownBy(() -> a.uploads().append("r", id, "0-999", 1000,
                Flux.just(buf(Arrays.copyOfRange(content, 0, 1000)))).block(WAIT))
                .isInstanceOfSatisfying(UploadOutOfOrderException.class,
                        e -> assertThat(e.session().offset()).isZero());
        assertThat(a.meter(Meters.UPLOAD_LEASE_CONFLICTS)).isEqualTo(1);
        // and neither may expire it meanwhile
        assertThat(a.uploads().expire(Instant.now().plusSeconds(3600)).block(WAIT)).isZero();

        body.tryEmitNext(buf(Arrays.copyOfRange(content, 1000, 2000)));
        body.tryEmitComplete();
        assertThat(onB.block(WAIT)).extracting("offset").isEqualTo(2000L);
        // released at the end: A continues the upload at once
        BlobRecord blob = a.uploads().finish("r", id, Digest.sha256(content), "2000-2999", 1000,
                Flux.just(buf(Arrays.copyOfRange(content, 2000, 3000)))).block(WAIT);
        assertThat(read(b, blob)).isEqualTo(content);
        assertThat(a.meter(Meters.UPLOAD_LEASES_LOST) + b.meter(Meters.UPLOAD_LEASES_LOST)).isZero();
    }

    @Test
    void aHolderThatLostItsLeaseNeitherWritesNorRollsBack() throws Exception {
        byte[] ours = new byte[1000];
        byte[] theirs = new byte[5000];
        new Random(2).nextBytes(ours);
        new Random(3).nextBytes(theirs);
        String id = a.uploads().start("r").block(WAIT).id();
        Sinks.Many<ByteBuf> body = Sinks.many().unicast().onBackpressureBuffer();
        Mono<?> onA = a.uploads().append("r", id, null, -1, body.asFlux()).cache();
        onA.subscribe(v -> { }, e -> { });
        body.tryEmitNext(buf(ours));
        awaitStaged(id, ours.length);

        // A cannot renew; once its lease expired in the database B takes the session over, at the
        // recorded offset (0), and writes its own bytes
        Mono<?> onB = Mono.defer(() -> b.uploads().append("r", id, "0-4999", theirs.length, Flux.just(buf(theirs))))
                .retryWhen(reactor.util.retry.Retry.fixedDelay(200, Duration.ofMillis(50))
                        .filter(UploadOutOfOrderException.class::isInstance));
        assertThat(onB.block(WAIT)).extracting("offset").isEqualTo(5000L);
        assertThat(b.meter(Meters.UPLOAD_LEASE_CONFLICTS)).isPositive();

        // A's next buffer arrives: A must not write it (nor truncate B's bytes when it fails)
        body.tryEmitNext(buf(new byte[777]));
        body.tryEmitComplete();
        assertThatThrownBy(() -> onA.block(WAIT)).isInstanceOfSatisfying(UploadOutOfOrderException.class,
                e -> assertThat(e.session().offset()).isZero());
        assertThat(a.meter(Meters.UPLOAD_LEASES_LOST)).isEqualTo(1);
        assertThat(Digest.sha256(Files.readAllBytes(staged(id)))).as("the staged bytes are B's, untouched")
                .isEqualTo(Digest.sha256(theirs));

        // B completes the upload with exactly its bytes
        BlobRecord blob = b.uploads().finish("r", id, Digest.sha256(theirs), null, 0, Flux.empty()).block(WAIT);
        assertThat(read(a, blob)).isEqualTo(theirs);
    }

    @Test
    void aDeadReplicasSessionContinuesFromTheRecordedOffsetOnceItsLeaseExpired() {
        byte[] content = new byte[2000];
        new Random(4).nextBytes(content);
        String id = a.uploads().start("r").block(WAIT).id();
        assertThat(a.uploads().append("r", id, "0-999", 1000, Flux.just(buf(Arrays.copyOfRange(content, 0, 1000))))
                .block(WAIT).offset()).isEqualTo(1000);
        // A dies holding the session: a body that never ends, renewals that never run
        Sinks.Many<ByteBuf> body = Sinks.many().unicast().onBackpressureBuffer();
        a.uploads().append("r", id, null, -1, body.asFlux()).subscribe(v -> { }, e -> { });
        body.tryEmitNext(buf(new byte[500]));
        awaitStaged(id, 1500);

        BlobRecord blob = Mono.defer(() -> b.uploads().finish("r", id, Digest.sha256(content), "1000-1999", 1000,
                        Flux.just(buf(Arrays.copyOfRange(content, 1000, 2000)))))
                .retryWhen(reactor.util.retry.Retry.fixedDelay(200, Duration.ofMillis(50))
                        .filter(UploadOutOfOrderException.class::isInstance))
                .block(WAIT);
        assertThat(read(b, blob)).isEqualTo(content);
        body.tryEmitComplete();
    }

    private Path staged(String id) {
        return dir.resolve("storage/uploads/" + id);
    }

    /** Waits until the store wrote {@code length} bytes of the session (the body is asynchronous). */
    private void awaitStaged(String id, long length) {
        Mono.fromCallable(() -> Files.exists(staged(id)) && Files.size(staged(id)) >= length)
                .filter(Boolean::booleanValue)
                .repeatWhenEmpty(n -> n.delayElements(Duration.ofMillis(10)))
                .block(WAIT);
    }

    private static byte[] read(Replica r, BlobRecord blob) {
        return r.store().read(blob.location(), 0, blob.size())
                .reduce(Unpooled.buffer(), (all, b) -> {
                    all.writeBytes(b);
                    b.release();
                    return all;
                })
                .map(all -> {
                    byte[] bytes = new byte[all.readableBytes()];
                    all.readBytes(bytes);
                    return bytes;
                })
                .block(WAIT);
    }
}

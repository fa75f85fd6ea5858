package io.openregistry.maintenance;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.openregistry.metadata.BlobPlacements;
import io.openregistry.metadata.BlobPlacements.Relocation;
import io.openregistry.metadata.BlobRecord;
import io.openregistry.metrics.Meters;
import io.openregistry.oci.Digest;
import io.openregistry.storage.BlobStore;
import io.openregistry.storage.Buffers;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Moves blobs to another backend while the registry serves: for each blob recorded elsewhere, its
 * bytes are copied from the recorded backend into the target (staged and committed like an
 * upload, hashed on the way: a copy that does not hash to the digest is discarded and reported),
 * then the blob's row is pointed at the copy by one conditional update that also records the old
 * copy as retired ({@link BlobPlacements#relocate}); the sweeper deletes it after the grace period.
 *
 * <p>Resumable: only blobs still recorded elsewhere are copied, so a run after a crash copies what
 * is left (a copy made before the crash but never recorded is made again; on content-addressed
 * backends it is the same object). Safe against concurrent pushes of the same digest: the update
 * waits for no live commit intent (a commit of the digest may delete an unrecorded copy at a
 * content-addressed location), and after it the copy is checked to be there, and made again if a
 * commit that ended just before removed it.
 */
public final class Migrator {
    private static final Logger log = LoggerFactory.getLogger(Migrator.class);
    private static final int PAGE = 100;
    /** Relocations tried while a commit of the digest is under way, before the blob is left for the next run. */
    private static final int BUSY_ATTEMPTS = 5;
    private static final Duration BUSY_PAUSE = Duration.ofMillis(500);
    /** Buffers read ahead of the target's writes: bounds the memory of a copy. */
    private static final int PREFETCH = 8;
    private final BlobPlacements placements;
    private final BlobStore stores;
    private final Scheduler workers;
    private final Duration retireDelay;
    private final Counter moved;
    private final Counter busy;
    private final Counter changed;
    private final Counter failed;

    /** The outcome of a run; {@code left} counts blobs a later run must still move (busy or failed). */
    public record Report(long moved, long changed, long busy, long failed) {
        public boolean complete() {
            return busy == 0 && failed == 0;
        }

        @Override
        public String toString() {
            return moved + " moved, " + changed + " changed meanwhile (skipped), " + busy
                    + " left while being pushed, " + failed + " failed";
        }
    }

    /**
     * @param stores      a store whose {@link BlobStore#storeFor} reaches the sources and the target
     * @param workers     where target writes run (they may block: file staging)
     * @param retireDelay how long the old copy stays after the row moved (pulls that read the old
     *                    row, and caches holding it, still find their bytes)
     */
    public Migrator(BlobPlacements placements, BlobStore stores, Scheduler workers, Duration retireDelay,
                    MeterRegistry meters) {
        this.placements = placements;
        this.stores = stores;
        this.workers = workers;
        this.retireDelay = retireDelay;
        this.moved = Meters.storageMigrate(meters, "moved");
        this.busy = Meters.storageMigrate(meters, "busy");
        this.changed = Meters.storageMigrate(meters, "changed");
        this.failed = Meters.storageMigrate(meters, "failed");
    }

    /** Moves every blob not on {@code target} there, one at a time; each step is handed to {@code lines}. */
    public Mono<Report> migrate(String target, Consumer<String> lines) {
        return Mono.defer(() -> {
            BlobStore to = stores.storeFor(target);
            long[] counts = new long[4];
            return placements.all(target, PAGE)
                    // off the database driver's event loop: a copy starts with file and staging calls
                    .publishOn(workers, 1)
                    .concatMap(blob -> move(blob, to).map(outcome -> {
                        int i = switch (outcome) {
                            case "moved" -> 0;
                            case "changed" -> 1;
                            case "busy" -> 2;
                            default -> 3;
                        };
                        counts[i]++;
                        (i == 0 ? moved : i == 1 ? changed : i == 2 ? busy : failed).increment();
                        String line = outcome + " " + blob.digest() + " (" + blob.size() + " bytes) " + blob.backend()
                                + " -> " + target;
                        lines.accept(line);
                        log.info("migrate: {}", line);
                        return outcome;
                    }))
                    .then(Mono.fromSupplier(() -> new Report(counts[0], counts[1], counts[2], counts[3])))
                    .doOnNext(report -> log.info("migrate to {}: {}", target, report));
        });
    }

    /** One blob: "moved", "changed", "busy" or "failed: why". */
    private Mono<String> move(BlobRecord blob, BlobStore to) {
        return copy(blob, to)
                .flatMap(location -> relocate(blob, to, location, 0))
                .onErrorResume(e -> {
                    log.warn("migrate: copying {} from {} at {} failed", blob.digest(), blob.backend(), blob.location(), e);
                    return Mono.just("failed: " + e.getMessage());
                });
    }

    private Mono<String> relocate(BlobRecord blob, BlobStore to, String location, int attempt) {
        Instant retireAfter = Instant.now().plus(retireDelay);
        return placements.relocate(blob, to.backend(), location, retireAfter).flatMap(r -> switch (r) {
            case MOVED -> ensurePresent(blob, new BlobRecord(blob.digest(), blob.size(), to.backend(), location), to)
                    .thenReturn("moved");
            case BUSY -> attempt + 1 < BUSY_ATTEMPTS
                    ? Mono.delay(BUSY_PAUSE).then(relocate(blob, to, location, attempt + 1))
                    : Mono.just("busy");
            // the row moved on (another run, a re-push, the collector): our copy is unrecorded, and
            // is retired like an old copy, so that the sweeper's checks decide whether it may go
            case CHANGED -> placements.retire(new BlobPlacements.Retired(to.backend(), location, blob.digest(),
                    retireAfter)).thenReturn("changed");
        });
    }

    /**
     * After the row names the copy: a commit of the digest that ended just before the update may
     * have deleted the then-unrecorded copy at its content-addressed location. If it is gone, it
     * is made again from the old copy (retired, so still there for the grace period); no commit
     * deletes a recorded location. If the new copy lands elsewhere, the row follows it.
     */
    private Mono<Void> ensurePresent(BlobRecord old, BlobRecord moved, BlobStore to) {
        if (moved.size() == 0) {
            return Mono.empty();
        }
        return to.read(moved.location(), moved.size() - 1, 1)
                .doOnNext(ByteBuf::release)
                .then()
                .onErrorResume(gone -> {
                    log.warn("migrate: the new copy of {} at {} is not readable after the update ({}); copying again",
                            moved.digest(), moved.location(), gone.toString());
                    return copy(old, to).flatMap(again -> again.equals(moved.location()) ? Mono.<Void>empty()
                                    : placements.relocate(moved, to.backend(), again, Instant.now().plus(retireDelay))
                                            .flatMap(r -> r == Relocation.MOVED ? Mono.<Void>empty()
                                                    : Mono.error(new IllegalStateException("the record of "
                                                            + moved.digest() + " changed meanwhile: " + r))))
                            .onErrorResume(e -> moveBack(old, moved, e));
                });
    }

    /**
     * The row names a copy that is gone and could not be made again: it is pointed back at the old
     * copy, which is still there (retired, and the sweeper keeps a retired copy that a row names).
     * The blob then counts as failed and the next run tries again.
     */
    private Mono<Void> moveBack(BlobRecord old, BlobRecord moved, Throwable why) {
        return placements.relocate(moved, old.backend(), old.location(), Instant.now().plus(retireDelay))
                .flatMap(r -> Mono.<Void>error(new IllegalStateException("the new copy of " + moved.digest()
                        + " vanished and could not be made again (" + why.getMessage() + "); the row "
                        + (r == Relocation.MOVED ? "names the old copy again" : "was not moved back: " + r))));
    }

    /** Copies the blob's bytes into {@code to}, verifying size and digest before committing. @return the new location */
    private Mono<String> copy(BlobRecord blob, BlobStore to) {
        return Mono.defer(() -> {
            BlobStore from = stores.storeFor(blob.backend());
            // not UUID.randomUUID(): SecureRandom may read /dev/urandom, a blocking call
            ThreadLocalRandom random = ThreadLocalRandom.current();
            String uploadId = new UUID(random.nextLong(), random.nextLong()).toString();
            MessageDigest hash = blob.digest().algorithm().newMessageDigest();
            long[] seen = {0};
            Flux<ByteBuf> bytes = Flux.defer(() -> from.read(blob.location(), 0, blob.size()))
                    .publishOn(workers, PREFETCH)
                    .doOnNext(buf -> {
                        seen[0] += buf.readableBytes();
                        Buffers.hash(hash, buf);
                    });
            return to.append(uploadId, 0, bytes)
                    .flatMap(staged -> {
                        Digest actual = blob.digest().algorithm().digestOf(hash);
                        if (staged != blob.size() || seen[0] != blob.size() || !actual.equals(blob.digest())) {
                            return Mono.error(new IllegalStateException("the " + blob.backend() + " copy at "
                                    + blob.location() + " reads as " + seen[0] + " bytes hashing to " + actual
                                    + ", not " + blob.size() + " bytes of " + blob.digest() + " (corrupt source?)"));
                        }
                        return to.commit(uploadId, blob.digest(), blob.size());
                    })
                    .onErrorResume(e -> to.abort(uploadId).onErrorResume(x -> Mono.empty()).then(Mono.error(e)));
        });
    }
}

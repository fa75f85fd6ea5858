package io.openregistry.upload;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.openregistry.metadata.BlobIndex;
import io.openregistry.metadata.BlobRecord;
import io.openregistry.metrics.Meters;
import io.openregistry.oci.Digest;
import io.openregistry.storage.BlobStore;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Deletes the bytes of blobs that no repository has linked and no stored manifest has named (the
 * content graph) for a grace period (S3 delete, IPFS unpin, file removal), and keeps that deletion
 * and a commit of the same digest from overlapping, across replicas. Content addressing makes that the only race: a commit of a digest whose bytes are
 * stored reuses them (the staged copy is dropped) before it records the blob again, so bytes
 * deleted under it would leave a record without content.
 *
 * <p>The exclusion lives in the database, in the blob's row and the {@code blob_intents} table:
 * <ol>
 *   <li>A commit ({@link #committing}) first records an <em>intent</em> (digest, a holder token,
 *       an expiry {@link #INTENT_TTL} ahead in database time) and, in the same short transaction,
 *       reads the blob's row under its row lock ({@link BlobIndex#intend}).</li>
 *   <li>The collector ({@link #collect}) marks a blob {@code deleting} only in a transaction that
 *       first locks the blob's row (still orphaned, still unlinked), then finds no live intent
 *       for the digest, no link and no manifest naming it, with a statement of its own
 *       ({@link BlobIndex#forget}; a manifest put locks the same row, see the README's "The
 *       content graph"). It then deletes
 *       the bytes, and only then the row ({@link BlobIndex#forgotten}).</li>
 *   <li>Both take the same row lock, so one of them goes first: if the collector did, the commit
 *       reads the row as {@code deleting} and waits (polling, without blocking a thread, for at
 *       most {@link #DELETION_WAIT}) until the row is gone, and then stores its own staged bytes
 *       afresh; if the commit did, its intent was committed when the collector got the lock, and
 *       the collector leaves the blob alone. A commit that finds no row at all cannot overlap a
 *       deletion either: the collector deletes bytes only while the row exists, marked, and
 *       cannot mark any row of the digest while the intent lives.</li>
 *   <li>The intent is removed when the commit ends: by the transaction that records the blob
 *       (the link keeps the collector off from then on), or right after a commit that failed.
 *       A replica that dies mid-commit leaves it to expire: the digest is then not collected for
 *       up to {@link #INTENT_TTL}, which delays a deletion and never loses content. A deletion whose byte removal failed (or whose
 *       replica died) keeps its row marked; the next collection finishes it, and commits of that
 *       digest wait meanwhile.</li>
 * </ol>
 * On H2 (one process) the same statements run; the row lock is H2's.
 */
public final class BlobCollector {
    private static final Logger log = LoggerFactory.getLogger(BlobCollector.class);
    /** How long a commit's intent keeps the collector off its digest, should the commit never end. */
    static final Duration INTENT_TTL = Duration.ofHours(1);
    /** How long a commit waits for the collector's deletion of the same digest before it fails. */
    static final Duration DELETION_WAIT = Duration.ofSeconds(30);
    private static final Duration FIRST_POLL = Duration.ofMillis(10);
    private static final Duration MAX_POLL = Duration.ofMillis(500);
    private final BlobIndex blobs;
    private final BlobStore store;
    private final Scheduler timer;
    private final Counter waits;

    /** A collector whose commits poll on Reactor's shared timer (tests). */
    public BlobCollector(BlobIndex blobs, BlobStore store) {
        this(blobs, store, Schedulers.parallel(), new SimpleMeterRegistry());
    }

    /**
     * @param timer  where a commit waiting for a deletion schedules its polls (owned by the caller)
     * @param meters where {@link Meters#BLOB_COMMIT_WAITS} is registered
     */
    public BlobCollector(BlobIndex blobs, BlobStore store, Scheduler timer, MeterRegistry meters) {
        this.blobs = blobs;
        this.store = store;
        this.timer = timer;
        this.waits = Meters.blobCommitWaits(meters);
    }

    /**
     * Runs a commit (which makes the staged bytes of {@code digest} visible in the store and
     * records the blob) under an intent for the digest, once no deletion of it is under way. The
     * commit gets the intent's holder, and removes the intent in the transaction that records the
     * blob ({@link BlobIndex#commit(String, BlobRecord, String, String)}):
     * when it succeeds, the intent is gone; when it fails, the intent is removed here.
     */
    <T> Mono<T> committing(Digest digest, Function<String, Mono<T>> commit) {
        return Mono.defer(() -> {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            String holder = Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong());
            long deadline = System.nanoTime() + DELETION_WAIT.toNanos();
            return clearToCommit(digest, holder, deadline, 0)
                    .then(Mono.defer(() -> commit.apply(holder)))
                    .onErrorResume(error -> blobs.dropIntent(digest, holder)
                            .onErrorResume(e -> {
                                log.warn("removing the commit intent of {} failed; it expires by itself: {}", digest,
                                        e.toString());
                                return Mono.empty();
                            })
                            .then(Mono.error(error)));
        });
    }

    /** Records the intent and completes once the digest is not being deleted (polling while it is). */
    private Mono<Void> clearToCommit(Digest digest, String holder, long deadline, int attempt) {
        return blobs.intend(digest, holder, INTENT_TTL).flatMap(clear -> {
            if (clear) {
                return Mono.empty();
            }
            if (attempt == 0) {
                waits.increment();
                log.info("blob {} is being deleted by the collector; the commit waits until it is gone", digest);
            }
            if (System.nanoTime() - deadline > 0) {
                return Mono.error(new IllegalStateException("blob " + digest + " has been being deleted for over "
                        + DELETION_WAIT.toSeconds() + " s (a failing storage backend?); try the upload again later"));
            }
            long poll = Math.min(MAX_POLL.toMillis(), FIRST_POLL.toMillis() << Math.min(attempt, 10));
            return Mono.delay(Duration.ofMillis(poll), timer).then(clearToCommit(digest, holder, deadline, attempt + 1));
        });
    }

    /**
     * Collects blobs orphaned before {@code cutoff}: each is marked deleting (only if still
     * orphaned, unlinked and no commit intends it), its bytes are deleted, then its record.
     * Deletions an earlier run left unfinished are finished. @return how many blobs were deleted
     */
    public Mono<Long> collect(Instant cutoff) {
        return collect(cutoff, 1000).map(Swept::blobs);
    }

    /** What a collection deleted: blobs, and their recorded sizes in bytes. */
    public record Swept(long blobs, long bytes) {
        public Swept plus(Swept other) {
            return new Swept(blobs + other.blobs, bytes + other.bytes);
        }
    }

    /** {@link #collect(Instant)} of at most {@code limit} blobs (one batch of the garbage collector). */
    public Mono<Swept> collect(Instant cutoff, int limit) {
        return blobs.dropExpiredIntents()
                .thenMany(blobs.orphanedBefore(cutoff, limit))
                .concatMap(b -> blobs.forget(b.digest(), cutoff).flatMap(marked -> marked ? delete(b) : Mono.empty()))
                .reduce(new Swept(0, 0), (sum, b) -> sum.plus(new Swept(1, b.size())));
    }

    private Mono<BlobRecord> delete(BlobRecord b) {
        // from the backend recorded for the blob, which need not be today's storage.driver
        return Mono.defer(() -> store.storeFor(b.backend()).delete(b.location()))
                .then(blobs.forgotten(b.digest()))
                .doOnSuccess(v -> log.debug("blob collected digest={} backend={} location={}", b.digest(), b.backend(),
                        b.location()))
                .thenReturn(b)
                .onErrorResume(e -> {
                    log.warn("deleting blob {} at {} failed; it stays marked and the next collection retries", b.digest(),
                            b.location(), e);
                    return Mono.empty();
                });
    }
}

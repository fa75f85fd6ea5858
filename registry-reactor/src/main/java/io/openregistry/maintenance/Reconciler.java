package io.openregistry.maintenance;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.openregistry.metadata.BlobPlacements;
import io.openregistry.metrics.Meters;
import io.openregistry.storage.BackendRouter;
import io.openregistry.storage.BlobStore;
import io.openregistry.storage.StoredObject;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The reconciliation of storage objects no database row names: committed objects of every
 * configured backend that can list them safely (the filesystem store's {@code blobs/}; see
 * {@link BlobStore#list}) older than the object cutoff that no blob row, retired copy or live
 * commit intent names, and staged uploads older than the staging cutoff whose session is gone.
 * Each object is checked against the database when listed, and again right before it is removed
 * ({@link BlobStore#removeUnnamed}: after the store has taken it out of reach of a commit), so
 * that a commit or migration adopting it meanwhile keeps it.
 */
public final class Reconciler {
    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);
    private final BlobPlacements placements;
    private final BackendRouter stores;
    private final Counter blobs;
    private final Counter blobBytes;
    private final Counter staged;
    private final Counter stagedBytes;

    /** What a run removed (or, dry, would remove); {@code kept}: old objects found named or adopted. */
    public record Report(long blobs, long blobBytes, long staged, long stagedBytes, long kept, long failed) {
        @Override
        public String toString() {
            return blobs + " unnamed blobs (" + blobBytes + " bytes), " + staged + " staged uploads without a session ("
                    + stagedBytes + " bytes), " + kept + " kept, " + failed + " failed";
        }
    }

    public Reconciler(BlobPlacements placements, BackendRouter stores, MeterRegistry meters) {
        this.placements = placements;
        this.stores = stores;
        this.blobs = Meters.storageReconciled(meters, "blob");
        this.blobBytes = Meters.storageReconciledBytes(meters, "blob");
        this.staged = Meters.storageReconciled(meters, "staged");
        this.stagedBytes = Meters.storageReconciledBytes(meters, "staged");
        // registered now so that the series exist before the first removal (S3 staging does not list yet)
        Meters.storageReconciled(meters, "multipart");
    }

    /**
     * One pass over every store.
     *
     * @param objectsBefore committed objects last written before this may be removed (now minus the
     *                      grace period {@code storage.deleteAfterSeconds})
     * @param stagedBefore  staged uploads last written before this may be removed (now minus the
     *                      upload time to live)
     * @param dryRun        only report what would be removed
     * @param lines         one line per object removed (or that would be)
     */
    public Mono<Report> reconcile(Instant objectsBefore, Instant stagedBefore, boolean dryRun, Consumer<String> lines) {
        return Mono.defer(() -> {
            // blobs, blob bytes, staged, staged bytes, kept, failed
            AtomicLongArray n = new AtomicLongArray(6);
            String verb = dryRun ? "would remove" : "removed";
            Flux<Void> objects = Flux.fromIterable(stores.backends()).concatMap(backend -> {
                BlobStore store = stores.storeFor(backend);
                return store.list()
                        .filter(o -> o.lastModified().isBefore(objectsBefore))
                        .concatMap(o -> placements.names(backend, o.location(), o.digest())
                                .flatMap(named -> named ? Mono.just(false) : dryRun ? Mono.just(true)
                                        : store.removeUnnamed(o.location(),
                                                placements.names(backend, o.location(), o.digest()).map(x -> !x)))
                                .doOnNext(removed -> {
                                    if (removed) {
                                        n.incrementAndGet(0);
                                        n.addAndGet(1, o.size());
                                        if (!dryRun) {
                                            blobs.increment();
                                            blobBytes.increment(o.size());
                                        }
                                        lines.accept(verb + " blob " + backend + " " + o.location() + " (" + o.size()
                                                + " bytes)");
                                        log.info("reconcile: {} unnamed object {} on {} ({} bytes)", verb, o.location(),
                                                backend, o.size());
                                    } else {
                                        n.incrementAndGet(4);
                                    }
                                })
                                .onErrorResume(e -> failed(n, backend, o, e))
                                .then());
            });
            Set<String> seen = new HashSet<>();
            Flux<Void> uploads = Flux.fromIterable(stores.backends()).concatMap(backend -> {
                BlobStore store = stores.storeFor(backend);
                return store.listStaged()
                        .filter(o -> o.lastModified().isBefore(stagedBefore) && seen.add(o.location()))
                        .concatMap(o -> placements.uploadExists(o.location())
                                // checked again right before: a session never comes back once gone
                                .flatMap(live -> live ? Mono.just(false) : dryRun ? Mono.just(true)
                                        : placements.uploadExists(o.location()).flatMap(again -> again
                                                ? Mono.just(false) : store.abort(o.location()).thenReturn(true)))
                                .doOnNext(removed -> {
                                    if (removed) {
                                        n.incrementAndGet(2);
                                        n.addAndGet(3, o.size());
                                        if (!dryRun) {
                                            staged.increment();
                                            stagedBytes.increment(o.size());
                                        }
                                        lines.accept(verb + " staged upload " + o.location() + " (" + o.size()
                                                + " bytes)");
                                        log.info("reconcile: {} staged upload {} without a session ({} bytes)", verb,
                                                o.location(), o.size());
                                    }
                                })
                                .onErrorResume(e -> failed(n, backend, o, e))
                                .then());
            });
            return objects.thenMany(uploads)
                    .then(Mono.fromSupplier(() -> new Report(n.get(0), n.get(1), n.get(2), n.get(3), n.get(4), n.get(5))))
                    .doOnNext(report -> log.info("reconcile{}: {}", dryRun ? " (dry run)" : "", report));
        });
    }

    private static Mono<Boolean> failed(AtomicLongArray n, String backend, StoredObject o, Throwable e) {
        n.incrementAndGet(5);
        log.warn("reconcile: {} on {} could not be checked or removed; the next run retries: {}", o.location(), backend,
                e.toString());
        return Mono.empty();
    }
}

package io.openregistry.maintenance;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.openregistry.metadata.BlobPlacements;
import io.openregistry.metrics.Meters;
import io.openregistry.storage.BackendRouter;
import io.openregistry.storage.BlobStore;
import io.openregistry.storage.StoredObject;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
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
 * S3 multipart uploads whose session is gone are aborted with their staged upload. Each object is checked against the database when listed, and again right before it is removed
 * ({@link BlobStore#removeUnnamed}: after the store has taken it out of reach of a commit), so
 * that a commit or migration adopting it meanwhile keeps it.
 */
public final class Reconciler {
    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);
    private final BlobPlacements placements;
    private final BackendRouter stores;
    private final Map<StoredObject.Kind, Counter> removed = new EnumMap<>(StoredObject.Kind.class);
    private final Map<StoredObject.Kind, Counter> removedBytes = new EnumMap<>(StoredObject.Kind.class);

    /**
     * What a run removed (or, dry, would remove): unnamed blob objects, staged uploads without a
     * session, multipart uploads without a session (their staged bytes included), with their bytes;
     * {@code kept}: old blob objects found named or adopted; {@code failed}: objects that could not
     * be checked or removed (the next run retries).
     */
    public record Report(long blobs, long blobBytes, long staged, long stagedBytes, long multipart, long kept,
                         long failed) {
        @Override
        public String toString() {
            return blobs + " unnamed blobs (" + blobBytes + " bytes), " + staged + " staged uploads without a session ("
                    + stagedBytes + " bytes), " + multipart + " multipart uploads without a session, " + kept + " kept, "
                    + failed + " failed";
        }
    }

    public Reconciler(BlobPlacements placements, BackendRouter stores, MeterRegistry meters) {
        this.placements = placements;
        this.stores = stores;
        for (StoredObject.Kind kind : StoredObject.Kind.values()) {
            removed.put(kind, Meters.storageReconciled(meters, kind.tag()));
            removedBytes.put(kind, Meters.storageReconciledBytes(meters, kind.tag()));
        }
    }

    /**
     * One pass over every configured store.
     *
     * @param objectsBefore committed objects last written before this may be removed (now minus the
     *                      grace period {@code storage.deleteAfterSeconds})
     * @param stagedBefore  staged and multipart uploads last written (started) before this may be
     *                      removed (now minus the upload time to live)
     * @param dryRun        only report what would be removed
     * @param lines         one line per object removed (or that would be)
     */
    public Mono<Report> reconcile(Instant objectsBefore, Instant stagedBefore, boolean dryRun, Consumer<String> lines) {
        return Mono.defer(() -> {
            // blobs, blob bytes, staged, staged bytes, multipart, kept, failed
            AtomicLongArray n = new AtomicLongArray(7);
            String verb = dryRun ? "would remove" : "removed";
            Flux<Void> objects = Flux.fromIterable(stores.backends()).concatMap(backend -> {
                BlobStore store = stores.storeFor(backend);
                return store.list()
                        .filter(o -> o.lastModified().isBefore(objectsBefore))
                        .concatMap(o -> named(backend, o)
                                .flatMap(named -> named ? Mono.just(false) : dryRun ? Mono.just(true)
                                        : store.removeUnnamed(o.location(), named(backend, o).map(again -> !again)))
                                .doOnNext(gone -> {
                                    if (gone) {
                                        count(n, o, dryRun, verb + " blob " + backend + " " + o.location(), lines);
                                    } else {
                                        n.incrementAndGet(5);
                                    }
                                })
                                .onErrorResume(e -> failed(n, backend, o, e))
                                .then());
            });
            Set<String> seen = new HashSet<>();
            Flux<Void> uploads = Flux.fromIterable(stores.backends()).concatMap(backend -> {
                BlobStore store = stores.storeFor(backend);
                return store.listStaged()
                        .filter(o -> o.lastModified().isBefore(stagedBefore) && seen.add(backend + " " + o.location()))
                        .concatMap(o -> placements.uploadExists(o.location())
                                // checked again right before: a session never comes back once gone
                                .flatMap(live -> live ? Mono.just(false) : dryRun ? Mono.just(true)
                                        : placements.uploadExists(o.location()).flatMap(again -> again
                                                ? Mono.just(false) : store.abort(o.location()).thenReturn(true)))
                                .doOnNext(gone -> {
                                    if (gone) {
                                        count(n, o, dryRun, verb + " " + (o.kind() == StoredObject.Kind.MULTIPART
                                                ? "multipart upload " : "staged upload ") + backend + " "
                                                + o.location(), lines);
                                    }
                                })
                                .onErrorResume(e -> failed(n, backend, o, e))
                                .then());
            });
            return objects.thenMany(uploads)
                    .then(Mono.fromSupplier(() -> new Report(n.get(0), n.get(1), n.get(2), n.get(3), n.get(4), n.get(5),
                            n.get(6))))
                    .doOnNext(report -> log.info("reconcile{}: {}", dryRun ? " (dry run)" : "", report));
        });
    }

    /** Named by a row, a retired copy or a live intent, or adoptable by a session that still exists. */
    private Mono<Boolean> named(String backend, StoredObject o) {
        Mono<Boolean> rows = placements.names(backend, o.location(), o.digest());
        return o.session() == null ? rows
                : rows.flatMap(named -> named ? Mono.just(true) : placements.uploadExists(o.session()));
    }

    private void count(AtomicLongArray n, StoredObject o, boolean dryRun, String line, Consumer<String> lines) {
        int i = switch (o.kind()) {
            case BLOB -> 0;
            case STAGED -> 2;
            case MULTIPART -> 4;
        };
        n.incrementAndGet(i);
        if (o.kind() != StoredObject.Kind.MULTIPART) {
            n.addAndGet(i + 1, o.size());
        }
        if (!dryRun) {
            removed.get(o.kind()).increment();
            removedBytes.get(o.kind()).increment(o.size());
        }
        lines.accept(line + " (" + o.size() + " bytes)");
        log.info("reconcile: {} ({} bytes)", line, o.size());
    }

    private static Mono<Boolean> failed(AtomicLongArray n, String backend, StoredObject o, Throwable e) {
        n.incrementAndGet(6);
        log.warn("reconcile: {} on {} could not be checked or removed; the next run retries: {}", o.location(), backend,
                e.toString());
        return Mono.empty();
    }
}

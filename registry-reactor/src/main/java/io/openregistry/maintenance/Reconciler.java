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
import java.util.List;
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
     * be checked or removed (the next run retries); {@code unnamedPins}: IPFS pins no row names,
     * reported only.
     */
    public record Report(long blobs, long blobBytes, long staged, long stagedBytes, long multipart, long kept,
                         long failed, long unnamedPins) {
        @Override
        public String toString() {
            return blobs + " unnamed blobs (" + blobBytes + " bytes), " + staged + " staged uploads without a session ("
                    + stagedBytes + " bytes), " + multipart + " multipart uploads without a session, " + kept + " kept, "
                    + failed + " failed" + (unnamedPins > 0 ? ", " + unnamedPins + " unnamed IPFS pins reported (never"
                    + " removed)" : "");
        }
    }

    public Reconciler(BlobPlacements placements, BackendRouter stores, MeterRegistry meters) {
        this.placements = placements;
        this.stores = stores;
        for (StoredObject.Kind kind : List.of(StoredObject.Kind.BLOB, StoredObject.Kind.STAGED,
                StoredObject.Kind.MULTIPART)) {
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
            // blobs, blob bytes, staged, staged bytes, multipart, kept, failed, unnamed pins
            AtomicLongArray n = new AtomicLongArray(8);
            String verb = dryRun ? "would remove" : "removed";
            Flux<Void> objects = Flux.fromIterable(stores.backends()).concatMap(backend -> {
                BlobStore store = stores.storeFor(backend);
                return store.list()
                        .onErrorResume(e -> listingFailed(n, backend, e))
                        .filter(o -> o.lastModified().isBefore(objectsBefore))
                        .concatMap(o -> o.kind() == StoredObject.Kind.PIN ? pin(n, backend, o, lines) : named(backend, o)
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
                        .onErrorResume(e -> listingFailed(n, backend, e))
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
                            n.get(6), n.get(7))))
                    .doOnNext(report -> log.info("reconcile{}: {}", dryRun ? " (dry run)" : "", report));
        });
    }

    /**
     * An IPFS pin: reported when nothing names it, never removed. Unsafe to remove: a pin has no
     * owner, so on a node shared with other programs it may be theirs; and a commit or migration
     * adding the same content gets the same CID and finds it pinned already, so unpinning it between
     * that and the row would leave a row whose blocks the node may collect.
     */
    private Mono<Void> pin(AtomicLongArray n, String backend, StoredObject o, Consumer<String> lines) {
        return placements.names(backend, o.location(), null)
                .doOnNext(named -> {
                    if (!named) {
                        n.incrementAndGet(7);
                        lines.accept("unnamed pin " + backend + " " + o.location() + " (reported, not removed)");
                        log.info("reconcile: pin {} on {} is named by no blob row (reported, not removed: pins may"
                                + " belong to other users of the node)", o.location(), backend);
                    }
                })
                .onErrorResume(e -> failed(n, backend, o, e))
                .then();
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
            case MULTIPART, PIN -> 4;
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

    private static Flux<StoredObject> listingFailed(AtomicLongArray n, String backend, Throwable e) {
        n.incrementAndGet(6);
        log.warn("reconcile: listing the objects of {} failed; the next run retries: {}", backend, e.toString());
        return Flux.empty();
    }

    private static Mono<Boolean> failed(AtomicLongArray n, String backend, StoredObject o, Throwable e) {
        n.incrementAndGet(6);
        log.warn("reconcile: {} on {} could not be checked or removed; the next run retries: {}", o.location(), backend,
                e.toString());
        return Mono.empty();
    }
}

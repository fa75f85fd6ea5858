package io.openregistry.maintenance;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.openregistry.metadata.BlobPlacements;
import io.openregistry.metadata.BlobPlacements.Sweep;
import io.openregistry.metrics.Meters;
import io.openregistry.storage.BlobStore;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * The sweeper's step for old copies of migrated blobs: each copy whose grace period has ended is
 * deleted from its backend when {@link BlobPlacements#sweep} finds that safe. A failing backend
 * (or one no longer configured) leaves the entry for the next run.
 */
public final class RetiredSweep {
    private static final Logger log = LoggerFactory.getLogger(RetiredSweep.class);
    private static final int BATCH = 200;
    private final BlobPlacements placements;
    private final BlobStore stores;
    private final Counter deleted;
    private final Counter kept;
    private final Counter deferred;
    private final Counter failed;

    public RetiredSweep(BlobPlacements placements, BlobStore stores, MeterRegistry meters) {
        this.placements = placements;
        this.stores = stores;
        this.deleted = Meters.storageRetired(meters, "deleted");
        this.kept = Meters.storageRetired(meters, "kept");
        this.deferred = Meters.storageRetired(meters, "deferred");
        this.failed = Meters.storageRetired(meters, "failed");
    }

    /** One batch of due copies. @return how many were deleted */
    public Mono<Long> sweep(Instant now) {
        return placements.due(now, BATCH)
                .concatMap(copy -> placements.sweep(copy,
                                () -> Mono.defer(() -> stores.storeFor(copy.backend()).delete(copy.location())))
                        .doOnNext(outcome -> {
                            (outcome == Sweep.DELETED ? deleted : outcome == Sweep.KEPT ? kept : deferred).increment();
                            log.debug("retired copy of {} on {} at {}: {}", copy.digest(), copy.backend(),
                                    copy.location(), outcome);
                        })
                        .onErrorResume(e -> {
                            failed.increment();
                            log.warn("deleting the retired copy of {} on {} at {} failed; the next sweep retries: {}",
                                    copy.digest(), copy.backend(), copy.location(), e.toString());
                            return Mono.empty();
                        }))
                .filter(outcome -> outcome == Sweep.DELETED)
                .count();
    }
}

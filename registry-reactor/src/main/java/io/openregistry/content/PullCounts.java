package io.openregistry.content;

import io.openregistry.metadata.BrowseStore;
import io.openregistry.metadata.BrowseStore.PullKey;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Pull counts (successful manifest GETs on {@code /v2/}) per repository and UTC day: counted in
 * this replica's memory, where a pull costs one map update and no database write, and added to the
 * database in batches ({@link #flush}) every few seconds and at shutdown. A replica killed without
 * a shutdown loses the counts of its last few seconds; a failed flush keeps its counts for the next.
 */
public final class PullCounts {
    /** How often the counts go to the database. */
    public static final Duration FLUSH_EVERY = Duration.ofSeconds(5);
    private static final Logger log = LoggerFactory.getLogger(PullCounts.class);
    private final BrowseStore store;
    private final Clock clock;
    private final ConcurrentHashMap<PullKey, Long> pending = new ConcurrentHashMap<>();

    public PullCounts(BrowseStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Counts one pull of {@code repository} now. */
    public void count(String repository) {
        pending.merge(new PullKey(repository, LocalDate.now(clock)), 1L, Long::sum);
    }

    /**
     * Adds the counts so far to the database. Each key is taken out of the map atomically, so a pull
     * counted meanwhile lands in this batch or the next, never in neither.
     */
    public Mono<Void> flush() {
        return Mono.defer(() -> {
            Map<PullKey, Long> batch = new HashMap<>();
            for (PullKey key : pending.keySet()) {
                Long n = pending.remove(key);
                if (n != null) {
                    batch.put(key, n);
                }
            }
            if (batch.isEmpty()) {
                return Mono.empty();
            }
            return store.addPulls(batch).onErrorResume(e -> {
                // kept for the next flush
                putBack(batch);
                log.warn("pull counts: {} entries not written, kept for the next flush: {}", batch.size(), e.toString());
                return Mono.empty();
            }).doOnCancel(() -> {
                // the timer's flush is cancelled at shutdown: its batch goes back for the final
                // flush (counted twice only if the cancel came between the commit and its answer)
                putBack(batch);
            });
        });
    }

    private void putBack(Map<PullKey, Long> batch) {
        batch.forEach((key, n) -> pending.merge(key, n, Long::sum));
    }

    /** Flushes every {@link #FLUSH_EVERY} on {@code timer} until disposed. */
    public Disposable start(Scheduler timer) {
        return Flux.interval(FLUSH_EVERY, FLUSH_EVERY, timer)
                .onBackpressureDrop()
                .concatMap(tick -> flush(), 1)
                .subscribe();
    }
}

package io.openregistry.metadata.cache;

import com.github.benmanes.caffeine.cache.AsyncCache;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;

/**
 * A read-through view of one Caffeine cache that never serves an answer older than the last
 * invalidation of its key.
 *
 * <p>The rule that makes it so: an entry is put in the map <em>before</em> its database read
 * starts (as a future that the read completes), and every invalidation comes <em>after</em> the
 * change it reports committed. So an invalidation either finds the entry and removes it (the read
 * may have seen the old row; its result is then handed to the callers already waiting for it, who
 * asked before the change was known, and is not kept), or the entry was put after the
 * invalidation and its read sees the change. Concurrent misses of one key share one read. Absent
 * answers are not kept (a future completed with null leaves the map), since creations are never
 * announced.
 *
 * <p>While {@code trusted} is false (the change feed is not listening), lookups go straight to the
 * database and keep nothing; the owner clears the cache when trust is lost and again when it
 * returns. An entry put while trusted but found untrusted right after is taken out again: the
 * clear may have run before it was put.
 */
final class ReadThrough<K, V> {
    /** Longer than any database unit of work may wait for a pooled connection (30 s). */
    static final Duration LOAD_TIMEOUT = Duration.ofSeconds(45);
    private final AsyncCache<K, V> cache;
    private final BooleanSupplier trusted;

    ReadThrough(AsyncCache<K, V> cache, BooleanSupplier trusted) {
        this.cache = cache;
        this.trusted = trusted;
    }

    /** The cached answer for {@code key}, else {@code load}'s (kept unless empty or failed). */
    Mono<V> get(K key, Supplier<Mono<V>> load) {
        if (!trusted.getAsBoolean()) {
            return load.get();
        }
        CompletableFuture<V> mine = new CompletableFuture<>();
        CompletableFuture<V> found = cache.get(key, (k, executor) -> mine);
        if (found == mine) {
            if (!trusted.getAsBoolean()) {
                cache.asMap().remove(key, mine);
            }
            // Subscribed here, not by the caller: a caller that goes away must not cancel the read
            // other callers wait for. Bounded: a read that never ends would otherwise hold the key
            // (a loading entry does not expire) for every later caller.
            Mono.defer(load).timeout(LOAD_TIMEOUT)
                    .subscribe(mine::complete, mine::completeExceptionally, () -> mine.complete(null));
        }
        // suppressCancel: a cancelled caller must not cancel the shared future
        return Mono.fromFuture(found, true);
    }

    void invalidate(K key) {
        cache.synchronous().invalidate(key);
    }

    /** Drops every entry whose key matches, also those still loading. */
    void invalidateIf(Predicate<K> matching) {
        cache.asMap().keySet().removeIf(matching);
    }

    void clear() {
        cache.synchronous().invalidateAll();
    }
}

package io.openregistry.metadata.cache;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.openregistry.config.Config;
import io.openregistry.metadata.BlobIndex;
import io.openregistry.metadata.BlobRecord;
import io.openregistry.metadata.ChangeFeed;
import io.openregistry.metadata.ManifestRecord;
import io.openregistry.metadata.ManifestStore;
import io.openregistry.metrics.Meters;
import io.openregistry.oci.Digest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The in-process cache of the hot lookups of pulls: a manifest by tag or by digest, and a blob's
 * link to a repository. It sits under the services, below every access decision: it only answers
 * what the database would have answered, never who may ask.
 *
 * <p>Correctness rests on two sources of invalidation. Writes through {@link #manifests} and
 * {@link #blobs} invalidate here as soon as they committed, so this replica reads its own writes
 * at once. The {@link ChangeFeed} announces every replica's commits (PostgreSQL LISTEN/NOTIFY,
 * migration V7's triggers), so other replicas' writes are seen as soon as the announcement
 * arrives. When the feed is lost the cache is cleared and bypassed until it listens again
 * (nothing announced in between can be missed); {@code cache.ttlSeconds} bounds the rest.
 * Absent answers are never kept: creations are not announced.
 */
public final class MetadataCache implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetadataCache.class);
    /** What an entry of the manifest cache costs besides its body (keys, record, Caffeine's node). */
    static final int ENTRY_OVERHEAD = 256;

    private final ReadThrough<ManifestKey, ManifestRecord> manifests;
    private final ReadThrough<LinkKey, BlobRecord> links;
    private final Counter notifications;
    private final Counter lost;
    private volatile boolean listening;
    private volatile Disposable subscription;

    /** Keys of the manifest cache: a tag, or a digest, of one repository. */
    sealed interface ManifestKey {
        String repository();
    }

    record TagKey(String repository, String tag) implements ManifestKey {
    }

    record DigestKey(String repository, Digest digest) implements ManifestKey {
    }

    record LinkKey(String repository, Digest digest) {
    }

    public MetadataCache(Config.Cache config, MeterRegistry meters) {
        AsyncCache<ManifestKey, ManifestRecord> manifestCache = Caffeine.newBuilder()
                .maximumWeight(config.maxManifestBytes())
                .weigher((ManifestKey key, ManifestRecord m) -> m.content().length + ENTRY_OVERHEAD)
                .expireAfterWrite(config.ttl())
                .recordStats()
                .buildAsync();
        AsyncCache<LinkKey, BlobRecord> linkCache = Caffeine.newBuilder()
                .maximumSize(config.maxEntries())
                .expireAfterWrite(config.ttl())
                .recordStats()
                .buildAsync();
        CaffeineCacheMetrics.monitor(meters, manifestCache, Meters.CACHE_MANIFESTS);
        CaffeineCacheMetrics.monitor(meters, linkCache, Meters.CACHE_BLOB_LINKS);
        this.manifests = new ReadThrough<>(manifestCache, () -> listening);
        this.links = new ReadThrough<>(linkCache, () -> listening);
        this.notifications = Meters.cacheNotifications(meters);
        this.lost = Meters.cacheListenerLost(meters);
        Meters.cacheListening(meters, () -> listening ? 1 : 0);
    }

    /** {@code store} with its lookups by tag and digest cached and its writes invalidating. */
    public ManifestStore manifests(ManifestStore store) {
        return new CachingManifestStore(store, this);
    }

    /** {@code index} with its repository-link lookups cached and its unlinks invalidating. */
    public BlobIndex blobs(BlobIndex index) {
        return new CachingBlobIndex(index, this);
    }

    /**
     * Follows {@code feed} until {@link #close}: nothing is cached before it first listens.
     * Events are handled off the driver's event loop (clearing the cache may wait for Caffeine's
     * maintenance lock), one at a time and in order.
     */
    public void follow(ChangeFeed feed) {
        subscription = feed.changes()
                .publishOn(Schedulers.boundedElastic())
                .subscribe(this::apply, this::stopped);
    }

    private void apply(ChangeFeed.Change change) {
        if (change instanceof ChangeFeed.TagChanged tag) {
            notifications.increment();
            tagChanged(tag.repository(), tag.tag());
        } else if (change instanceof ChangeFeed.ManifestRemoved manifest) {
            notifications.increment();
            manifestRemoved(manifest.repository(), manifest.digest());
        } else if (change instanceof ChangeFeed.LinkRemoved link) {
            notifications.increment();
            linkRemoved(link.repository(), link.digest());
        } else if (change instanceof ChangeFeed.Listening) {
            // anything kept before may have missed an announcement
            clear();
            if (!listening) {
                listening = true;
                log.info("cache invalidation: listening for changes; caching on");
            }
        } else if (change instanceof ChangeFeed.Lost loss) {
            listening = false;
            clear();
            lost.increment();
            log.warn("cache invalidation: the listening connection was lost ({}); cache cleared and bypassed "
                    + "until it is back", String.valueOf(loss.cause()));
        }
    }

    private void stopped(Throwable error) {
        listening = false;
        clear();
        log.error("cache invalidation: the change feed failed; the cache stays bypassed", error);
    }

    ReadThrough<ManifestKey, ManifestRecord> manifestCache() {
        return manifests;
    }

    ReadThrough<LinkKey, BlobRecord> linkCache() {
        return links;
    }

    void tagChanged(String repository, String tag) {
        manifests.invalidate(new TagKey(repository, tag));
    }

    /**
     * The manifest and every tag of its repository: the tags that pointed at it went with it, and
     * which those are is not known for entries still loading. Deletes are rare; tags reload.
     */
    void manifestRemoved(String repository, Digest digest) {
        manifests.invalidate(new DigestKey(repository, digest));
        manifests.invalidateIf(key -> key instanceof TagKey && key.repository().equals(repository));
    }

    void linkRemoved(String repository, Digest digest) {
        links.invalidate(new LinkKey(repository, digest));
    }

    /**
     * {@code write}, invalidating when it ends, before its caller hears of it: after a success (then
     * committed), but also after a failure or a cancel (a commit may have happened all the same).
     */
    static <T> Mono<T> invalidating(Mono<T> write, Runnable invalidate) {
        return write.doOnSuccess(v -> invalidate.run()).doOnError(e -> invalidate.run()).doOnCancel(invalidate);
    }

    private void clear() {
        manifests.clear();
        links.clear();
    }

    /** Stops following the feed (closing its connection); the cache is then bypassed. */
    @Override
    public void close() {
        listening = false;
        Disposable s = subscription;
        if (s != null) {
            s.dispose();
        }
        clear();
    }
}

package io.openregistry.metadata.cache;

import io.openregistry.metadata.BlobIndex;
import io.openregistry.metadata.BlobRecord;
import io.openregistry.metadata.Collectable;
import io.openregistry.oci.Digest;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A blob's link to a repository (the lookup of every blob HEAD and GET) from the
 * {@link MetadataCache}; an unlink invalidates it once it ended. Commits and mounts only create
 * links, which were not cached as absent; a blob record is only forgotten once no repository
 * links it, so no cached link can name it. Everything else goes to the index.
 */
final class CachingBlobIndex implements BlobIndex {
    private final BlobIndex index;
    private final MetadataCache cache;

    CachingBlobIndex(BlobIndex index, MetadataCache cache) {
        this.index = index;
        this.cache = cache;
    }

    @Override
    public Mono<BlobRecord> findLinked(String repository, Digest digest) {
        return cache.linkCache().get(new MetadataCache.LinkKey(repository, digest),
                () -> index.findLinked(repository, digest));
    }

    @Override
    public Mono<Boolean> unlink(String repository, Digest digest) {
        return MetadataCache.invalidating(index.unlink(repository, digest),
                () -> cache.linkRemoved(repository, digest));
    }

    @Override
    public Mono<BlobRecord> commit(String repository, BlobRecord blob, String uploadId, String intentHolder) {
        return index.commit(repository, blob, uploadId, intentHolder);
    }

    @Override
    public Mono<BlobRecord> find(Digest digest) {
        return index.find(digest);
    }

    @Override
    public Mono<BlobRecord> mount(String repository, Digest digest, String from) {
        return index.mount(repository, digest, from);
    }

    @Override
    public Flux<BlobRecord> orphanedBefore(Instant cutoff, int limit) {
        return index.orphanedBefore(cutoff, limit);
    }

    @Override
    public Mono<Boolean> forget(Digest digest, Instant cutoff) {
        return index.forget(digest, cutoff);
    }

    @Override
    public Mono<Void> forgotten(Digest digest) {
        return index.forgotten(digest);
    }

    @Override
    public Mono<Boolean> intend(Digest digest, String holder, Duration ttl) {
        return index.intend(digest, holder, ttl);
    }

    @Override
    public Mono<Void> dropIntent(Digest digest, String holder) {
        return index.dropIntent(digest, holder);
    }

    @Override
    public Mono<Long> dropExpiredIntents() {
        return index.dropExpiredIntents();
    }

    @Override
    public Flux<Digest> linked(String repository, Collection<Digest> digests) {
        return index.linked(repository, digests);
    }

    @Override
    public Flux<Collectable> unreferencedLinksBefore(Instant cutoff, Collectable after, int limit) {
        return index.unreferencedLinksBefore(cutoff, after, limit);
    }

    @Override
    public Mono<Boolean> unlinkUnreferenced(String repository, Digest digest, Instant cutoff) {
        return MetadataCache.invalidating(index.unlinkUnreferenced(repository, digest, cutoff),
                () -> cache.linkRemoved(repository, digest));
    }
}

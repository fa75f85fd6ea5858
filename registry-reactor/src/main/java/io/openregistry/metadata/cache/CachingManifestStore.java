package io.openregistry.metadata.cache;

import io.openregistry.metadata.Collectable;
import io.openregistry.metadata.ManifestEdge;
import io.openregistry.metadata.ManifestRecord;
import io.openregistry.metadata.ManifestReferences;
import io.openregistry.metadata.ManifestStore;
import io.openregistry.metadata.Page;
import io.openregistry.oci.Digest;
import java.time.Instant;
import java.util.Collection;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Manifests by tag and by digest from the {@link MetadataCache}; every write invalidates what it
 * may have changed once it ended (committed, failed or cancelled: a failure may still have
 * committed; and whether it changed anything at all is not worth asking). Listings
 * and referrers are not cached.
 */
final class CachingManifestStore implements ManifestStore {
    private final ManifestStore store;
    private final MetadataCache cache;

    CachingManifestStore(ManifestStore store, MetadataCache cache) {
        this.store = store;
        this.cache = cache;
    }

    @Override
    public Mono<Void> put(ManifestRecord manifest, String tag, ManifestReferences references) {
        // a stored digest never changes (same digest, same bytes); only the tag may have moved
        return tag == null ? store.put(manifest, null, references)
                : MetadataCache.invalidating(store.put(manifest, tag, references),
                        () -> cache.tagChanged(manifest.repository(), tag));
    }

    @Override
    public Mono<ManifestRecord> get(String repository, Digest digest) {
        return cache.manifestCache().get(new MetadataCache.DigestKey(repository, digest),
                () -> store.get(repository, digest));
    }

    @Override
    public Mono<ManifestRecord> getByTag(String repository, String tag) {
        return cache.manifestCache().get(new MetadataCache.TagKey(repository, tag),
                () -> store.getByTag(repository, tag));
    }

    @Override
    public Mono<Boolean> deleteTag(String repository, String tag) {
        return MetadataCache.invalidating(store.deleteTag(repository, tag), () -> cache.tagChanged(repository, tag));
    }

    @Override
    public Mono<Boolean> delete(String repository, Digest digest) {
        return MetadataCache.invalidating(store.delete(repository, digest),
                () -> cache.manifestRemoved(repository, digest));
    }

    @Override
    public Flux<Digest> existing(String repository, Collection<Digest> digests) {
        return store.existing(repository, digests);
    }

    @Override
    public Mono<Page> tags(String repository, String last, int n) {
        return store.tags(repository, last, n);
    }

    @Override
    public Flux<ManifestEdge> edges(String repository, Digest manifest) {
        return store.edges(repository, manifest);
    }

    @Override
    public Mono<Boolean> blobReferenced(Digest digest) {
        return store.blobReferenced(digest);
    }

    @Override
    public Flux<ManifestRecord> referrers(String repository, Digest subject, String artifactType) {
        return store.referrers(repository, subject, artifactType);
    }

    @Override
    public Flux<Collectable> untaggedBefore(Instant cutoff, Collectable after, int limit) {
        return store.untaggedBefore(cutoff, after, limit);
    }

    @Override
    public Mono<Boolean> deleteUntagged(String repository, Digest digest, Instant cutoff) {
        return MetadataCache.invalidating(store.deleteUntagged(repository, digest, cutoff),
                () -> cache.manifestRemoved(repository, digest));
    }
}

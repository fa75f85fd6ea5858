package io.openregistry.metadata;

import io.openregistry.oci.Digest;
import java.time.Instant;
import java.util.Collection;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Manifests, tags and the referrers index of each repository. */
public interface ManifestStore {

    /**
     * In one transaction: creates the repository if needed; checks that every blob
     * {@code references} requires is linked to the repository and not being deleted, and that
     * every child manifest is stored in it, holding their rows' locks until the end, so that a
     * concurrent unlink, manifest delete or collection of them either happens before (and the put
     * fails) or after (and sees the manifest's edges); stores the manifest unless that digest is
     * already stored in the repository (same bytes by definition); records its edges in the
     * content graph (config, layers, children, subject; a subject need not exist); clears the
     * orphaned mark of every blob it names; and points {@code tag} at it when {@code tag} is not
     * null. Concurrent puts to the same tag are safe; the last one wins.
     *
     * @return completes empty, or fails with {@link MissingReferenceException} (the blob first,
     *         then the manifest, with the smallest missing digest) and then nothing was written
     */
    Mono<Void> put(ManifestRecord manifest, String tag, ManifestReferences references);

    /** {@link #put(ManifestRecord, String, ManifestReferences)} of a manifest that names nothing but perhaps a subject. */
    default Mono<Void> put(ManifestRecord manifest, String tag) {
        return put(manifest, tag, ManifestReferences.NONE);
    }

    Mono<ManifestRecord> get(String repository, Digest digest);

    Mono<ManifestRecord> getByTag(String repository, String tag);

    /** Removes only the tag. @return whether it existed */
    Mono<Boolean> deleteTag(String repository, String tag);

    /**
     * Removes the manifest, every tag pointing at it and its edges; in the same transaction, each
     * blob it named that no repository links and no other manifest names is marked orphaned (the
     * collector's to delete after the grace period). @return whether it existed
     */
    Mono<Boolean> delete(String repository, Digest digest);

    /** Those of {@code digests} that are manifests stored in {@code repository}. */
    Flux<Digest> existing(String repository, Collection<Digest> digests);

    /**
     * Up to {@code n} tags of the repository in lexical (byte) order, after {@code last} when not
     * null; empty if the repository does not exist.
     */
    Mono<Page> tags(String repository, String last, int n);

    /** The edges of the content graph from a stored manifest (empty when it is not stored). */
    Flux<ManifestEdge> edges(String repository, Digest manifest);

    /**
     * Whether any stored manifest, in any repository, names {@code digest} as its config or a
     * layer: such a blob's bytes are never deleted. One indexed lookup.
     */
    Mono<Boolean> blobReferenced(Digest digest);

    /** Manifests in {@code repository} whose subject is {@code subject}, optionally of one artifact type. */
    Flux<ManifestRecord> referrers(String repository, Digest subject, String artifactType);

    /**
     * Up to {@code limit} manifests, after {@code after} (null: from the start) in (repository,
     * digest) order, that garbage collection may delete: stored before {@code cutoff}, no tag
     * points at them, no stored index of their repository names them as a child, and they are not
     * a referrer whose subject is stored in their repository.
     */
    Flux<Collectable> untaggedBefore(Instant cutoff, Collectable after, int limit);

    /**
     * {@link #delete} of a manifest, only if it is still what {@link #untaggedBefore} lists, tested
     * under the manifest's row lock (so a tag or index put that locked it first is seen, and one
     * that comes after finds it gone and stores it again or fails cleanly). @return whether it was deleted
     */
    Mono<Boolean> deleteUntagged(String repository, Digest digest, Instant cutoff);
}

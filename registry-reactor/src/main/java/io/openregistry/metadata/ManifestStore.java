package io.openregistry.metadata;

import io.openregistry.oci.Digest;
import java.util.Collection;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Manifests, tags and the referrers index of each repository. */
public interface ManifestStore {

    /**
     * In one transaction: creates the repository if needed, stores the manifest unless that
     * digest is already stored in the repository (same bytes by definition), and points
     * {@code tag} at it when {@code tag} is not null. Concurrent puts to the same tag are safe;
     * the last one wins.
     */
    Mono<Void> put(ManifestRecord manifest, String tag);

    Mono<ManifestRecord> get(String repository, Digest digest);

    Mono<ManifestRecord> getByTag(String repository, String tag);

    /** Removes only the tag. @return whether it existed */
    Mono<Boolean> deleteTag(String repository, String tag);

    /** Removes the manifest and every tag pointing at it. @return whether it existed */
    Mono<Boolean> delete(String repository, Digest digest);

    /** Those of {@code digests} that are manifests stored in {@code repository}. */
    Flux<Digest> existing(String repository, Collection<Digest> digests);

    /**
     * Up to {@code n} tags of the repository in lexical (byte) order, after {@code last} when not
     * null; empty if the repository does not exist.
     */
    Mono<Page> tags(String repository, String last, int n);

    /** Manifests in {@code repository} whose subject is {@code subject}, optionally of one artifact type. */
    Flux<ManifestRecord> referrers(String repository, Digest subject, String artifactType);
}

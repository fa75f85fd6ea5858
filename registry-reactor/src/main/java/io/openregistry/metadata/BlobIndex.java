package io.openregistry.metadata;

import io.openregistry.oci.Digest;
import java.time.Instant;
import java.util.Collection;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Which blobs exist, where their bytes are, and which repositories may serve them. A blob is only
 * pullable from a repository it was pushed or mounted to.
 */
public interface BlobIndex {

    /**
     * In one transaction: records {@code blob} unless a blob with that digest is already known
     * (the existing record wins), creates the repository if needed, links the blob to it, and
     * deletes the upload session {@code uploadId} if not null. Safe to call concurrently for the
     * same digest and repository.
     *
     * @return the stored record (the existing one if the digest was known)
     */
    Mono<BlobRecord> commit(String repository, BlobRecord blob, String uploadId);

    /** The blob if it is known at all (any repository). */
    Mono<BlobRecord> find(Digest digest);

    /** The blob if it is linked to {@code repository}. */
    Mono<BlobRecord> findLinked(String repository, Digest digest);

    /**
     * Links a blob already linked to {@code from} to {@code repository} too (cross-repository
     * mount), creating {@code repository} if needed.
     *
     * @return the record, or empty if the blob is not linked to {@code from}
     */
    Mono<BlobRecord> mount(String repository, Digest digest, String from);

    /**
     * Removes the link between the blob and the repository; when it was the last link, the blob is
     * marked orphaned (now). A later {@link #commit} or {@link #mount} of it clears the mark.
     *
     * @return whether a link was removed
     */
    Mono<Boolean> unlink(String repository, Digest digest);

    /** Up to {@code limit} blobs orphaned before {@code cutoff}, oldest first. */
    Flux<BlobRecord> orphanedBefore(Instant cutoff, int limit);

    /**
     * Deletes the blob's record if it is still orphaned since before {@code cutoff} and no
     * repository links it. @return whether it was deleted (then its bytes may be removed)
     */
    Mono<Boolean> forget(Digest digest, Instant cutoff);

    /** Those of {@code digests} that are linked to {@code repository}. */
    Flux<Digest> linked(String repository, Collection<Digest> digests);
}

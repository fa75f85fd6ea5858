package io.openregistry.metadata;

import io.openregistry.oci.Digest;
import java.time.Duration;
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
     * deletes the upload session {@code uploadId} if not null, and the commit intent
     * ({@link #intend}) of the blob's digest held by {@code intentHolder} if not null (once the blob
     * is linked, the link keeps the collector away, and the intent's own statement is saved). Safe
     * to call concurrently for the same digest and repository.
     *
     * @return the stored record (the existing one if the digest was known)
     */
    Mono<BlobRecord> commit(String repository, BlobRecord blob, String uploadId, String intentHolder);

    /** The blob if it is known at all (any repository) and not being deleted. */
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
     * Removes the link between the blob and the repository; when it was the last link and no
     * stored manifest anywhere names the blob (the content graph), the blob is marked orphaned
     * (now). A later {@link #commit} or {@link #mount} of it, or a manifest put naming it, clears
     * the mark.
     *
     * @return whether a link was removed
     */
    Mono<Boolean> unlink(String repository, Digest digest);

    /** Up to {@code limit} blobs orphaned before {@code cutoff}, oldest first. */
    Flux<BlobRecord> orphanedBefore(Instant cutoff, int limit);

    /**
     * Marks the blob's record <em>deleting</em> if it is still orphaned since before {@code cutoff},
     * no repository links it, no stored manifest names it and no live commit intent
     * ({@link #intend}) exists for its digest (one linked or named after all loses its orphaned
     * mark); a
     * record already marked (a deletion that did not finish) counts as marked. The check and the
     * mark hold the blob's row lock, which {@link #intend} also takes, so an intent is either seen
     * here or sees the mark. @return whether it is marked (then its bytes may be removed, and
     * {@link #forgotten} called once they are gone)
     */
    Mono<Boolean> forget(Digest digest, Instant cutoff);

    /** Deletes the record of a blob marked deleting by {@link #forget}, once its bytes are gone. */
    Mono<Void> forgotten(Digest digest);

    /**
     * Records, in its own transaction, that {@code holder} is about to commit {@code digest}: until
     * {@code ttl} from now (database time) the collector will not start deleting that digest
     * (calling it again extends the intent). Then reads, under the blob's row lock, whether a
     * deletion already started.
     *
     * @return true when the commit may go ahead; false while the digest's bytes are being deleted
     *         (wait until this turns true: the record is gone and fresh bytes must be stored)
     */
    Mono<Boolean> intend(Digest digest, String holder, Duration ttl);

    /** Removes {@code holder}'s intent for {@code digest} (the commit ended, either way). */
    Mono<Void> dropIntent(Digest digest, String holder);

    /** Removes every expired intent (left by replicas that died mid-commit). @return how many */
    Mono<Long> dropExpiredIntents();

    /** Those of {@code digests} that are linked to {@code repository}. */
    Flux<Digest> linked(String repository, Collection<Digest> digests);

    /**
     * Up to {@code limit} links, after {@code after} (null: from the start) in (repository, digest)
     * order, made (pushed or mounted, the latest time) before {@code cutoff}, of blobs that no
     * stored manifest of that repository names as config or layer; the size is the blob's.
     */
    Flux<Collectable> unreferencedLinksBefore(Instant cutoff, Collectable after, int limit);

    /**
     * {@link #unlink} of a link, only if it is still what {@link #unreferencedLinksBefore} lists,
     * tested under the blob's and then the link's row lock (a manifest put holding the link first
     * is seen; one that comes after finds the link gone and fails). @return whether it was removed
     */
    Mono<Boolean> unlinkUnreferenced(String repository, Digest digest, Instant cutoff);
}

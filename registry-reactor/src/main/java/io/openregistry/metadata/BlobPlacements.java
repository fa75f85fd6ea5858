package io.openregistry.metadata;

import io.openregistry.oci.Digest;
import java.time.Instant;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Where blob bytes are placed, for the storage maintenance commands: which backend each blob is
 * recorded on, moving a blob's record to a new copy (migration), and the old copies waiting for
 * their grace period to end before they are deleted ({@code retired_objects}).
 *
 * <p>Moving a record and deleting a retired copy respect the collector's protocol (see
 * {@code upload.BlobCollector}): both take the blob's row lock and stand back while a commit of the
 * digest holds a live intent, since a commit may reuse or delete bytes at a content-addressed
 * location.
 */
public interface BlobPlacements {

    /** How many blobs are recorded on one backend. */
    record BackendCount(String backend, long blobs) {
    }

    /** An old copy of a blob, to be deleted from {@code backend} once {@code retireAfter} has passed. */
    record Retired(String backend, String location, Digest digest, Instant retireAfter) {
    }

    /** What {@link #relocate} did. */
    enum Relocation {
        /** The record names the new copy; the old one is retired. */
        MOVED,
        /** A commit of the digest is under way: nothing changed; try again later. */
        BUSY,
        /** The record no longer names the old copy (moved, re-pushed or collected): nothing changed. */
        CHANGED
    }

    /** What {@link #sweep} did with a retired copy. */
    enum Sweep {
        /** The bytes were deleted and the entry removed. */
        DELETED,
        /**
         * The entry was removed and the bytes kept: a record names that copy again, or the blob is no
         * longer recorded at all (a commit might adopt bytes at a content-addressed location at any
         * moment then, so they are left to the reconciliation of unnamed storage objects).
         */
        KEPT,
        /** Nothing changed (a commit or a collection of the digest is under way); the next sweep retries. */
        DEFERRED
    }

    /** The number of blobs on each backend (one query; for the startup check of the configured backends). */
    Flux<BackendCount> countByBackend();

    /**
     * Up to {@code limit} blobs not being deleted, in digest order, after {@code after} (null: from
     * the first); when {@code notOn} is not null, only those recorded on another backend.
     */
    Flux<BlobRecord> page(Digest after, String notOn, int limit);

    /**
     * Every blob {@link #page} would give, one page of {@code pageSize} at a time (keyset by
     * digest), so that a long walk holds no more than a page and sees rows added behind it.
     */
    default Flux<BlobRecord> all(String notOn, int pageSize) {
        return Flux.defer(() -> {
            Digest[] last = {null};
            return Mono.defer(() -> page(last[0], notOn, pageSize).collectList())
                    .repeat()
                    .takeUntil(page -> page.size() < pageSize)
                    .concatMapIterable(page -> {
                        if (!page.isEmpty()) {
                            last[0] = page.get(page.size() - 1).digest();
                        }
                        return page;
                    });
        });
    }

    /** Up to {@code n} blobs not being deleted, chosen at random. */
    Flux<BlobRecord> sample(int n);

    /**
     * In one transaction, under the blob's row lock: if the record still names {@code from}'s
     * backend and location, is not being deleted, and no live commit intent exists for the digest,
     * points it at {@code backend} and {@code location} and records the old copy as retired until
     * {@code retireAfter}.
     */
    Mono<Relocation> relocate(BlobRecord from, String backend, String location, Instant retireAfter);

    /** Records a copy no record names (a migration's copy that lost to a change) as retired. */
    Mono<Void> retire(Retired copy);

    /** Up to {@code limit} retired copies whose time has come, oldest first. */
    Flux<Retired> due(Instant now, int limit);

    /**
     * Deletes a retired copy if it is still safe: in one transaction holding the blob's row lock
     * (so that no commit of the digest starts meanwhile) the record must exist, name another copy,
     * not be being deleted, and no live commit intent may exist; then {@code deleteBytes} runs and
     * the entry is removed. A transaction retried after a conflict runs {@code deleteBytes} again,
     * so it must be idempotent (deleting what is gone succeeds).
     */
    Mono<Sweep> sweep(Retired copy, Supplier<Mono<Void>> deleteBytes);

    /**
     * Whether the database names a stored object, in one snapshot: a retired copy at
     * ({@code backend}, {@code location}), and either a blob row of {@code digest} or a live commit
     * intent for it (a content-addressed object, {@code digest} not null) or a blob row at that
     * location (otherwise). The reconciliation of unnamed storage objects keeps every named one.
     */
    Mono<Boolean> names(String backend, String location, Digest digest);

    /** Whether an upload session with this id exists (its staged bytes are then not to be removed). */
    Mono<Boolean> uploadExists(String uploadId);
}

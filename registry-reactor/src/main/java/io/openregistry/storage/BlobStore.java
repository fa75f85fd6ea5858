package io.openregistry.storage;

import io.netty.buffer.ByteBuf;
import io.openregistry.oci.Digest;
import java.net.URI;
import java.util.Optional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Where blob bytes live: the seam every storage backend (filesystem, IPFS, S3) implements, and that
 * {@code BlobStoreContract} tests. The database, not the store, knows which blobs exist; a store
 * only holds bytes under locations it hands out.
 *
 * <p>An upload is staged under its upload id by one or more {@link #append} calls (one per PATCH
 * or PUT body), then made visible by {@link #commit} once the registry has verified its digest.
 * Nothing staged is ever readable through {@link #read}. All methods are non-blocking; a backend
 * that must block does so on its own bounded scheduler.
 */
public interface BlobStore {

    /** A short, stable name of the backend, stored with each blob ({@code filesystem}, {@code ipfs}, {@code s3}). */
    String backend();

    /** Completes when the backend answers; errors with a readable message otherwise. */
    Mono<Void> check();

    /**
     * Appends {@code data} to the staged upload {@code uploadId}, starting at byte {@code offset}
     * (0 creates the staging area). Staged bytes beyond {@code offset} from an earlier failed
     * attempt are discarded first. The store releases every buffer it receives, exactly once, and
     * requests the next buffer only when the previous one is written (backpressure). Buffers are
     * delivered on a thread where blocking I/O is permitted.
     *
     * <p>If {@code data} errors or is cancelled, or writing fails, the staged upload is rolled
     * back to {@code offset} and the returned Mono errors. Except when {@code data} errors with a
     * {@link LeaseLostException}: the caller lost its claim on the upload, so the store leaves the
     * staged upload as it is (no rollback) and errors with that exception.
     *
     * @return the staged length after the append
     */
    Mono<Long> append(String uploadId, long offset, Flux<ByteBuf> data);

    /**
     * {@link #append(String, long, Flux)} of a body whose length is known beforehand ({@code length},
     * which the caller guarantees: {@code data} errors when it ends with any other count), or -1;
     * a store may take a faster path when it knows the length.
     */
    default Mono<Long> append(String uploadId, long offset, Flux<ByteBuf> data, long length) {
        return append(uploadId, offset, data);
    }

    /**
     * Reads the first {@code length} staged bytes of an upload (to rebuild a running digest);
     * errors when fewer bytes are staged.
     */
    Flux<ByteBuf> readStaged(String uploadId, long length);

    /**
     * Makes the staged upload durable and visible under a location derived from {@code digest}
     * and removes the staging area. Committing content that is already stored is not an error.
     * Errors when {@code size} differs from the staged length.
     *
     * @return the location (or content id) to record in the database with the blob
     */
    Mono<String> commit(String uploadId, Digest digest, long size);

    /** Discards a staged upload; completes normally if there is nothing to discard. */
    Mono<Void> abort(String uploadId);

    /**
     * Streams {@code length} bytes of a committed blob from {@code offset}, reading only as fast as
     * the subscriber requests. Subscribers release the buffers. A range outside the blob is an
     * {@link IllegalArgumentException}.
     */
    Flux<ByteBuf> read(String location, long offset, long length);

    /**
     * Like {@link #read(String, long, long)}, for a blob known to have {@code digest} and
     * {@code size}: a backend that cannot vouch for its bytes (IPFS) re-hashes a whole-blob read and
     * errors instead of completing when they differ. Pulls use this one.
     */
    default Flux<ByteBuf> read(String location, Digest digest, long size, long offset, long length) {
        return read(location, offset, length);
    }

    /**
     * What to send for {@code length} bytes from {@code offset} of a committed blob known to have
     * {@code digest} and {@code size}: by default a {@link BlobContent.Stream} of
     * {@link #read(String, Digest, long, long, long)}; a store holding the blob in a local file
     * opens a {@link BlobContent.FileRegion} of it (off the caller's thread) so that pulls use
     * zero-copy transfer. Pulls use this one; a range outside the blob is an
     * {@link IllegalArgumentException}.
     */
    default Mono<BlobContent> content(String location, Digest digest, long size, long offset, long length) {
        return Mono.fromSupplier(() -> new BlobContent.Stream(read(location, digest, size, offset, length)));
    }

    /** A URL clients may be redirected to instead of streaming through the registry, if configured. */
    default Optional<URI> redirect(String location) {
        return Optional.empty();
    }

    /** Removes a committed blob; completes normally if it is already gone. */
    Mono<Void> delete(String location);

    /**
     * The committed objects this store wrote itself (only locations of its own layout, never
     * foreign objects beside them), streamed with bounded memory, for the reconciliation of objects
     * no database row names. Empty for a store that cannot list safely (the default).
     */
    default Flux<StoredObject> list() {
        return Flux.empty();
    }

    /**
     * Removes an object no database row names, safely against a commit or migration that adopts
     * the same content-addressed location at this very moment: the store first takes the object out
     * of reach (so that a commit starting now stores fresh bytes), then runs {@code stillUnnamed}
     * and deletes the object only if it answers true, else puts it back. The default keeps every
     * object (a store without such a protocol cannot remove safely).
     *
     * @return whether the object was removed
     */
    default Mono<Boolean> removeUnnamed(String location, Mono<Boolean> stillUnnamed) {
        return Mono.just(false);
    }

    /**
     * The staged uploads this store keeps (location: the upload id), for the removal of staged
     * uploads whose session is gone ({@link #abort} removes one). Empty by default.
     */
    default Flux<StoredObject> listStaged() {
        return Flux.empty();
    }

    /**
     * The store that holds the blobs recorded with {@code backend} (the {@link #backend()} name
     * stored with each blob): this one for its own name; a store that routes among several
     * backends ({@link BackendRouter}) returns the one configured for it. Every read, redirect and
     * delete of a recorded blob goes through the store this returns, so that blobs stay readable
     * when {@code storage.driver} changes.
     *
     * @throws BackendUnavailableException when no store for {@code backend} is configured here
     */
    default BlobStore storeFor(String backend) {
        if (backend().equals(backend)) {
            return this;
        }
        throw new BackendUnavailableException(backend);
    }
}

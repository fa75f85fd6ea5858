package io.openregistry.storage;

import io.netty.buffer.ByteBuf;
import io.openregistry.oci.Digest;
import java.net.URI;
import java.util.Optional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A remote home for blobs: an S3-compatible bucket or an IPFS node, read, verified and deleted
 * through {@link io.openregistry.storage.remote.RemoteBlobStore}. Where uploads are staged is the
 * {@link UploadStaging}'s business: IPFS stages in the shared directory and {@link #put}s only
 * verified bytes; S3 stages in its bucket, under keys no client can reach before the database
 * records them.
 *
 * <p>All methods are non-blocking and must time out rather than hang when the backend does not
 * answer.
 */
public interface ObjectBackend {

    /** The backend name stored with each blob ({@code s3}, {@code ipfs}). */
    String name();

    /** Completes when the backend answers and is usable; errors with a message an operator can act on. */
    Mono<Void> check();

    /**
     * Stores {@code size} bytes of verified content with the given digest, consuming
     * {@code content} with backpressure and bounded buffering, releasing every buffer.
     * Storing content that is already there is fine.
     *
     * @return the location to record: the object key (S3) or the CID (IPFS)
     */
    Mono<String> put(Digest digest, long size, Flux<ByteBuf> content);

    /**
     * Streams {@code length} bytes from {@code offset} of a stored blob ({@code size} may be -1 when
     * unknown), erroring on a short read. Digests are checked by the caller
     * ({@link io.openregistry.storage.remote.RemoteBlobStore}), once, for every backend.
     */
    Flux<ByteBuf> get(String location, long offset, long length, long size);

    /** Removes (S3) or unpins (IPFS) a blob; completes normally if it is already gone. */
    Mono<Void> delete(String location);

    /** A URL a client may fetch the blob from directly (presigned URL, gateway), if configured. */
    default Optional<URI> redirect(String location) {
        return Optional.empty();
    }

    /** {@link BlobStore#list}: the objects of this backend's own layout. Empty by default. */
    default Flux<StoredObject> list() {
        return Flux.empty();
    }

    /** {@link BlobStore#removeUnnamed}. Keeps the object by default. */
    default Mono<Boolean> removeUnnamed(String location, Mono<Boolean> stillUnnamed) {
        return Mono.just(false);
    }
}

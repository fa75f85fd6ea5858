package io.openregistry.storage;

import io.netty.buffer.ByteBuf;
import io.openregistry.oci.Digest;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Where a remote store keeps uploads in progress, and how it turns one into a stored blob: the
 * staging half of the {@link BlobStore} contract ({@code append}, {@code readStaged},
 * {@code commit}, {@code abort}, with the same meaning there), for
 * {@link io.openregistry.storage.remote.RemoteBlobStore}. Every replica must reach the same
 * staging place: any request of an upload may land on any replica.
 *
 * <p>Two implementations: the IPFS store stages in the shared {@code storage.root} and adds the
 * verified bytes at commit; the S3 store stages in the bucket itself, as a multipart upload that
 * its commit completes.
 */
public interface UploadStaging {

    /** Completes when the staging place is usable. */
    Mono<Void> check();

    /** {@link BlobStore#append}. */
    Mono<Long> append(String uploadId, long offset, Flux<ByteBuf> data);

    /** {@link BlobStore#append(String, long, Flux, long)}. */
    default Mono<Long> append(String uploadId, long offset, Flux<ByteBuf> data, long length) {
        return append(uploadId, offset, data);
    }

    /** {@link BlobStore#readStaged}. */
    Flux<ByteBuf> readStaged(String uploadId, long length);

    /** {@link BlobStore#commit}: the staged bytes become the blob; @return its location. */
    Mono<String> commit(String uploadId, Digest digest, long size);

    /** {@link BlobStore#abort}. */
    Mono<Void> abort(String uploadId);

    /**
     * {@link BlobStore#listStaged}: the staged uploads (and, for S3, their multipart uploads) this
     * staging place holds, each with its upload id as location. Empty by default (a staging place
     * shared with another store lists there).
     */
    default Flux<StoredObject> list() {
        return Flux.empty();
    }
}

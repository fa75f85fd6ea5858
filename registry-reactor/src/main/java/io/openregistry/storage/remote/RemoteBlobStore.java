package io.openregistry.storage.remote;

import io.netty.buffer.ByteBuf;
import io.openregistry.oci.Digest;
import io.openregistry.storage.BlobStore;
import io.openregistry.storage.ObjectBackend;
import io.openregistry.storage.fs.FilesystemBlobStore;
import java.net.URI;
import java.util.Optional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A {@link BlobStore} whose blobs live in an {@link ObjectBackend} (S3, IPFS). Uploads, which may
 * span many PATCH requests and must be verified before anything becomes visible, are staged on
 * local disk by a {@link FilesystemBlobStore}; at commit the verified bytes stream from the staging
 * file to the backend with backpressure, and the staging file is removed.
 */
public final class RemoteBlobStore implements BlobStore {
    private final FilesystemBlobStore staging;
    private final ObjectBackend backend;
    private final boolean redirect;

    /**
     * @param staging  local staging for uploads (its committed-blob area is unused)
     * @param backend  where committed blobs go
     * @param redirect whether pulls are redirected to the backend's URL when it offers one
     */
    public RemoteBlobStore(FilesystemBlobStore staging, ObjectBackend backend, boolean redirect) {
        this.staging = staging;
        this.backend = backend;
        this.redirect = redirect;
    }

    @Override
    public String backend() {
        return backend.name();
    }

    @Override
    public Mono<Void> check() {
        return staging.check().then(backend.check());
    }

    @Override
    public Mono<Long> append(String uploadId, long offset, Flux<ByteBuf> data) {
        return staging.append(uploadId, offset, data);
    }

    @Override
    public Flux<ByteBuf> readStaged(String uploadId, long length) {
        return staging.readStaged(uploadId, length);
    }

    @Override
    public Mono<String> commit(String uploadId, Digest digest, long size) {
        return backend.put(digest, size, staging.readStaged(uploadId, size))
                .flatMap(location -> staging.abort(uploadId).thenReturn(location));
    }

    @Override
    public Mono<Void> abort(String uploadId) {
        return staging.abort(uploadId);
    }

    @Override
    public Flux<ByteBuf> read(String location, long offset, long length) {
        return backend.get(location, null, offset, length, -1);
    }

    @Override
    public Flux<ByteBuf> read(String location, Digest digest, long size, long offset, long length) {
        return backend.get(location, digest, offset, length, size);
    }

    @Override
    public Optional<URI> redirect(String location) {
        return redirect ? backend.redirect(location) : Optional.empty();
    }

    @Override
    public Mono<Void> delete(String location) {
        return backend.delete(location);
    }
}

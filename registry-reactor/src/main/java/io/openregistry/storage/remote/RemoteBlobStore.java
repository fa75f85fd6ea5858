package io.openregistry.storage.remote;

import io.netty.buffer.ByteBuf;
import io.openregistry.oci.Digest;
import io.openregistry.storage.BlobStore;
import io.openregistry.storage.Buffers;
import io.openregistry.storage.ObjectBackend;
import io.openregistry.storage.StoredObject;
import io.openregistry.storage.UploadStaging;
import io.openregistry.storage.staging.LocalStaging;
import java.net.URI;
import java.security.MessageDigest;
import java.util.concurrent.atomic.AtomicReference;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A {@link BlobStore} whose blobs live in an {@link ObjectBackend} (S3, IPFS). Uploads, which may
 * span many PATCH requests on any replica and must be verified before anything becomes visible,
 * are kept by an {@link UploadStaging} every replica reaches: for IPFS a {@link LocalStaging} in
 * the shared {@code storage.root} whose verified bytes stream to the backend at commit
 * ({@link #stagedIn(LocalStaging, ObjectBackend)}); for S3 the bucket itself (a multipart upload).
 * Reads, whole-blob verification, redirects and deletes are the same for both.
 */
public final class RemoteBlobStore implements BlobStore {
    private static final Logger log = LoggerFactory.getLogger(RemoteBlobStore.class);
    private final UploadStaging staging;
    private final ObjectBackend backend;
    private final boolean redirect;

    /**
     * @param staging  where uploads are staged and how they are committed
     * @param backend  where committed blobs are read from and deleted
     * @param redirect whether pulls are redirected to the backend's URL when it offers one
     */
    public RemoteBlobStore(UploadStaging staging, ObjectBackend backend, boolean redirect) {
        this.staging = staging;
        this.backend = backend;
        this.redirect = redirect;
    }

    /**
     * Staging in a local (shared) directory: at commit the staged length is checked against the
     * size, the verified bytes stream from the staging file to {@code backend.put} with
     * backpressure, then the staging file is removed.
     */
    public static UploadStaging stagedIn(LocalStaging staging, ObjectBackend backend) {
        return new UploadStaging() {
            @Override
            public Mono<Void> check() {
                return staging.check();
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
                return staging.stagedLength(uploadId)
                        .flatMap(staged -> staged == size ? backend.put(digest, size, staging.readStaged(uploadId, size))
                                : Mono.error(new IllegalStateException("upload " + uploadId + " has " + staged
                                        + " bytes staged, not the " + size + " being committed")))
                        .flatMap(location -> staging.abort(uploadId).thenReturn(location));
            }

            @Override
            public Mono<Void> abort(String uploadId) {
                return staging.abort(uploadId);
            }

            @Override
            public String toString() {
                return staging.toString();
            }
        };
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
    public Mono<Long> append(String uploadId, long offset, Flux<ByteBuf> data, long length) {
        return staging.append(uploadId, offset, data, length);
    }

    @Override
    public Flux<ByteBuf> readStaged(String uploadId, long length) {
        return staging.readStaged(uploadId, length);
    }

    @Override
    public Mono<String> commit(String uploadId, Digest digest, long size) {
        return staging.commit(uploadId, digest, size);
    }

    @Override
    public Mono<Void> abort(String uploadId) {
        return staging.abort(uploadId);
    }

    @Override
    public Flux<ByteBuf> read(String location, long offset, long length) {
        return backend.get(location, offset, length, -1);
    }

    /**
     * A whole-blob read is verified here, for every backend: the bytes are hashed as they stream
     * and a short, long or corrupted transfer ends in an error instead of completing, so a client
     * never receives a wrong blob as a good one (the HTTP layer then aborts the connection).
     */
    @Override
    public Flux<ByteBuf> read(String location, Digest digest, long size, long offset, long length) {
        if (digest == null || offset != 0 || length != size) {
            return backend.get(location, offset, length, size);
        }
        return Flux.defer(() -> {
            MessageDigest hash = digest.algorithm().newMessageDigest();
            long[] seen = {0};
            // The last buffer is held back until the whole blob is verified: a client must not
            // receive every byte of a wrong blob before the transfer is aborted.
            AtomicReference<ByteBuf> held = new AtomicReference<>();
            return backend.get(location, offset, length, size)
                    .concatMap(buf -> {
                        seen[0] += buf.readableBytes();
                        Buffers.hash(hash, buf);
                        return Mono.justOrEmpty(held.getAndSet(buf));
                    })
                    .concatWith(Mono.defer(() -> {
                        ByteBuf last = held.getAndSet(null);
                        Digest actual = digest.algorithm().digestOf(hash);
                        if (seen[0] == size && actual.equals(digest)) {
                            return Mono.justOrEmpty(last);
                        }
                        if (last != null) {
                            last.release();
                        }
                        String problem = backend.name() + " content at " + location + " (" + seen[0] + " bytes) hashes to "
                                + actual + ", not " + digest;
                        log.error("{}; pull aborted", problem);
                        return Mono.error(new IllegalStateException(problem));
                    }))
                    .doFinally(signal -> {
                        ByteBuf left = held.getAndSet(null);
                        if (left != null) {
                            left.release();
                        }
                    });
        });
    }

    @Override
    public Optional<URI> redirect(String location) {
        return redirect ? backend.redirect(location) : Optional.empty();
    }

    @Override
    public Mono<Void> delete(String location) {
        return backend.delete(location);
    }

    @Override
    public Flux<StoredObject> list() {
        return backend.list();
    }

    @Override
    public Mono<Boolean> removeUnnamed(String location, Mono<Boolean> stillUnnamed) {
        return backend.removeUnnamed(location, stillUnnamed);
    }

    @Override
    public Flux<StoredObject> listStaged() {
        return staging.list();
    }
}

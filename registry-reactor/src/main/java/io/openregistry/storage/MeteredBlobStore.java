package io.openregistry.storage;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.openregistry.metrics.Meters;
import io.openregistry.metrics.Timing;
import io.openregistry.oci.Digest;
import java.net.URI;
import java.util.Optional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A {@link BlobStore} that times every operation of the one it wraps into
 * {@value Meters#STORAGE_OPERATION}, tagged with the backend, the operation and how it ended.
 * Streamed operations are timed from subscription to their last buffer. Zero-copy pulls of local
 * files are sent by the HTTP layer and not timed here (Reactor Netty's meters see them).
 */
public final class MeteredBlobStore implements BlobStore {
    private final BlobStore store;
    private final Timing check;
    private final Timing append;
    private final Timing readStaged;
    private final Timing commit;
    private final Timing abort;
    private final Timing read;
    private final Timing delete;

    public MeteredBlobStore(BlobStore store, MeterRegistry registry) {
        this.store = store;
        String backend = store.backend();
        this.check = Meters.storageOperation(registry, backend, "check");
        this.append = Meters.storageOperation(registry, backend, "append");
        this.readStaged = Meters.storageOperation(registry, backend, "readStaged");
        this.commit = Meters.storageOperation(registry, backend, "commit");
        this.abort = Meters.storageOperation(registry, backend, "abort");
        this.read = Meters.storageOperation(registry, backend, "read");
        this.delete = Meters.storageOperation(registry, backend, "delete");
    }

    @Override
    public String backend() {
        return store.backend();
    }

    @Override
    public Mono<Void> check() {
        return check.time(store.check());
    }

    @Override
    public Mono<Long> append(String uploadId, long offset, Flux<ByteBuf> data) {
        return append.time(store.append(uploadId, offset, data));
    }

    @Override
    public Mono<Long> append(String uploadId, long offset, Flux<ByteBuf> data, long length) {
        return append.time(store.append(uploadId, offset, data, length));
    }

    @Override
    public Flux<ByteBuf> readStaged(String uploadId, long length) {
        return readStaged.time(store.readStaged(uploadId, length));
    }

    @Override
    public Mono<String> commit(String uploadId, Digest digest, long size) {
        return commit.time(store.commit(uploadId, digest, size));
    }

    @Override
    public Mono<Void> abort(String uploadId) {
        return abort.time(store.abort(uploadId));
    }

    @Override
    public Flux<ByteBuf> read(String location, long offset, long length) {
        return read.time(store.read(location, offset, length));
    }

    @Override
    public Flux<ByteBuf> read(String location, Digest digest, long size, long offset, long length) {
        return read.time(store.read(location, digest, size, offset, length));
    }

    /** Streams are timed as reads; a file region is sent by the HTTP layer, whose meters see it. */
    @Override
    public Mono<BlobContent> content(String location, Digest digest, long size, long offset, long length) {
        return store.content(location, digest, size, offset, length)
                .map(c -> c instanceof BlobContent.Stream s ? new BlobContent.Stream(read.time(s.buffers())) : c);
    }

    @Override
    public Optional<URI> redirect(String location) {
        return store.redirect(location);
    }

    @Override
    public Mono<Void> delete(String location) {
        return delete.time(store.delete(location));
    }

    @Override
    public Flux<StoredObject> list() {
        return store.list();
    }

    @Override
    public Mono<Boolean> removeUnnamed(String location, Mono<Boolean> stillUnnamed) {
        return store.removeUnnamed(location, stillUnnamed);
    }

    @Override
    public Flux<StoredObject> listStaged() {
        return store.listStaged();
    }
}

package io.openregistry.storage;

import io.netty.buffer.ByteBuf;
import io.openregistry.oci.Digest;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Several configured stores behind one {@link BlobStore}: new uploads are staged in and committed
 * to the {@code writer} (the store of {@code storage.driver}); a recorded blob is read, redirected
 * and deleted through {@link #storeFor} its recorded backend, which may be any configured store.
 * The location-only methods ({@link #read(String, long, long)}, {@link #delete}, ...) act on the
 * writer: they are for locations the writer has just handed out (a commit's own copy).
 */
public final class BackendRouter implements BlobStore {
    private final BlobStore writer;
    private final Map<String, BlobStore> stores;

    /**
     * @param writer where new blobs go; it is one of {@code stores} too
     * @param others the other configured stores (read, delete, migration targets), by backend name
     */
    public BackendRouter(BlobStore writer, Iterable<BlobStore> others) {
        this.writer = Objects.requireNonNull(writer, "writer");
        Map<String, BlobStore> all = new LinkedHashMap<>();
        all.put(writer.backend(), writer);
        for (BlobStore store : others) {
            if (all.putIfAbsent(store.backend(), store) != null) {
                throw new IllegalArgumentException("two stores for backend " + store.backend());
            }
        }
        this.stores = Map.copyOf(all);
    }

    /** The names of the configured backends, the writer's among them. */
    public Set<String> backends() {
        return stores.keySet();
    }

    /** The store new blobs are written to. */
    public BlobStore writer() {
        return writer;
    }

    @Override
    public BlobStore storeFor(String backend) {
        BlobStore store = stores.get(backend);
        if (store == null) {
            throw new BackendUnavailableException(backend);
        }
        return store;
    }

    @Override
    public String backend() {
        return writer.backend();
    }

    /** The writer only: it must work for the registry to take pushes; the others are probed at start. */
    @Override
    public Mono<Void> check() {
        return writer.check();
    }

    @Override
    public Mono<Long> append(String uploadId, long offset, Flux<ByteBuf> data) {
        return writer.append(uploadId, offset, data);
    }

    @Override
    public Mono<Long> append(String uploadId, long offset, Flux<ByteBuf> data, long length) {
        return writer.append(uploadId, offset, data, length);
    }

    @Override
    public Flux<ByteBuf> readStaged(String uploadId, long length) {
        return writer.readStaged(uploadId, length);
    }

    @Override
    public Mono<String> commit(String uploadId, Digest digest, long size) {
        return writer.commit(uploadId, digest, size);
    }

    @Override
    public Mono<Void> abort(String uploadId) {
        return writer.abort(uploadId);
    }

    @Override
    public Flux<ByteBuf> read(String location, long offset, long length) {
        return writer.read(location, offset, length);
    }

    @Override
    public Flux<ByteBuf> read(String location, Digest digest, long size, long offset, long length) {
        return writer.read(location, digest, size, offset, length);
    }

    @Override
    public Mono<BlobContent> content(String location, Digest digest, long size, long offset, long length) {
        return writer.content(location, digest, size, offset, length);
    }

    @Override
    public Optional<URI> redirect(String location) {
        return writer.redirect(location);
    }

    @Override
    public Mono<Void> delete(String location) {
        return writer.delete(location);
    }

    @Override
    public String toString() {
        return "BackendRouter[writer=" + writer.backend() + ", backends=" + stores.keySet() + "]";
    }
}

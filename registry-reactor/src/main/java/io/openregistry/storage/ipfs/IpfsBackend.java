package io.openregistry.storage.ipfs;

import io.netty.buffer.ByteBuf;
import io.openregistry.oci.Digest;
import io.openregistry.storage.ObjectBackend;
import io.openregistry.storage.StoredObject;
import java.net.URI;
import java.util.Optional;
import java.util.regex.Pattern;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Keeps blobs on an IPFS node through its Kubo-compatible RPC API (Kubo, or js-ipfs in tests).
 * A blob's location is its CIDv1 in base32 ({@code bafk...}), made with raw leaves so the CID of a
 * single-block blob is the hash of its bytes.
 *
 * <ul>
 *   <li>{@link #put} streams the (already verified) bytes to {@code add}, re-checking their size:
 *       a short or long body aborts the request before its final boundary, so the node never
 *       finishes adding it.
 *   <li>{@link #get} streams {@code cat} and errors on a short read; digests of whole-blob reads are
 *       checked by {@link io.openregistry.storage.remote.RemoteBlobStore}.
 *   <li>{@link #delete} unpins; the node's garbage collector reclaims the blocks later. When
 *       pinning is on, reads check the pin first, so a deleted blob is gone at once and a missing
 *       one fails fast instead of waiting for the node to search the network.
 * </ul>
 */
public final class IpfsBackend implements ObjectBackend, AutoCloseable {

    /** CIDs are multibase strings: letters and digits only, which also keeps them safe in a query. */
    private static final Pattern CID = Pattern.compile("[A-Za-z0-9]{8,200}");

    private final IpfsSettings settings;
    private final KuboClient client;

    /** Creates the backend and its connection pool; nothing is contacted until a call. */
    public IpfsBackend(IpfsSettings settings) {
        this.settings = settings;
        this.client = new KuboClient(settings.api(), settings.timeout());
    }

    @Override
    public String name() {
        return "ipfs";
    }

    @Override
    public Mono<Void> check() {
        return client.version()
                .then(client.id())
                .then()
                .onErrorMap(e -> new IllegalStateException(
                        "IPFS API at " + client.api() + " is not usable (is the node running and "
                                + "storage.ipfs.api right?): " + e.getMessage(), e));
    }

    @Override
    public Mono<String> put(Digest digest, long size, Flux<ByteBuf> content) {
        // Added unpinned, then pinned: a failed add is then garbage, not a pin to clean up
        // (see KuboClient.add). A GC in between only makes pin/add fail, and the push be retried.
        return client.add(sized(digest, size, content))
                .flatMap(cid -> settings.pin() ? client.pinAdd(cid).thenReturn(cid) : Mono.just(cid))
                .map(cid -> {
                    if (!CID.matcher(cid).matches()) {
                        throw new IllegalStateException("the IPFS node returned an unexpected CID: " + cid);
                    }
                    return cid;
                });
    }

    /**
     * {@code content}, failing before it ends when it is not {@code size} bytes: the add is then
     * left unfinished and unpinned. The digest was verified before the put (ObjectBackend contract).
     */
    private static Flux<ByteBuf> sized(Digest digest, long size, Flux<ByteBuf> content) {
        return Flux.defer(() -> {
            long[] seen = {0};
            return content
                    .doOnNext(buf -> seen[0] += buf.readableBytes())
                    .concatWith(Mono.defer(() -> seen[0] == size ? Mono.empty() : Mono.error(new IllegalStateException(
                            "blob " + digest + " has " + seen[0] + " bytes, expected " + size))));
        });
    }

    @Override
    public Flux<ByteBuf> get(String location, long offset, long length, long size) {
        if (offset < 0 || length < 0 || (size >= 0 && offset + length > size)) {
            return Flux.error(new IllegalArgumentException(
                    "invalid range: offset " + offset + ", length " + length + " of a " + size + "-byte blob"));
        }
        String cid;
        try {
            cid = cid(location);
        } catch (IllegalArgumentException e) {
            return Flux.error(e);
        }
        if (length == 0) {
            return Flux.empty(); // js-ipfs reads length=0 as "to the end"
        }
        Flux<ByteBuf> read = Flux.defer(() -> {
            long[] seen = {0};
            return client.cat(cid, offset, length)
                    .doOnNext(buf -> {
                        seen[0] += buf.readableBytes();
                        if (seen[0] > length) {
                            buf.release();
                            throw new IllegalStateException("IPFS cat of " + cid + " returned more than " + length + " bytes");
                        }
                    })
                    .concatWith(Mono.defer(() -> seen[0] < length ? Mono.error(new IllegalStateException(
                            "IPFS returned " + seen[0] + " of " + length + " bytes of " + cid)) : Mono.empty()));
        });
        // With the size unknown, a range past the end must fail before any byte is handed on
        Flux<ByteBuf> ranged = size >= 0 ? read : client.fileSize(cid).flatMapMany(actual -> offset + length > actual
                ? Flux.error(new IllegalArgumentException("range " + offset + "+" + length
                        + " is beyond the end of the " + actual + "-byte blob " + cid))
                : read);
        if (!settings.pin()) {
            return ranged;
        }
        // A node asked for a block it lacks searches for it (js-ipfs even when offline) until the
        // timeout. Everything we hold is pinned by us, so an unpinned CID fails at once instead.
        return client.pinned(cid).flatMapMany(pinned -> pinned ? ranged : Flux.error(new IllegalStateException(
                "blob " + cid + " is not pinned on the IPFS node at " + client.api() + " (deleted?)")));
    }

    @Override
    public Mono<Void> delete(String location) {
        return Mono.fromCallable(() -> cid(location)).flatMap(client::pinRm);
    }

    /**
     * The node's recursive pins, as {@code PIN} objects (size 0, time unknown), when the registry
     * pins ({@code storage.ipfs.pin}); the reconciliation reports those no row names and never
     * removes them (see {@link StoredObject.Kind#PIN}).
     */
    @Override
    public Flux<StoredObject> list() {
        return settings.pin()
                ? client.pins().filter(cid -> CID.matcher(cid).matches())
                        .map(cid -> new StoredObject(StoredObject.Kind.PIN, cid, null, null, 0, java.time.Instant.EPOCH))
                : Flux.empty();
    }

    @Override
    public Optional<URI> redirect(String location) {
        URI gateway = settings.gateway();
        if (gateway == null) {
            return Optional.empty();
        }
        String base = gateway.toString();
        return Optional.of(URI.create((base.endsWith("/") ? base : base + "/") + "ipfs/" + cid(location)));
    }

    /** Releases the connection pool. */
    @Override
    public void close() {
        client.close();
    }

    private static String cid(String location) {
        if (location == null || !CID.matcher(location).matches()) {
            throw new IllegalArgumentException("not an IPFS CID: " + location);
        }
        return location;
    }
}

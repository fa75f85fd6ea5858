package io.openregistry.content;

import io.netty.buffer.ByteBuf;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.FileRegion;
import io.openregistry.metadata.BlobIndex;
import io.openregistry.metadata.BlobRecord;
import io.openregistry.oci.Digest;
import io.openregistry.oci.OciError;
import io.openregistry.oci.OciException;
import io.openregistry.storage.BackendUnavailableException;
import io.openregistry.storage.BlobContent;
import io.openregistry.storage.BlobStore;
import java.net.URI;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Blobs as a repository shows them: the lookup, redirect and bytes of a pull, and the unlink of a
 * DELETE. The handlers see records and bodies, never the index or the store.
 */
public final class BlobService {
    private static final Logger log = LoggerFactory.getLogger(BlobService.class);
    private final BlobIndex blobs;
    private final BlobStore store;

    public BlobService(BlobIndex blobs, BlobStore store) {
        this.blobs = blobs;
        this.store = store;
    }

    /**
     * The blob linked to {@code repository}, or BLOB_UNKNOWN; UNAVAILABLE (503) when it is recorded
     * on a backend this registry has no settings for, so that HEAD says so as GET would.
     */
    public Mono<BlobRecord> linked(String repository, Digest digest) {
        return blobs.findLinked(repository, digest)
                .switchIfEmpty(Mono.error(() -> OciError.BLOB_UNKNOWN.exception("blob unknown: " + digest)))
                .doOnNext(this::storeOf);
    }

    /** Where a client may fetch the whole blob itself (presigned URL, gateway), when the operator chose redirects. */
    public Optional<URI> redirect(BlobRecord blob) {
        return storeOf(blob).redirect(blob.location());
    }

    /** {@code length} bytes of the blob from {@code start}, ready to send, from the backend recorded for it. */
    public Mono<Body> body(BlobRecord blob, long start, long length) {
        return Mono.defer(() -> storeOf(blob).content(blob.location(), blob.digest(), blob.size(), start, length))
                .<Body>map(content -> {
                    if (content instanceof BlobContent.FileRegion file) {
                        // sending the region closes its channel (also when the send fails)
                        return new Body.Region(new DefaultFileRegion(file.channel(), file.position(), file.count()));
                    }
                    return new Body.Buffers(((BlobContent.Stream) content).buffers());
                })
                // A pull that found the link just before garbage collection unlinked and swept the
                // blob finds its bytes gone: that blob is unknown now (404), not a server error.
                // Bytes missing under a record that still stands stay an error (scrub finds those).
                .onErrorResume(e -> !(e instanceof OciException) ? blobs.find(blob.digest()).hasElement()
                        .flatMap(known -> known ? Mono.error(e)
                                : Mono.error(OciError.BLOB_UNKNOWN.exception("blob unknown: " + blob.digest()
                                        + " (deleted while this request read it)")))
                        : Mono.error(e));
    }

    /**
     * The store of the blob's recorded backend. A backend without settings here is the operator's
     * to fix: a 503 naming the backend to the client, and the keys to set in the log.
     */
    private BlobStore storeOf(BlobRecord blob) {
        try {
            return store.storeFor(blob.backend());
        } catch (BackendUnavailableException e) {
            log.warn("blob {}: {}", blob.digest(), e.getMessage());
            throw OciError.UNAVAILABLE.exception("blob " + blob.digest() + " is stored on the '" + blob.backend()
                    + "' backend, which this registry is not configured to reach");
        }
    }

    /**
     * The whole content of a small blob linked to {@code repository} (a config), read from its
     * backend into memory; empty when it is not linked there or larger than {@code maxBytes}.
     */
    public Mono<byte[]> readSmall(String repository, Digest digest, int maxBytes) {
        return blobs.findLinked(repository, digest)
                .filter(blob -> blob.size() <= maxBytes)
                .flatMap(blob -> Flux.defer(() -> storeOf(blob).read(blob.location(), blob.digest(), blob.size(), 0,
                                blob.size()))
                        .collect(java.io.ByteArrayOutputStream::new, (out, buffer) -> {
                            try {
                                byte[] bytes = new byte[buffer.readableBytes()];
                                buffer.readBytes(bytes);
                                out.write(bytes, 0, bytes.length);
                            } finally {
                                buffer.release();
                            }
                        })
                        .map(java.io.ByteArrayOutputStream::toByteArray));
    }

    /** Unlinks the blob from {@code repository}; BLOB_UNKNOWN when it was not linked there. */
    public Mono<Void> unlink(String repository, Digest digest) {
        return blobs.unlink(repository, digest).flatMap(existed -> existed ? Mono.<Void>empty()
                : Mono.error(OciError.BLOB_UNKNOWN.exception("blob unknown: " + digest)));
    }

    /** The bytes of a pull: a file region for zero-copy transfer (sendfile), or buffers read on demand. */
    public sealed interface Body {
        /** Whoever sends it owns it: Netty releases it (and closes its file) once written or failed. */
        record Region(FileRegion region) implements Body {
        }

        /** Buffers read on demand; the subscriber releases them. */
        record Buffers(Flux<ByteBuf> buffers) implements Body {
        }
    }
}

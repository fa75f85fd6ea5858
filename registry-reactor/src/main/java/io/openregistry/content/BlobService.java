package io.openregistry.content;

import io.netty.buffer.ByteBuf;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.FileRegion;
import io.openregistry.metadata.BlobIndex;
import io.openregistry.metadata.BlobRecord;
import io.openregistry.oci.Digest;
import io.openregistry.oci.OciError;
import io.openregistry.storage.BlobContent;
import io.openregistry.storage.BlobStore;
import java.net.URI;
import java.util.Optional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Blobs as a repository shows them: the lookup, redirect and bytes of a pull, and the unlink of a
 * DELETE. The handlers see records and bodies, never the index or the store.
 */
public final class BlobService {
    private final BlobIndex blobs;
    private final BlobStore store;

    public BlobService(BlobIndex blobs, BlobStore store) {
        this.blobs = blobs;
        this.store = store;
    }

    /** The blob linked to {@code repository}, or BLOB_UNKNOWN. */
    public Mono<BlobRecord> linked(String repository, Digest digest) {
        return blobs.findLinked(repository, digest)
                .switchIfEmpty(Mono.error(() -> OciError.BLOB_UNKNOWN.exception("blob unknown: " + digest)));
    }

    /** Where a client may fetch the whole blob itself (presigned URL, gateway), when the operator chose redirects. */
    public Optional<URI> redirect(BlobRecord blob) {
        return store.redirect(blob.location());
    }

    /** {@code length} bytes of the blob from {@code start}, ready to send. */
    public Mono<Body> body(BlobRecord blob, long start, long length) {
        return store.content(blob.location(), blob.digest(), blob.size(), start, length).map(content -> {
            if (content instanceof BlobContent.FileRegion file) {
                // sending the region closes its channel (also when the send fails)
                return new Body.Region(new DefaultFileRegion(file.channel(), file.position(), file.count()));
            }
            return new Body.Buffers(((BlobContent.Stream) content).buffers());
        });
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

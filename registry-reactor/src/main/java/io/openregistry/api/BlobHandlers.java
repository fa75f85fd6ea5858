package io.openregistry.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.openregistry.http.Handler;
import io.openregistry.http.Responses;
import io.openregistry.metadata.BlobIndex;
import io.openregistry.metadata.BlobRecord;
import io.openregistry.metrics.Meters;
import io.openregistry.oci.Digest;
import io.openregistry.oci.Names;
import io.openregistry.oci.OciError;
import io.openregistry.storage.BlobContent;
import io.openregistry.storage.BlobStore;
import io.netty.channel.DefaultFileRegion;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerResponse;

/** {@code GET}, {@code HEAD} and {@code DELETE /v2/<name>/blobs/<digest>}. */
public final class BlobHandlers {
    private final BlobIndex blobs;
    private final BlobStore store;
    private final Counter bytesPulled;

    /** @param meters where {@link Meters#BLOB_BYTES_PULLED} is registered */
    public BlobHandlers(BlobIndex blobs, BlobStore store, MeterRegistry meters) {
        this.bytesPulled = Meters.blobBytesPulled(meters);
        this.blobs = blobs;
        this.store = store;
    }

    /** GET and HEAD: streams the blob (zero-copy from a local file when the store has one), honouring Range. */
    public Handler get() {
        return (request, response, route) -> {
            String name = Names.requireName(route.name());
            Digest digest = Digest.parse(route.item());
            return blobs.findLinked(name, digest)
                    .switchIfEmpty(Mono.error(() -> OciError.BLOB_UNKNOWN.exception("blob unknown: " + digest)))
                    .flatMap(blob -> {
                        ByteRange range = ByteRange.parse(request.requestHeaders().get(HttpHeaderNames.RANGE), blob.size());
                        var redirect = store.redirect(blob.location());
                        if (redirect.isPresent() && range == null) {
                            response.header(HttpHeaderNames.LOCATION, redirect.get().toString());
                            response.header("Docker-Content-Digest", digest.toString());
                            return Responses.empty(response, 307);
                        }
                        long start = range == null ? 0 : range.start();
                        long length = range == null ? blob.size() : range.length();
                        response.status(range == null ? HttpResponseStatus.OK : HttpResponseStatus.PARTIAL_CONTENT);
                        if (range != null) {
                            response.header(HttpHeaderNames.CONTENT_RANGE,
                                    "bytes " + range.start() + "-" + range.end() + "/" + blob.size());
                        }
                        response.header(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
                        response.header(HttpHeaderNames.CONTENT_LENGTH, String.valueOf(length));
                        response.header(HttpHeaderNames.ACCEPT_RANGES, "bytes");
                        response.header(HttpHeaderNames.ETAG, "\"" + digest + "\"");
                        response.header("Docker-Content-Digest", digest.toString());
                        if (request.method().equals(HttpMethod.HEAD) || length == 0) {
                            return response.send().then();
                        }
                        // counted once the whole body is written: a pull cut short counts nothing
                        return send(response, blob, start, length).doOnSuccess(v -> bytesPulled.increment(length));
                    });
        };
    }

    private Mono<Void> send(HttpServerResponse response, BlobRecord blob, long start, long length) {
        return store.content(blob.location(), blob.digest(), blob.size(), start, length).flatMap(content -> {
            if (content instanceof BlobContent.FileRegion file) {
                // zero-copy (sendfile); the region closes the channel once sent (or failed)
                return response.sendObject(new DefaultFileRegion(file.channel(), file.position(), file.count())).then();
            }
            return response.send(((BlobContent.Stream) content).buffers()).then();
        });
    }

    /** DELETE: unlinks the blob from the repository; the bytes stay while other repositories use them. */
    public Handler delete() {
        return (request, response, route) -> {
            String name = Names.requireName(route.name());
            Digest digest = Digest.parse(route.item());
            return blobs.unlink(name, digest).flatMap(existed -> {
                if (!existed) {
                    return Mono.error(OciError.BLOB_UNKNOWN.exception("blob unknown: " + digest));
                }
                response.header("Docker-Content-Digest", digest.toString());
                return Responses.empty(response, 202);
            });
        };
    }
}

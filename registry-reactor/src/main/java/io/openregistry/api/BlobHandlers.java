package io.openregistry.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.openregistry.content.BlobService;
import io.openregistry.http.Handler;
import io.openregistry.http.Responses;
import io.openregistry.metadata.BlobRecord;
import io.openregistry.metrics.Meters;
import io.openregistry.oci.Digest;
import io.openregistry.oci.Names;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerResponse;

/** {@code GET}, {@code HEAD} and {@code DELETE /v2/<name>/blobs/<digest>}. */
public final class BlobHandlers {
    private final BlobService blobs;
    private final Counter bytesPulled;

    /** @param meters where {@link Meters#BLOB_BYTES_PULLED} is registered */
    public BlobHandlers(BlobService blobs, MeterRegistry meters) {
        this.bytesPulled = Meters.blobBytesPulled(meters);
        this.blobs = blobs;
    }

    /** GET and HEAD: streams the blob (zero-copy from a local file when the store has one), honouring Range. */
    public Handler get() {
        return (request, response, route) -> {
            String name = Names.requireName(route.name());
            Digest digest = Digest.parse(route.item());
            return blobs.linked(name, digest)
                    .flatMap(blob -> {
                        ByteRange range = ByteRange.parse(request.requestHeaders().get(HttpHeaderNames.RANGE), blob.size());
                        var redirect = blobs.redirect(blob);
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
        return blobs.body(blob, start, length).flatMap(body -> body instanceof BlobService.Body.Region file
                ? response.sendObject(file.region()).then()
                : response.send(((BlobService.Body.Buffers) body).buffers()).then());
    }

    /** DELETE: unlinks the blob from the repository; the bytes stay while other repositories use them. */
    public Handler delete() {
        return (request, response, route) -> {
            String name = Names.requireName(route.name());
            Digest digest = Digest.parse(route.item());
            return blobs.unlink(name, digest).then(Mono.defer(() -> {
                response.header("Docker-Content-Digest", digest.toString());
                return Responses.empty(response, 202);
            }));
        };
    }
}

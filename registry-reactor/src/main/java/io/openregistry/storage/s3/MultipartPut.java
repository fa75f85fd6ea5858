package io.openregistry.storage.s3;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * One multipart upload: create, upload the parts ({@value #PARTS_IN_FLIGHT} at a time), complete
 * with them in part order; abort on any error or cancel so that no half-written upload keeps
 * costing storage.
 *
 * <p>A part upload is never torn down halfway. S3 may keep a part whose upload outlives the abort,
 * and S3-compatible servers may fail the abort while a part is being written; so on error or
 * cancel the abort waits for the parts in flight (bounded by the SDK's call timeout) to end.
 */
final class MultipartPut {
    private static final Logger log = LoggerFactory.getLogger(MultipartPut.class);

    private final S3AsyncClient client;
    private final String bucket;
    private final String key;
    /**
     * Parts uploaded at once. With PartStream's one part of read-ahead, a commit holds at most this
     * many parts plus one in heap, and reading the staged file overlaps the uploads.
     */
    static final int PARTS_IN_FLIGHT = 2;
    private final Set<CompletableFuture<?>> partsInFlight = ConcurrentHashMap.newKeySet();

    private MultipartPut(S3AsyncClient client, String bucket, String key) {
        this.client = client;
        this.bucket = bucket;
        this.key = key;
    }

    static Mono<Void> run(S3AsyncClient client, String bucket, String key, Flux<byte[]> parts) {
        return Mono.defer(() -> new MultipartPut(client, bucket, key).upload(parts));
    }

    private Mono<Void> upload(Flux<byte[]> parts) {
        return Mono.usingWhen(
                S3Backend.call(() -> client.createMultipartUpload(b -> b.bucket(bucket).key(key)))
                        .map(created -> created.uploadId()),
                uploadId -> parts
                        .index()
                        // PARTS_IN_FLIGHT parts at once, results kept in part order; demand for new
                        // parts only as uploads finish, which slows the source to S3's pace
                        .flatMapSequential(part -> uploadPart(uploadId, part.getT1().intValue() + 1, part.getT2()),
                                PARTS_IN_FLIGHT, 1)
                        .collectList()
                        .flatMap(completed -> S3Backend.call(() -> client.completeMultipartUpload(b -> b
                                .bucket(bucket).key(key).uploadId(uploadId)
                                .multipartUpload(m -> m.parts(completed)))))
                        .doOnSuccess(r -> log.debug("stored {} in a multipart upload", key)),
                uploadId -> Mono.empty(),
                (uploadId, error) -> abort(uploadId, error.toString()),
                uploadId -> abort(uploadId, "cancelled"))
                .then();
    }

    private Mono<CompletedPart> uploadPart(String uploadId, int partNumber, byte[] bytes) {
        return Mono.defer(() -> {
            // fromBytesUnsafe: the array is ours alone and never changes, so the SDK need not copy
            // it, and can replay it on retry
            CompletableFuture<CompletedPart> part = client.uploadPart(b -> b.bucket(bucket).key(key)
                                    .uploadId(uploadId).partNumber(partNumber).contentLength((long) bytes.length),
                            AsyncRequestBody.fromBytesUnsafe(bytes))
                    .thenApply(response -> CompletedPart.builder().partNumber(partNumber).eTag(response.eTag()).build());
            partsInFlight.add(part);
            part.whenComplete((r, e) -> partsInFlight.remove(part));
            // suppressCancel: a cancelled put lets this part finish, then aborts (see class doc)
            return Mono.fromFuture(part, true);
        });
    }

    /** Never fails: the upload's own error is the one to report; a failed abort is only logged. */
    private Mono<Void> abort(String uploadId, String why) {
        CompletableFuture<?>[] running = partsInFlight.toArray(CompletableFuture<?>[]::new);
        Mono<Object> partsEnded = Mono.fromFuture(CompletableFuture.allOf(running).handle((result, error) -> "ended"), true);
        return partsEnded
                .then(S3Backend.call(() -> client.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId))))
                // some servers need a moment after a failed or abandoned part write before they can
                // abort (S3Proxy on a loaded machine: seconds); keep trying for about a minute
                .retryWhen(Retry.backoff(12, Duration.ofMillis(200)).maxBackoff(Duration.ofSeconds(5)))
                .doOnSuccess(r -> log.debug("aborted multipart upload of {} ({})", key, why))
                .onErrorResume(e -> {
                    log.warn("could not abort multipart upload {} of {} ({}): {}", uploadId, key, why,
                            S3Failures.unwrap(Exceptions.isRetryExhausted(e) && e.getCause() != null ? e.getCause() : e).toString());
                    return Mono.empty();
                })
                .then();
    }
}

package io.openregistry.storage.s3;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
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
 * One multipart upload: create, upload the parts one after another, complete; abort on any error or
 * cancel so that no half-written upload keeps costing storage.
 *
 * <p>A part upload is never torn down halfway. S3 may keep a part whose upload outlives the abort,
 * and S3-compatible servers may fail the abort while a part is being written; so on error or
 * cancel the abort waits for the part in flight (bounded by the SDK's call timeout) to end.
 */
final class MultipartPut {
    private static final Logger log = LoggerFactory.getLogger(MultipartPut.class);

    private final S3AsyncClient client;
    private final String bucket;
    private final String key;
    private final AtomicReference<CompletableFuture<?>> partInFlight =
            new AtomicReference<>(CompletableFuture.completedFuture(null));
    /** Set once the abort has begun: no part may start after it (guarded by {@code this}). */
    private boolean aborting;

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
                        // one part in flight and no prefetch: with PartStream's one part of
                        // read-ahead that bounds memory to two parts and slows the source to S3's pace
                        .concatMap(part -> uploadPart(uploadId, part.getT1().intValue() + 1, part.getT2()), 0)
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
            CompletableFuture<CompletedPart> part;
            // Starting a part and the abort's look at the part in flight exclude each other: a
            // cancel arriving (on another thread) while a part starts would otherwise abort first
            // and let that part land afterwards, leaving it stored. uploadPart only starts a call.
            synchronized (this) {
                if (aborting) {
                    return Mono.error(new IllegalStateException("multipart upload of " + key + " is being aborted"));
                }
                // fromBytesUnsafe: the array is ours alone and never changes, so the SDK need not
                // copy it, and can replay it on retry
                part = client.uploadPart(b -> b.bucket(bucket).key(key)
                                        .uploadId(uploadId).partNumber(partNumber).contentLength((long) bytes.length),
                                AsyncRequestBody.fromBytesUnsafe(bytes))
                        .thenApply(response -> CompletedPart.builder().partNumber(partNumber).eTag(response.eTag()).build());
                partInFlight.set(part);
            }
            // suppressCancel: a cancelled put lets this part finish, then aborts (see class doc)
            return Mono.fromFuture(part, true);
        });
    }

    /** Never fails: the upload's own error is the one to report; a failed abort is only logged. */
    private Mono<Void> abort(String uploadId, String why) {
        CompletableFuture<?> running;
        synchronized (this) {
            aborting = true;
            running = partInFlight.get();
        }
        Mono<Object> partEnded = Mono.fromFuture(running.handle((result, error) -> "ended"), true);
        return partEnded
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

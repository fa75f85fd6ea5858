package io.openregistry.storage.s3;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.openregistry.oci.Digest;
import io.openregistry.storage.ObjectBackend;
import io.openregistry.storage.StoredObject;
import io.openregistry.storage.UploadStaging;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * An {@link ObjectBackend} on an S3-compatible bucket, through the AWS SDK's non-blocking client on
 * Netty. Blobs are stored under content-addressed keys {@code blobs/<algorithm>/<hex>}, which are
 * also the locations recorded in the database.
 *
 * <p>A put of fewer than {@code partSize} bytes is one PutObject; a larger one is a multipart
 * upload that holds at most one part (a heap copy) in memory and pulls the next part's bytes only
 * after the previous part is stored, and is aborted on any error or cancel. A put of content that is
 * already stored with the same size does not subscribe to {@code content} at all. Every call has a
 * time limit. Close the backend to release the client's connections and event loop.
 */
public final class S3Backend implements ObjectBackend, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(S3Backend.class);
    /**
     * Blob locations: content-addressed keys, and the per-upload keys a multipart upload
     * completes into ({@link S3Staging#blobKey}).
     */
    private static final Pattern KEY = Pattern.compile("blobs/(sha256/[0-9a-f]{64}|sha512/[0-9a-f]{128}|uploads/"
            + S3Staging.UPLOAD_ID + "/[1-9][0-9]{0,8})");
    /** The slowest link we still want to succeed on, to size per-attempt time limits for a part. */
    private static final long MIN_BYTES_PER_SECOND = 1024 * 1024;
    /**
     * HeadBucket is tiny, so short attempts are safe; they also bound a request the SDK (2.57.8 on
     * Netty 4.2) now and then loses after a refused connection, so that a retry reports the refusal.
     */
    private static final Duration CHECK_ATTEMPT_TIMEOUT = Duration.ofSeconds(4);
    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(20);

    private final S3Settings settings;
    private final S3AsyncClient client;
    private final S3Presigner presigner;

    /** Builds the client; nothing is contacted until the first call (use {@link #check()} at startup). */
    public S3Backend(S3Settings settings) {
        this.settings = settings;
        Duration attempt = Duration.ofSeconds(60 + settings.partSize() / MIN_BYTES_PER_SECOND);
        StaticCredentialsProvider credentials = StaticCredentialsProvider.create(
                AwsBasicCredentials.create(settings.accessKey(), settings.secretKey()));
        var builder = S3AsyncClient.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                .forcePathStyle(settings.pathStyle())
                // CRC trailers are new and S3-compatible services (Storj, older MinIO, S3Proxy)
                // reject or ignore them; the registry verifies digests itself
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o.apiCallAttemptTimeout(attempt).apiCallTimeout(attempt.multipliedBy(3)))
                .httpClientBuilder(NettyNioAsyncHttpClient.builder()
                        .maxConcurrency(64)
                        .connectionTimeout(Duration.ofSeconds(10))
                        .connectionAcquisitionTimeout(Duration.ofSeconds(60))
                        // also bounds how long a pull may leave a GetObject stream without demand
                        .readTimeout(Duration.ofSeconds(60))
                        .writeTimeout(Duration.ofSeconds(60)));
        var presign = S3Presigner.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(settings.pathStyle()).build());
        if (settings.endpoint() != null) {
            builder.endpointOverride(settings.endpoint());
            presign.endpointOverride(settings.endpoint());
        }
        this.client = builder.build();
        this.presigner = presign.build();
    }

    @Override
    public String name() {
        return "s3";
    }

    /** HeadBucket; the error names the endpoint and bucket and says whether it is unreachable, missing or forbidden. */
    @Override
    public Mono<Void> check() {
        return call(() -> client.headBucket(b -> b.bucket(settings.bucket())
                        .overrideConfiguration(o -> o.apiCallAttemptTimeout(CHECK_ATTEMPT_TIMEOUT).apiCallTimeout(CHECK_TIMEOUT))))
                .onErrorMap(e -> S3Failures.onCheck(e, settings))
                .then();
    }

    @Override
    public Mono<String> put(Digest digest, long size, Flux<ByteBuf> content) {
        String key = "blobs/" + digest.algorithm().prefix() + "/" + digest.hex();
        Mono<Void> upload = Mono.defer(() -> size < settings.partSize()
                ? putSmall(key, size, content)
                : MultipartPut.run(client, settings.bucket(), key,
                        PartStream.split(content, size, (int) settings.partSize())));
        return storedSize(key)
                .map(stored -> stored == size)
                .defaultIfEmpty(false)
                .flatMap(present -> present ? Mono.just(key) : upload.thenReturn(key));
    }

    /**
     * Streams a byte range with a ranged GetObject, as fast as the subscriber requests. The buffers
     * wrap the SDK's without copying. A range that does not fit the object is an
     * {@link IllegalArgumentException}; a missing object a {@link java.nio.file.NoSuchFileException}.
     * The SDK does not hash what it reads here: S3 vouches for its objects.
     */
    @Override
    public Flux<ByteBuf> get(String location, long offset, long length, long size) {
        if (offset < 0 || length < 0 || (size >= 0 && offset + length > size)) {
            return Flux.error(new IllegalArgumentException("range " + offset + "+" + length + " outside a blob of " + size + " bytes"));
        }
        String key;
        try {
            key = checkedKey(location);
        } catch (IllegalArgumentException e) {
            return Flux.error(e);
        }
        if (length == 0) {
            return Flux.empty();
        }
        return range(key, offset, length);
    }

    /** A ranged GetObject of any key, streamed on demand; {@code length} must be positive. */
    Flux<ByteBuf> range(String key, long offset, long length) {
        GetObjectRequest request = GetObjectRequest.builder().bucket(settings.bucket()).key(key)
                .range("bytes=" + offset + "-" + (offset + length - 1)).build();
        return call(() -> client.getObject(request, AsyncResponseTransformer.toPublisher()))
                .onErrorMap(e -> S3Failures.onObject(e, settings, key))
                .flatMapMany(body -> {
                    Long got = body.response().contentLength();
                    if (got == null || got != length) {
                        // S3 shortens a range running past the end; the seam wants an error. take(0)
                        // cancels the body so the connection is not left half-read.
                        return Flux.from(body).take(0).thenMany(Flux.error(new IllegalArgumentException(
                                "range " + offset + "+" + length + " outside s3://" + settings.bucket() + "/" + key
                                        + " (" + body.response().contentRange() + ")")));
                    }
                    return Flux.from(body).map(S3Backend::wrap);
                });
    }

    /**
     * Staging of uploads in this bucket, reachable by every replica (see {@link S3Staging}); the
     * backend must stay open while it is used.
     */
    public UploadStaging staging() {
        return new S3Staging(client, settings, this);
    }

    /** DeleteObject; S3 itself answers a delete of a missing key with success. */
    @Override
    public Mono<Void> delete(String location) {
        return Mono.fromCallable(() -> checkedKey(location))
                .flatMap(key -> call(() -> client.deleteObject(b -> b.bucket(settings.bucket()).key(key)))
                        .onErrorMap(e -> S3Failures.onObject(e, settings, key)))
                .then();
    }

    /**
     * ListObjectsV2 under {@code blobs/}, a page (at most 1000 keys) at a time as the subscriber
     * requests: only keys of the registry's layout ({@link #KEY}), never other objects in the bucket.
     */
    @Override
    public Flux<StoredObject> list() {
        return restoreAside().thenMany(Flux.from(client.listObjectsV2Paginator(b -> b.bucket(settings.bucket())
                        .prefix("blobs/")).contents()))
                .onErrorMap(e -> S3Failures.onObject(e, settings, "blobs/"))
                .filter(o -> KEY.matcher(o.key()).matches())
                .map(o -> {
                    String[] parts = o.key().split("/");
                    boolean perUpload = parts[1].equals("uploads");
                    return new StoredObject(StoredObject.Kind.BLOB, o.key(),
                            perUpload ? null : Digest.parse(parts[1] + ":" + parts[2]), perUpload ? parts[2] : null,
                            o.size() == null ? 0 : o.size(), o.lastModified());
                });
    }

    /**
     * A per-upload key only its own session's commit can adopt, so once the caller's check answers
     * true it is simply deleted. A content-addressed key can be adopted by any commit or migration
     * of its digest, which skips the write when it finds the object ({@link #put}): the object is
     * first copied aside under {@code reconcile/} and deleted, then {@code stillUnnamed} runs (a
     * commit that found the object holds its intent or row by then) and the copy is either deleted
     * or copied back. CopyObject is limited to 5 GiB: a bigger object fails to copy and is kept.
     */
    @Override
    public Mono<Boolean> removeUnnamed(String location, Mono<Boolean> stillUnnamed) {
        return Mono.fromCallable(() -> checkedKey(location)).flatMap(key -> {
            if (key.startsWith("blobs/uploads/")) {
                return stillUnnamed.flatMap(unnamed -> unnamed ? delete(key).thenReturn(true) : Mono.just(false));
            }
            // named after the key, so that a run after a crash can put it back (restoreAside)
            String aside = "reconcile/" + key.substring("blobs/".length()) + "/" + java.util.UUID.randomUUID();
            Mono<Boolean> putBack = storedSize(key).hasElement()
                    .flatMap(present -> present ? Mono.<Void>empty() : copy(aside, key))
                    .then(deleteKey(aside))
                    .thenReturn(false);
            // gone already (404 on the copy's source): nothing to remove
            Mono<Boolean> movedAside = call(() -> client.copyObject(b -> b.sourceBucket(settings.bucket()).sourceKey(key)
                            .destinationBucket(settings.bucket()).destinationKey(aside)))
                    .thenReturn(true)
                    .onErrorResume(e -> S3Failures.status(e) == 404, e -> Mono.just(false))
                    .onErrorMap(e -> S3Failures.onObject(e, settings, key));
            return movedAside.flatMap(moved -> !moved ? Mono.just(false) : deleteKey(key)
                    .then(stillUnnamed.onErrorResume(e -> putBack.then(Mono.error(e))))
                    .flatMap(unnamed -> unnamed ? deleteKey(aside).thenReturn(true) : putBack)
                    // cancelled (shutdown) while aside: put it back rather than wait for the next run
                    .doOnCancel(() -> putBack.subscribe(x -> { }, e -> log.warn("putting {} back failed; the next"
                            + " reconciliation does: {}", key, e.toString()))));
        });
    }

    /**
     * Objects a {@link #removeUnnamed} left aside when its process died between moving an object
     * aside and deciding: copied back to their key (if it is free) and deleted, so that nothing a
     * row may name stays out of reach; the listing that follows judges them again.
     */
    private Mono<Void> restoreAside() {
        return Flux.from(client.listObjectsV2Paginator(b -> b.bucket(settings.bucket()).prefix("reconcile/")).contents())
                .onErrorMap(e -> S3Failures.onObject(e, settings, "reconcile/"))
                // (a file-system backed server lists its directories as keys ending in '/')
                .filter(o -> !o.key().endsWith("/"))
                .concatMap(o -> {
                    String aside = o.key();
                    int cut = aside.lastIndexOf('/');
                    String key = cut < 0 ? "" : "blobs/" + aside.substring("reconcile/".length(), cut);
                    if (!KEY.matcher(key).matches() || key.startsWith("blobs/uploads/")) {
                        return Mono.empty();
                    }
                    return storedSize(key).hasElement()
                            .flatMap(present -> present ? Mono.<Void>empty() : call(() -> client.copyObject(b -> b
                                            .sourceBucket(settings.bucket()).sourceKey(aside)
                                            .destinationBucket(settings.bucket()).destinationKey(key)))
                                    .then()
                                    // put back meanwhile by the run that moved it (cancelled, see removeUnnamed)
                                    .onErrorResume(e -> S3Failures.status(e) == 404, e -> Mono.empty())
                                    .onErrorMap(e -> S3Failures.onObject(e, settings, aside)))
                            .then(deleteKey(aside));
                })
                .then();
    }

    private Mono<Void> copy(String from, String to) {
        return call(() -> client.copyObject(b -> b.sourceBucket(settings.bucket()).sourceKey(from)
                        .destinationBucket(settings.bucket()).destinationKey(to)))
                .onErrorMap(e -> S3Failures.onObject(e, settings, from))
                .then();
    }

    private Mono<Void> deleteKey(String key) {
        return call(() -> client.deleteObject(b -> b.bucket(settings.bucket()).key(key)))
                .onErrorMap(e -> S3Failures.onObject(e, settings, key))
                .then();
    }

    /** A presigned GET URL valid for {@code presignTtl}, when one is configured. Signing is local: no I/O. */
    @Override
    public Optional<URI> redirect(String location) {
        if (settings.presignTtl() == null) {
            return Optional.empty();
        }
        String key = checkedKey(location);
        var presigned = presigner.presignGetObject(p -> p.signatureDuration(settings.presignTtl())
                .getObjectRequest(g -> g.bucket(settings.bucket()).key(key)));
        try {
            return Optional.of(presigned.url().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("presigned URL is not a URI: " + presigned.url(), e);
        }
    }

    /** Closes the presigner and the client with its Netty event loop and connections. */
    @Override
    public void close() {
        presigner.close();
        client.close();
    }

    @Override
    public String toString() {
        return "S3Backend[" + settings.endpointName() + "/" + settings.bucket() + "]";
    }

    /** The stored size of {@code key}, or empty when there is no such object. */
    private Mono<Long> storedSize(String key) {
        return call(() -> client.headObject(b -> b.bucket(settings.bucket()).key(key)))
                .map(head -> head.contentLength())
                .onErrorResume(e -> S3Failures.status(e) == 404, e -> Mono.empty());
    }

    private Mono<Void> putSmall(String key, long size, Flux<ByteBuf> content) {
        return PartStream.split(content, size, (int) settings.partSize())
                .collectList()
                .flatMap(parts -> {
                    byte[] bytes = parts.isEmpty() ? new byte[0] : parts.get(0);
                    return call(() -> client.putObject(b -> b.bucket(settings.bucket()).key(key)
                                    .contentLength((long) bytes.length),
                            AsyncRequestBody.fromBytesUnsafe(bytes)));
                })
                .doOnSuccess(r -> log.debug("stored {} ({} bytes) in one PutObject", key, size))
                .then();
    }

    private static String checkedKey(String location) {
        if (location == null || !KEY.matcher(location).matches()) {
            throw new IllegalArgumentException("not an S3 blob location: " + location);
        }
        return location;
    }

    private static ByteBuf wrap(ByteBuffer buffer) {
        return Unpooled.wrappedBuffer(buffer);
    }

    /** Defers the SDK call to subscription time; cancelling the Mono cancels the SDK future. */
    static <T> Mono<T> call(Supplier<CompletableFuture<T>> request) {
        return Mono.fromFuture(request);
    }
}

package io.openregistry.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.openregistry.oci.Digest;
import io.openregistry.storage.BlobStore;
import io.openregistry.storage.BlobStoreContract;
import io.openregistry.storage.remote.RemoteBlobStore;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.blockhound.BlockHound;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.client.HttpClient;
import reactor.test.StepVerifier;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * The BlobStore contract for {@link RemoteBlobStore} on {@link S3Backend} with its bucket staging, against S3Proxy on a
 * jclouds filesystem in this JVM (a fresh bucket per test), plus what is S3-specific: multipart
 * uploads, aborts, ranged reads, checks, presigned URLs. BlockHound is installed, so the SDK's and
 * Reactor Netty's event loops share one JVM and one Netty and must not block.
 */
class S3BlobStoreTest extends BlobStoreContract {
    private static final String ACCESS = "test-access";
    private static final String SECRET = "test-secret";
    private static final long PART = S3Settings.MIN_PART_SIZE;
    private static final AtomicInteger buckets = new AtomicInteger();

    @TempDir
    static Path bucketRoot;
    private static BlobStoreContext jclouds;
    private static S3Proxy proxy;
    private static URI endpoint;
    private static Scheduler io;
    private static S3AsyncClient raw;

    private String bucket;
    private S3Backend backend;

    @BeforeAll
    static void startS3Proxy() throws Exception {
        // The SDK's close() waits for its channel pools on Netty's global executor, a thread
        // Netty's BlockHound integration marks as non-blocking; that is shutdown, not traffic.
        BlockHound.install(builder -> builder.allowBlockingCallsInside("io.netty.channel.pool.SimpleChannelPool", "close"));
        Properties properties = new Properties();
        properties.setProperty("jclouds.filesystem.basedir", bucketRoot.toString());
        jclouds = ContextBuilder.newBuilder("filesystem").credentials("unused", "unused")
                .overrides(properties).build(BlobStoreContext.class);
        proxy = S3Proxy.builder().blobStore(jclouds.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS, SECRET)
                .build();
        proxy.start();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!"STARTED".equals(proxy.getState()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
        io = Schedulers.newBoundedElastic(8, 1000, "s3-store-test");
        raw = S3AsyncClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(() -> AwsBasicCredentials.create(ACCESS, SECRET))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED).build();
    }

    @AfterAll
    static void stopS3Proxy() throws Exception {
        raw.close();
        io.dispose();
        proxy.stop();
        jclouds.close();
    }

    @Override
    protected BlobStore createStore() {
        bucket = "bucket-" + buckets.incrementAndGet();
        jclouds.getBlobStore().createContainerInLocation(null, bucket);
        backend = new S3Backend(settings(endpoint, bucket, ACCESS, Duration.ofMinutes(5)));
        return new RemoteBlobStore(backend.staging(), backend, true);
    }

    @AfterEach
    void closeBackend() {
        backend.close();
    }

    private static S3Settings settings(URI endpoint, String bucket, String accessKey, Duration presignTtl) {
        return new S3Settings(endpoint, "us-east-1", bucket, accessKey, SECRET, true, PART, presignTtl);
    }

    @Test
    void a64MiBPutGoesMultipartInBoundedPartsAndReadsBackIdentical() throws Exception {
        int bufferSize = 8 * 1024;
        long size = 64L * 1024 * 1024;
        List<ByteBuf> handedOver = new ArrayList<>();
        MessageDigest sha = Digest.Algorithm.SHA256.newMessageDigest();
        Flux<ByteBuf> content = randomBuffers(size, bufferSize, 7, sha, handedOver);
        // the digest is only known once the content has been generated; put it under a stand-in
        // name first, the key is all S3 sees
        Digest placeholder = Digest.sha256(new byte[] {1});
        String location = backend.put(placeholder, size, content).block(Duration.ofMinutes(2));
        assertThat(handedOver).hasSize((int) (size / bufferSize)).allMatch(b -> b.refCnt() == 0);

        String eTag = raw.headObject(b -> b.bucket(bucket).key(location)).join().eTag();
        assertThat(eTag).as("multipart ETag").endsWith("-13\"");
        MessageDigest read = Digest.Algorithm.SHA256.newMessageDigest();
        AtomicLong readBytes = new AtomicLong();
        backend.get(location, 0, size, size).doOnNext(buf -> {
            read.update(buf.nioBuffer());
            readBytes.addAndGet(buf.readableBytes());
            buf.release();
        }).blockLast(Duration.ofMinutes(2));
        assertThat(readBytes.get()).isEqualTo(size);
        assertThat(read.digest()).isEqualTo(sha.digest());
    }

    @Test
    void partsAreAssembledOnlyOnDemand() {
        int bufferSize = 8 * 1024;
        AtomicLong pulled = new AtomicLong();
        Flux<ByteBuf> content = randomBuffers(64L * 1024 * 1024, bufferSize, 8, null, new ArrayList<>())
                .doOnNext(buf -> pulled.addAndGet(buf.readableBytes()));
        StepVerifier.create(PartStream.split(content, 64L * 1024 * 1024, (int) PART), 1)
                .assertNext(part -> assertThat(part).hasSize((int) PART))
                .expectNoEvent(Duration.ofMillis(200))
                // the part handed out, at most one assembled ahead, and one buffer
                .then(() -> assertThat(pulled.get()).isLessThanOrEqualTo(2 * PART + bufferSize))
                .thenRequest(1)
                .assertNext(part -> assertThat(part).hasSize((int) PART))
                .expectNoEvent(Duration.ofMillis(200))
                .then(() -> assertThat(pulled.get()).isLessThanOrEqualTo(3 * PART + bufferSize))
                .thenCancel()
                .verify(TIMEOUT);
    }

    @Test
    void aPutWhoseContentFailsMidwayAbortsTheMultipartUpload() {
        byte[] content = random(13 * 1024 * 1024, 9);
        Digest digest = Digest.sha256(content);
        List<ByteBuf> sent = chunked(Arrays.copyOf(content, 12 * 1024 * 1024), 64 * 1024);
        IOException broken = new IOException("staging disk failed");
        StepVerifier.create(backend.put(digest, content.length, Flux.concat(Flux.fromIterable(sent), Flux.error(broken))))
                .expectErrorMatches(e -> e == broken)
                .verify(TIMEOUT);
        assertReleased(sent);
        assertNoObjectAndNoUploads(digest);
    }

    @Test
    void aCancelledPutAbortsTheMultipartUpload() throws InterruptedException {
        byte[] content = random(12 * 1024 * 1024, 10);
        Digest digest = Digest.sha256(content);
        List<ByteBuf> sent = chunked(Arrays.copyOf(content, 6 * 1024 * 1024), 64 * 1024);
        java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
        Disposable put = backend.put(digest, content.length, Flux.concat(Flux.fromIterable(sent), Flux.never()))
                .subscribe(null, failed::set);
        // jclouds' filesystem provider keeps a multipart upload as hidden ".mpus-" objects and
        // does not list it in ListMultipartUploads: its objects are what shows the upload
        awaitTrue(() -> failed.get() != null || !raw.listObjectsV2(b -> b.bucket(bucket)).join().contents().isEmpty());
        assertThat(failed.get()).as("the put failed before its first part was stored").isNull();
        put.dispose();
        // the cancel reaches the part being assembled on another thread
        awaitTrue(() -> sent.stream().allMatch(b -> b.refCnt() == 0));
        // the abort waits for the part in flight and retries while the server is busy with it
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!raw.listObjectsV2(b -> b.bucket(bucket)).join().contents().isEmpty()) {
            assertThat(System.nanoTime()).as("multipart upload aborted within 90 s").isLessThan(deadline);
            Thread.sleep(50);
        }
        assertNoObjectAndNoUploads(digest);
    }

    @Test
    void contentAlreadyStoredIsNotUploadedAgain() {
        byte[] content = bytes("already there");
        Digest digest = Digest.sha256(content);
        String location = backend.put(digest, content.length, Flux.fromIterable(buffers("already there"))).block(TIMEOUT);
        // the content is not even subscribed: a failing one does no harm
        assertThat(backend.put(digest, content.length, Flux.error(new IOException("not read"))).block(TIMEOUT))
                .isEqualTo(location).isEqualTo("blobs/sha256/" + digest.hex());
    }

    @Test
    void rangedGets() {
        byte[] content = random(3 * 1024 * 1024 + 11, 11);
        String location = commit(stage(content), content);
        assertThat(drain(backend.get(location, 1024 * 1024 + 3, 100_000, -1)))
                .isEqualTo(Arrays.copyOfRange(content, 1024 * 1024 + 3, 1024 * 1024 + 100_003));
        assertThat(drain(backend.get(location, content.length - 5, 5, content.length)))
                .isEqualTo(Arrays.copyOfRange(content, content.length - 5, content.length));
        StepVerifier.create(backend.get(location, content.length - 5, 6, -1))
                .expectError(IllegalArgumentException.class).verify(TIMEOUT);
        StepVerifier.create(backend.get(location, content.length + 1, 1, -1))
                .expectError(IllegalArgumentException.class).verify(TIMEOUT);
        StepVerifier.create(backend.get("blobs/sha256/" + "0".repeat(64), 0, 1, -1))
                .expectError(NoSuchFileException.class).verify(TIMEOUT);
        StepVerifier.create(backend.get("../etc/passwd", 0, 1, -1))
                .expectError(IllegalArgumentException.class).verify(TIMEOUT);
    }

    @Test
    void checkNamesAStoppedEndpoint() throws IOException {
        URI stopped;
        try (ServerSocket socket = new ServerSocket(0)) {
            stopped = URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }
        try (S3Backend unreachable = new S3Backend(settings(stopped, bucket, ACCESS, null))) {
            StepVerifier.create(unreachable.check())
                    .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining(stopped.toString())
                            .hasMessageContaining(bucket)
                            // the SDK now and then loses a request after a refused connection; the
                            // attempt timeout then ends it and the refusal may not be reported
                            .hasMessageMatching(".*(unreachable|did not answer in time).*"))
                    .verify(TIMEOUT);
        }
    }

    @Test
    void checkNamesAMissingBucketAndBadCredentials() {
        try (S3Backend missing = new S3Backend(settings(endpoint, "no-such-bucket", ACCESS, null))) {
            StepVerifier.create(missing.check())
                    .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining(endpoint.toString())
                            .hasMessageContaining("no-such-bucket").hasMessageContaining("does not exist"))
                    .verify(TIMEOUT);
        }
        try (S3Backend forbidden = new S3Backend(settings(endpoint, bucket, "someone-else", null))) {
            StepVerifier.create(forbidden.check())
                    .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining(bucket).hasMessageContaining("denied"))
                    .verify(TIMEOUT);
        }
    }

    @Test
    void presignedRedirectServesTheBlobToAPlainGet() {
        byte[] content = random(200_000, 12);
        String location = commit(stage(content), content);
        URI url = store.redirect(location).orElseThrow();
        byte[] fetched = HttpClient.create().get().uri(url)
                .responseSingle((response, body) -> {
                    assertThat(response.status().code()).isEqualTo(200);
                    return body.asByteArray();
                })
                .block(TIMEOUT);
        assertThat(fetched).isEqualTo(content);
        try (S3Backend noPresign = new S3Backend(settings(endpoint, bucket, ACCESS, null))) {
            assertThat(new RemoteBlobStore(noPresign.staging(), noPresign, true).redirect(location)).isEmpty();
        }
    }

    @Test
    void theCommittedObjectIsInTheBucketUnderItsDigest() {
        byte[] content = random(100_000, 13);
        Digest digest = Digest.sha256(content);
        String location = commit(stage(content), content);
        assertThat(location).isEqualTo("blobs/sha256/" + digest.hex());
        byte[] object = raw.getObject(b -> b.bucket(bucket).key(location), AsyncResponseTransformer.toBytes())
                .join().asByteArray();
        assertThat(Digest.sha256(object)).isEqualTo(digest);
    }

    private void assertNoObjectAndNoUploads(Digest digest) {
        assertThat(raw.listObjectsV2(b -> b.bucket(bucket)).join().contents()).isEmpty();
        assertThat(raw.listMultipartUploads(b -> b.bucket(bucket)).join().uploads()).isEmpty();
        StepVerifier.create(backend.get("blobs/sha256/" + digest.hex(), 0, 1, -1))
                .expectError(NoSuchFileException.class).verify(TIMEOUT);
    }

    /** {@code size} random bytes in buffers made on demand, each recorded and fed to {@code sha}. */
    private static Flux<ByteBuf> randomBuffers(long size, int bufferSize, long seed, MessageDigest sha, List<ByteBuf> made) {
        Random random = new Random(seed);
        return Flux.range(0, (int) (size / bufferSize)).map(i -> {
            byte[] chunk = new byte[bufferSize];
            random.nextBytes(chunk);
            if (sha != null) {
                sha.update(chunk);
            }
            ByteBuf buf = Unpooled.wrappedBuffer(chunk);
            made.add(buf);
            return buf;
        });
    }
}

package io.openregistry.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.oci.Digest;
import io.openregistry.storage.BlobStore;
import io.openregistry.storage.StagingContract;
import io.openregistry.storage.remote.RemoteBlobStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.blockhound.BlockHound;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The staging contract for the S3 store: two replicas are two {@link S3Backend}s (two clients,
 * no local directory at all) on one S3Proxy bucket, with 5 MiB parts.
 */
class S3StagingTest extends StagingContract {
    private static final AtomicInteger buckets = new AtomicInteger();
    private static S3ProxyServer s3;
    private static S3AsyncClient raw;

    private final List<S3Backend> backends = new ArrayList<>();
    private String bucket;

    @BeforeAll
    static void startS3() {
        // see S3BlobStoreTest: the SDK's close() waits for its pools on Netty's global executor
        BlockHound.install(builder -> builder.allowBlockingCallsInside("io.netty.channel.pool.SimpleChannelPool", "close"));
        s3 = S3ProxyServer.start();
        raw = S3AsyncClient.builder().endpointOverride(s3.endpoint()).region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(() -> AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED).build();
    }

    @AfterAll
    static void stopS3() throws Exception {
        raw.close();
        s3.close();
    }

    @Override
    protected BlobStore[] createReplicas() {
        bucket = s3.bucket("staging-" + buckets.incrementAndGet());
        return new BlobStore[] {replica(), replica()};
    }

    private BlobStore replica() {
        S3Backend backend = new S3Backend(new S3Settings(s3.endpoint(), "us-east-1", bucket, S3ProxyServer.ACCESS_KEY,
                S3ProxyServer.SECRET_KEY, true, PART, null));
        backends.add(backend);
        return new RemoteBlobStore(backend.staging(), backend, false);
    }

    @AfterEach
    void closeBackends() {
        backends.forEach(S3Backend::close);
    }

    @Test
    void aCommitLeavesOnlyTheBlobInTheBucket() {
        byte[] content = random(PART + 123_456, 21);
        String upload = newUploadId();
        one.append(upload, 0, Flux.fromIterable(chunked(java.util.Arrays.copyOf(content, 1000), 1000))).block(TIMEOUT);
        two.append(upload, 1000, Flux.fromIterable(chunked(java.util.Arrays.copyOfRange(content, 1000, content.length), 64 * 1024)))
                .block(TIMEOUT);
        String location = one.commit(upload, Digest.sha256(content), content.length).block(TIMEOUT);
        assertThat(location).startsWith("blobs/uploads/" + upload + "/");
        List<String> keys = raw.listObjectsV2(b -> b.bucket(bucket)).join().contents().stream().map(S3Object::key)
                .filter(key -> !key.endsWith("/")).toList();
        assertThat(keys).containsExactly(location);
        assertThat(raw.listMultipartUploads(b -> b.bucket(bucket)).join().uploads()).isEmpty();
    }

    @Test
    void aFirstBodyOfKnownLengthIsOneObjectThatTheOtherReplicaReadsAndContinues() {
        byte[] content = random(2 * PART + 777, 22);
        String upload = newUploadId();
        int first = PART + 500;
        List<io.netty.buffer.ByteBuf> body = chunked(java.util.Arrays.copyOf(content, first), 100_000);
        assertThat(one.append(upload, 0, Flux.fromIterable(body), first).block(TIMEOUT)).isEqualTo(first);
        assertThat(body).allSatisfy(buf -> assertThat(buf.refCnt()).isZero());
        // one object of the whole body, no parts: jclouds keeps parts as objects named after the key
        assertThat(objectSizes()).containsEntry(S3Staging.blobKey(upload, 1), (long) first)
                .allSatisfy((key, size) -> assertThat(key).doesNotContain("/1-"));
        assertThat(drain(two.readStaged(upload, first))).isEqualTo(java.util.Arrays.copyOf(content, first));
        assertThat(two.append(upload, first, Flux.fromIterable(chunked(java.util.Arrays.copyOfRange(content, first,
                content.length), 64 * 1024))).block(TIMEOUT)).isEqualTo(content.length);
        String location = one.commit(upload, Digest.sha256(content), content.length).block(TIMEOUT);
        assertThat(drain(two.read(location, 0, content.length))).isEqualTo(content);
        assertThat(objectSizes().keySet()).containsExactly(location);
    }

    @Test
    void aWholeBodyOfKnownLengthCommitsAsItIsOnTheOtherReplica() {
        byte[] content = random(PART + 4321, 23);
        String upload = newUploadId();
        assertThat(one.append(upload, 0, Flux.fromIterable(chunked(content, 64 * 1024)), content.length).block(TIMEOUT))
                .isEqualTo(content.length);
        String location = two.commit(upload, Digest.sha256(content), content.length).block(TIMEOUT);
        assertThat(location).isEqualTo(S3Staging.blobKey(upload, 1));
        assertThat(drain(one.read(location, 0, content.length))).isEqualTo(content);
        assertThat(objectSizes().keySet()).containsExactly(location);
    }

    @Test
    void aFailedSinglePutReportsTheBodysErrorAndTheRetryTakesTheNextGeneration() throws Exception {
        byte[] content = random(PART + 99, 24);
        String upload = newUploadId();
        java.io.IOException clientGone = new java.io.IOException("client went away");
        List<io.netty.buffer.ByteBuf> half = chunked(java.util.Arrays.copyOf(content, PART / 2), 64 * 1024);
        reactor.test.StepVerifier.create(one.append(upload, 0, Flux.concat(Flux.fromIterable(half), Flux.error(clientGone)),
                        content.length))
                .expectErrorMatches(e -> e == clientGone)
                .verify(TIMEOUT);
        assertThat(half).allSatisfy(buf -> assertThat(buf.refCnt()).isZero());
        assertThat(objectSizes()).doesNotContainKey(S3Staging.blobKey(upload, 1));
        // the retry, on the other replica: the marker is there, so a multipart upload of generation 2
        assertThat(two.append(upload, 0, Flux.fromIterable(chunked(content, 64 * 1024)), content.length).block(TIMEOUT))
                .isEqualTo(content.length);
        String location = one.commit(upload, Digest.sha256(content), content.length).block(TIMEOUT);
        assertThat(location).isEqualTo(S3Staging.blobKey(upload, 2));
        assertThat(drain(two.read(location, 0, content.length))).isEqualTo(content);
    }

    @Test
    void anAbortAfterASinglePutRemovesEverything() throws Exception {
        byte[] content = random(PART + 1, 25);
        String upload = newUploadId();
        one.append(upload, 0, Flux.fromIterable(chunked(content, 64 * 1024)), content.length).block(TIMEOUT);
        two.abort(upload).block(TIMEOUT);
        assertNothingStaged(upload);
    }

    private java.util.Map<String, Long> objectSizes() {
        return raw.listObjectsV2(b -> b.bucket(bucket)).join().contents().stream()
                .filter(o -> !o.key().endsWith("/"))
                .collect(java.util.stream.Collectors.toMap(S3Object::key, S3Object::size));
    }

    /**
     * No object names the upload (jclouds keeps the parts of a multipart upload as objects named
     * after its key, so this also sees parts left behind), and no multipart upload is listed.
     */
    @Override
    protected void assertNothingStaged(String uploadId) {
        List<String> keys = raw.listObjectsV2(b -> b.bucket(bucket)).join().contents().stream().map(S3Object::key).toList();
        assertThat(keys).noneMatch(key -> key.contains(uploadId));
        assertThat(raw.listMultipartUploads(b -> b.bucket(bucket)).join().uploads()).isEmpty();
    }
}

package io.openregistry.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.openregistry.oci.Digest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/**
 * The staging half of the {@link BlobStore} contract as replicas see it: two store instances that
 * share one backend the way two registry processes do (S3: one bucket; filesystem and IPFS: one
 * {@code storage.root}), with the requests of one upload alternating between them. Sizes cross
 * the part boundaries of a store with {@link #PART}-byte parts (S3's smallest), wherever a store
 * has parts.
 */
public abstract class StagingContract {

    protected static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** The part size a store under test should use, where it has one (S3's minimum). */
    protected static final int PART = 5 * 1024 * 1024;

    protected BlobStore one;
    protected BlobStore two;

    /** Two stores sharing one backend, as two replicas would; called before every test. */
    protected abstract BlobStore[] createReplicas() throws Exception;

    /** Asserts that nothing of the upload is left in the backend (objects, multipart uploads, files). */
    protected abstract void assertNothingStaged(String uploadId) throws Exception;

    @BeforeEach
    void createReplicasUnderTest() throws Exception {
        BlobStore[] replicas = createReplicas();
        one = replicas[0];
        two = replicas[1];
        one.check().block(TIMEOUT);
        two.check().block(TIMEOUT);
    }

    @Test
    void anUploadHopsBetweenReplicasAndCommitsOnEither() {
        byte[] content = random(2 * PART + 2 * 1024 * 1024 + 123, 1);
        String upload = newUploadId();
        long a = 3L * 1024 * 1024;
        long b = PART + 3L * 1024 * 1024;
        assertThat(append(one, upload, 0, slice(content, 0, a))).isEqualTo(a);
        assertThat(append(two, upload, a, slice(content, a, b))).isEqualTo(b);
        assertThat(append(one, upload, b, slice(content, b, content.length))).isEqualTo(content.length);
        String location = two.commit(upload, Digest.sha256(content), content.length).block(TIMEOUT);
        assertThat(Digest.sha256(drain(one.read(location, 0, content.length)))).isEqualTo(Digest.sha256(content));
        assertThat(drain(two.read(location, 0, content.length))).isEqualTo(content);
        StepVerifier.create(one.readStaged(upload, content.length)).expectError().verify(TIMEOUT);
    }

    @Test
    void aFailedAppendMidPartKeepsTheAcknowledgedOffsetAndTheOtherReplicaContinues() {
        byte[] content = random(PART + 4 * 1024 * 1024, 2);
        String upload = newUploadId();
        long acknowledged = 3L * 1024 * 1024;
        append(one, upload, 0, slice(content, 0, acknowledged));
        // wrong bytes, ending mid-part with an error: nothing of them may survive
        List<ByteBuf> wrong = chunked(random(1024 * 1024, 3), 64 * 1024);
        failingAppend(one, upload, acknowledged, wrong);
        assertThat(append(two, upload, acknowledged, slice(content, acknowledged, content.length))).isEqualTo(content.length);
        assertThat(drain(one.readStaged(upload, content.length))).isEqualTo(content);
        assertCommitsTo(one, upload, content);
    }

    @Test
    void aFailedAppendAcrossPartBoundariesLeavesNothingThatCommits() {
        byte[] content = random(PART + 3 * 1024 * 1024, 4);
        String upload = newUploadId();
        long acknowledged = 4L * 1024 * 1024;
        append(two, upload, 0, slice(content, 0, acknowledged));
        // wrong bytes that fill the part being written and two more (uploaded where a store has
        // parts), then the body fails mid-part
        List<ByteBuf> wrong = chunked(random(2 * PART + 1536 * 1024, 5), 128 * 1024);
        failingAppend(two, upload, acknowledged, wrong);
        // the retry, on the other replica, from the acknowledged offset, ends in the stale second part
        long retryEnd = PART + 1024 * 1024;
        assertThat(append(one, upload, acknowledged, slice(content, acknowledged, retryEnd))).isEqualTo(retryEnd);
        failingAppend(one, upload, retryEnd, chunked(random(1024 * 1024, 6), 64 * 1024));
        assertThat(append(two, upload, retryEnd, slice(content, retryEnd, content.length))).isEqualTo(content.length);
        assertCommitsTo(two, upload, content);
    }

    @Test
    void readStagedAfterAppendsAcrossPartsEqualsWhatWasSentAndTheUploadContinues() {
        byte[] content = random(3 * PART + 77, 7);
        String upload = newUploadId();
        long a = PART - 10;
        long b = 2L * PART + 5;
        append(one, upload, 0, slice(content, 0, a));
        append(two, upload, a, slice(content, a, b));
        assertThat(drain(one.readStaged(upload, b))).isEqualTo(Arrays.copyOf(content, (int) b));
        assertThat(drain(two.readStaged(upload, PART + 3))).isEqualTo(Arrays.copyOf(content, PART + 3));
        StepVerifier.create(two.readStaged(upload, b + 1)).expectError().verify(TIMEOUT);
        // appends after a read continue where the upload was, on either replica
        long c = 2L * PART + 1024 * 1024;
        append(two, upload, b, slice(content, b, c));
        assertThat(drain(one.readStaged(upload, c))).isEqualTo(Arrays.copyOf(content, (int) c));
        append(one, upload, c, slice(content, c, content.length));
        assertThat(drain(two.readStaged(upload, content.length))).isEqualTo(content);
        assertCommitsTo(two, upload, content);
    }

    @Test
    void aCommitRightAfterAReadOfWholePartsWorks() {
        byte[] content = random(2 * PART, 8);
        String upload = newUploadId();
        append(one, upload, 0, slice(content, 0, PART + 1));
        append(two, upload, PART + 1, slice(content, PART + 1, content.length));
        assertThat(Digest.sha256(drain(one.readStaged(upload, content.length)))).isEqualTo(Digest.sha256(content));
        assertCommitsTo(two, upload, content);
    }

    @Test
    void abortOnTheOtherReplicaRemovesEverything() throws Exception {
        byte[] content = random(2 * PART + 4096, 9);
        String upload = newUploadId();
        append(one, upload, 0, slice(content, 0, PART + 100));
        append(one, upload, PART + 100, slice(content, PART + 100, content.length));
        two.abort(upload).block(TIMEOUT);
        assertNothingStaged(upload);
        StepVerifier.create(one.readStaged(upload, 1)).expectError().verify(TIMEOUT);
        two.abort(upload).block(TIMEOUT);
    }

    @Test
    void abortAfterAReadRemovesEverything() throws Exception {
        byte[] content = random(PART + 4096, 10);
        String upload = newUploadId();
        append(two, upload, 0, slice(content, 0, content.length));
        assertThat(drain(one.readStaged(upload, content.length))).isEqualTo(content);
        one.abort(upload).block(TIMEOUT);
        assertNothingStaged(upload);
    }

    @Test
    void aCommitOfAnotherSizeThanStagedErrors() {
        byte[] content = random(PART + 5, 11);
        String upload = newUploadId();
        append(one, upload, 0, slice(content, 0, 1000));
        append(two, upload, 1000, slice(content, 1000, content.length));
        Digest digest = Digest.sha256(content);
        StepVerifier.create(one.commit(upload, digest, content.length - 1)).expectError().verify(TIMEOUT);
        StepVerifier.create(two.commit(upload, digest, content.length + 1)).expectError().verify(TIMEOUT);
        StepVerifier.create(two.commit(upload, digest, 1000)).expectError().verify(TIMEOUT);
        assertCommitsTo(one, upload, content);
    }

    @Test
    void aSmallUploadHopsToo() {
        byte[] content = random(10_000, 12);
        String upload = newUploadId();
        append(one, upload, 0, slice(content, 0, 10));
        append(two, upload, 10, slice(content, 10, 5000));
        append(one, upload, 5000, slice(content, 5000, content.length));
        assertThat(drain(two.readStaged(upload, content.length))).isEqualTo(content);
        assertCommitsTo(two, upload, content);
    }

    // ---- helpers ----

    private void assertCommitsTo(BlobStore store, String upload, byte[] content) {
        Digest digest = Digest.sha256(content);
        String location = store.commit(upload, digest, content.length).block(TIMEOUT);
        BlobStore other = store == one ? two : one;
        assertThat(Digest.sha256(drain(other.read(location, 0, content.length)))).isEqualTo(digest);
    }

    private static long append(BlobStore store, String upload, long offset, List<ByteBuf> data) {
        Long end = store.append(upload, offset, Flux.fromIterable(data)).block(TIMEOUT);
        assertThat(data).allSatisfy(buf -> assertThat(buf.refCnt()).as("refCnt").isZero());
        return end;
    }

    private static void failingAppend(BlobStore store, String upload, long offset, List<ByteBuf> data) {
        IOException clientGone = new IOException("client went away");
        StepVerifier.create(store.append(upload, offset, Flux.concat(Flux.fromIterable(data), Flux.error(clientGone))))
                .expectErrorMatches(e -> e == clientGone)
                .verify(TIMEOUT);
        assertThat(data).allSatisfy(buf -> assertThat(buf.refCnt()).as("refCnt").isZero());
    }

    private static List<ByteBuf> slice(byte[] content, long from, long to) {
        return chunked(Arrays.copyOfRange(content, (int) from, (int) to), 100_000);
    }

    protected static List<ByteBuf> chunked(byte[] content, int chunkSize) {
        List<ByteBuf> result = new ArrayList<>();
        for (int at = 0; at < content.length; at += chunkSize) {
            result.add(Unpooled.copiedBuffer(content, at, Math.min(chunkSize, content.length - at)));
        }
        return result;
    }

    protected static byte[] drain(Flux<ByteBuf> flux) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        flux.doOnNext(buf -> {
            try {
                out.writeBytes(ByteBufUtil.getBytes(buf));
            } finally {
                buf.release();
            }
        }).blockLast(TIMEOUT);
        return out.toByteArray();
    }

    protected static byte[] random(int size, long seed) {
        byte[] result = new byte[size];
        new Random(seed).nextBytes(result);
        return result;
    }

    protected static String newUploadId() {
        return UUID.randomUUID().toString();
    }
}

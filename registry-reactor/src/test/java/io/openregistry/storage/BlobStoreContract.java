package io.openregistry.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.openregistry.oci.Digest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/**
 * The behaviour every {@link BlobStore} backend must show. A backend's test extends this class and
 * supplies a fresh, empty store; everything here goes through the interface only.
 */
public abstract class BlobStoreContract {

    protected static final Duration TIMEOUT = Duration.ofSeconds(30);

    protected BlobStore store;

    /** A new store with nothing in it; called before every test. */
    protected abstract BlobStore createStore() throws Exception;

    @BeforeEach
    void createStoreUnderTest() throws Exception {
        store = createStore();
        store.check().block(TIMEOUT);
    }

    // ---- staging ----

    @Test
    void appendInOneCall() {
        String upload = newUploadId();
        List<ByteBuf> data = buffers("hello");
        assertThat(store.append(upload, 0, Flux.fromIterable(data)).block(TIMEOUT)).isEqualTo(5L);
        assertReleased(data);
        assertThat(drain(store.readStaged(upload, 5))).isEqualTo(bytes("hello"));
    }

    @Test
    void appendInSeveralCallsContinuesAtTheOffset() {
        String upload = newUploadId();
        List<ByteBuf> first = buffers("ab", "c");
        List<ByteBuf> second = buffers("de");
        List<ByteBuf> third = buffers("f", "g", "h");
        assertThat(store.append(upload, 0, Flux.fromIterable(first)).block(TIMEOUT)).isEqualTo(3L);
        assertThat(store.append(upload, 3, Flux.fromIterable(second)).block(TIMEOUT)).isEqualTo(5L);
        assertThat(store.append(upload, 5, Flux.fromIterable(third)).block(TIMEOUT)).isEqualTo(8L);
        assertReleased(first, second, third);
        assertThat(readCommitted(commit(upload, bytes("abcdefgh")), 8)).isEqualTo(bytes("abcdefgh"));
    }

    @Test
    void emptyAppendStagesNothingAndCommitsAnEmptyBlob() {
        String upload = newUploadId();
        assertThat(store.append(upload, 0, Flux.empty()).block(TIMEOUT)).isZero();
        String location = commit(upload, new byte[0]);
        assertThat(readCommitted(location, 0)).isEmpty();
    }

    @Test
    void reAppendFromAnEarlierOffsetDiscardsTheStagedTail() {
        String upload = newUploadId();
        store.append(upload, 0, Flux.fromIterable(buffers("abcdef"))).block(TIMEOUT);
        List<ByteBuf> retry = buffers("XY");
        assertThat(store.append(upload, 2, Flux.fromIterable(retry)).block(TIMEOUT)).isEqualTo(4L);
        assertReleased(retry);
        assertThat(drain(store.readStaged(upload, 4))).isEqualTo(bytes("abXY"));
        StepVerifier.create(store.readStaged(upload, 5)).expectError().verify(TIMEOUT);
        assertThat(readCommitted(commit(upload, bytes("abXY")), 4)).isEqualTo(bytes("abXY"));
    }

    @Test
    void appendPastTheStagedLengthFails() {
        String upload = newUploadId();
        store.append(upload, 0, Flux.fromIterable(buffers("abc"))).block(TIMEOUT);
        StepVerifier.create(store.append(upload, 5, Flux.empty())).expectError().verify(TIMEOUT);
        StepVerifier.create(store.append(newUploadId(), 1, Flux.empty())).expectError().verify(TIMEOUT);
        assertThat(drain(store.readStaged(upload, 3))).isEqualTo(bytes("abc"));
    }

    @Test
    void appendWhoseDataErrorsRollsBackToTheOffsetAndReleasesBuffers() {
        String upload = newUploadId();
        store.append(upload, 0, Flux.fromIterable(buffers("abc"))).block(TIMEOUT);
        List<ByteBuf> partial = buffers("def", "ghi");
        IOException clientGone = new IOException("client went away");
        StepVerifier.create(store.append(upload, 3, Flux.concat(Flux.fromIterable(partial), Flux.error(clientGone))))
                .expectErrorMatches(e -> e == clientGone)
                .verify(TIMEOUT);
        assertReleased(partial);
        assertThat(drain(store.readStaged(upload, 3))).isEqualTo(bytes("abc"));
        StepVerifier.create(store.readStaged(upload, 4)).expectError().verify(TIMEOUT);

        store.append(upload, 3, Flux.fromIterable(buffers("xyz"))).block(TIMEOUT);
        assertThat(readCommitted(commit(upload, bytes("abcxyz")), 6)).isEqualTo(bytes("abcxyz"));
    }

    @Test
    void cancelledAppendRollsBackToTheOffset() throws InterruptedException {
        String upload = newUploadId();
        store.append(upload, 0, Flux.fromIterable(buffers("abc"))).block(TIMEOUT);
        List<ByteBuf> written = buffers("def");
        AtomicLong requests = new AtomicLong();
        Flux<ByteBuf> stalled = Flux.concat(Flux.fromIterable(written), Flux.<ByteBuf>never())
                .doOnRequest(n -> requests.incrementAndGet());
        Disposable append = store.append(upload, 3, stalled).subscribe();
        // a second request means the first buffer has been written
        awaitTrue(() -> requests.get() >= 2);
        append.dispose();
        assertReleased(written);
        awaitTrue(() -> Boolean.TRUE.equals(store.readStaged(upload, 4)
                .doOnNext(ByteBuf::release).then().thenReturn(false)
                .onErrorReturn(true).block(TIMEOUT)));
        assertThat(drain(store.readStaged(upload, 3))).isEqualTo(bytes("abc"));
    }

    @Test
    void appendRequestsOneBufferAtATime() {
        String upload = newUploadId();
        List<ByteBuf> data = buffers("a", "b", "c", "d", "e");
        List<Long> requests = new CopyOnWriteArrayList<>();
        store.append(upload, 0, Flux.fromIterable(data).doOnRequest(requests::add)).block(TIMEOUT);
        assertReleased(data);
        assertThat(requests).isNotEmpty().allMatch(n -> n == 1L);
    }

    @Test
    void readStagedReturnsTheStagedBytes() {
        String upload = newUploadId();
        byte[] content = random(150 * 1024, 1);
        store.append(upload, 0, Flux.fromIterable(chunked(content, 10_000))).block(TIMEOUT);
        assertThat(drain(store.readStaged(upload, content.length))).isEqualTo(content);
        assertThat(drain(store.readStaged(upload, 10))).isEqualTo(Arrays.copyOf(content, 10));
        assertThat(drain(store.readStaged(upload, 0))).isEmpty();
    }

    @Test
    void stagedDataIsNotReadableBeforeCommit() {
        byte[] content = bytes("not yet verified");
        // learn where this content would live, then take it away again
        String location = commit(stage(content), content);
        store.delete(location).block(TIMEOUT);

        stage(content);
        StepVerifier.create(store.read(location, 0, content.length)).expectError().verify(TIMEOUT);
    }

    @Test
    void abortRemovesTheStagingArea() {
        String upload = stage(bytes("abc"));
        store.abort(upload).block(TIMEOUT);
        StepVerifier.create(store.readStaged(upload, 3)).expectError().verify(TIMEOUT);
        store.abort(upload).block(TIMEOUT);
        store.abort(newUploadId()).block(TIMEOUT);
    }

    // ---- committed blobs ----

    @Test
    void commitThenReadFullAndRanged() {
        byte[] content = random(200 * 1024 + 17, 2);
        String upload = stage(content);
        String location = commit(upload, content);
        int size = content.length;

        assertThat(readCommitted(location, size)).isEqualTo(content);
        assertThat(drain(store.read(location, 1000, 70_000))).isEqualTo(Arrays.copyOfRange(content, 1000, 71_000));
        assertThat(drain(store.read(location, size - 1, 1))).containsExactly(content[size - 1]);
        assertThat(drain(store.read(location, 0, 1))).containsExactly(content[0]);
        assertThat(drain(store.read(location, 5, 0))).isEmpty();
        assertThat(drain(store.read(location, size, 0))).isEmpty();
        StepVerifier.create(store.read(location, size - 1, 2)).expectError().verify(TIMEOUT);
        StepVerifier.create(store.readStaged(upload, size)).expectError().verify(TIMEOUT);
    }

    @Test
    void contentOfACommittedBlobIsTheRequestedRange() throws Exception {
        byte[] content = random(200_000, 11);
        String location = commit(stage(content), content);
        Digest digest = Digest.sha256(content);
        assertThat(contentBytes(location, digest, content.length, 0, content.length)).isEqualTo(content);
        assertThat(contentBytes(location, digest, content.length, 1000, 5000))
                .isEqualTo(java.util.Arrays.copyOfRange(content, 1000, 6000));
    }

    private byte[] contentBytes(String location, Digest digest, long size, long offset, long length) throws Exception {
        BlobContent c = store.content(location, digest, size, offset, length).block(TIMEOUT);
        if (c instanceof BlobContent.FileRegion file) {
            try (var channel = file.channel()) {
                java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate((int) file.count());
                while (out.hasRemaining()) {
                    if (channel.read(out, file.position() + out.position()) < 0) {
                        break;
                    }
                }
                return java.util.Arrays.copyOf(out.array(), out.position());
            }
        }
        return drain(((BlobContent.Stream) c).buffers());
    }

    @Test
    void readIsDrivenByDemand() {
        byte[] content = random(1024 * 1024, 3);
        String location = commit(stage(content), content);
        StepVerifier.create(store.read(location, 0, content.length), 1)
                .assertNext(ByteBuf::release)
                .expectNoEvent(Duration.ofMillis(100))
                .thenCancel()
                .verify(TIMEOUT);
    }

    @Test
    void committingContentThatIsAlreadyStoredIsFine() {
        byte[] content = bytes("the same layer twice");
        String first = commit(stage(content), content);
        String secondUpload = stage(content);
        String second = commit(secondUpload, content);
        assertThat(second).isEqualTo(first);
        assertThat(readCommitted(second, content.length)).isEqualTo(content);
        StepVerifier.create(store.readStaged(secondUpload, content.length)).expectError().verify(TIMEOUT);
    }

    @Test
    void concurrentCommitsOfTheSameContent() {
        byte[] content = random(300 * 1024, 4);
        Digest digest = Digest.sha256(content);
        List<String> locations = Flux.range(0, 20)
                .flatMap(i -> {
                    String upload = newUploadId();
                    return store.append(upload, 0, Flux.defer(() -> Flux.fromIterable(chunked(content, 32 * 1024))))
                            .then(store.commit(upload, digest, content.length));
                }, 20)
                .collectList()
                .block(TIMEOUT);
        assertThat(locations).hasSize(20).containsOnly(locations.get(0));
        assertThat(readCommitted(locations.get(0), content.length)).isEqualTo(content);
    }

    @Test
    void deleteThenReadErrors() {
        byte[] content = bytes("short lived");
        String location = commit(stage(content), content);
        store.delete(location).block(TIMEOUT);
        StepVerifier.create(store.read(location, 0, content.length)).expectError().verify(TIMEOUT);
    }

    @Test
    void deleteOfAMissingLocationCompletes() {
        byte[] content = bytes("gone twice");
        String location = commit(stage(content), content);
        store.delete(location).block(TIMEOUT);
        StepVerifier.create(store.delete(location)).verifyComplete();
    }

    @Test
    void checkCompletes() {
        StepVerifier.create(store.check()).verifyComplete();
    }

    @Test
    void streamsA64MiBAppendThroughSmallBuffers() {
        int bufferSize = 8 * 1024;
        int count = 64 * 1024 * 1024 / bufferSize;
        MessageDigest written = Digest.Algorithm.SHA256.newMessageDigest();
        List<ByteBuf> handedOver = new ArrayList<>(count);
        Random random = new Random(5);
        Flux<ByteBuf> data = Flux.range(0, count).map(i -> {
            byte[] chunk = new byte[bufferSize];
            random.nextBytes(chunk);
            written.update(chunk);
            ByteBuf buf = Unpooled.wrappedBuffer(chunk);
            handedOver.add(buf);
            return buf;
        });
        String upload = newUploadId();
        long size = (long) bufferSize * count;
        assertThat(store.append(upload, 0, data).block(Duration.ofMinutes(2))).isEqualTo(size);
        assertThat(handedOver).hasSize(count).allMatch(b -> b.refCnt() == 0);

        Digest digest = Digest.Algorithm.SHA256.digestOf(written);
        String location = store.commit(upload, digest, size).block(Duration.ofMinutes(2));
        MessageDigest read = Digest.Algorithm.SHA256.newMessageDigest();
        AtomicLong readBytes = new AtomicLong();
        store.read(location, 0, size).doOnNext(buf -> {
            try {
                read.update(buf.nioBuffer());
                readBytes.addAndGet(buf.readableBytes());
            } finally {
                buf.release();
            }
        }).blockLast(Duration.ofMinutes(2));
        assertThat(readBytes.get()).isEqualTo(size);
        assertThat(Digest.Algorithm.SHA256.digestOf(read)).isEqualTo(digest);
    }

    // ---- helpers for this suite and its subclasses ----

    protected static String newUploadId() {
        return UUID.randomUUID().toString();
    }

    /** Stages {@code content} under a new upload id and returns the id. */
    protected String stage(byte[] content) {
        String upload = newUploadId();
        List<ByteBuf> data = chunked(content, 64 * 1024);
        assertThat(store.append(upload, 0, Flux.fromIterable(data)).block(TIMEOUT)).isEqualTo((long) content.length);
        assertReleased(data);
        return upload;
    }

    protected String commit(String upload, byte[] content) {
        return store.commit(upload, Digest.sha256(content), content.length).block(TIMEOUT);
    }

    /** Reads a whole committed blob of {@code length} bytes. */
    protected byte[] readCommitted(String location, long length) {
        return drain(store.read(location, 0, length));
    }

    /** Collects all bytes of {@code flux}, releasing every buffer. */
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

    @SafeVarargs
    protected static void assertReleased(List<ByteBuf>... groups) {
        for (List<ByteBuf> group : groups) {
            assertThat(group).allSatisfy(buf -> assertThat(buf.refCnt()).as("refCnt").isZero());
        }
    }

    protected static List<ByteBuf> buffers(String... parts) {
        List<ByteBuf> result = new ArrayList<>();
        for (String part : parts) {
            result.add(Unpooled.copiedBuffer(part, StandardCharsets.UTF_8));
        }
        return result;
    }

    protected static List<ByteBuf> chunked(byte[] content, int chunkSize) {
        List<ByteBuf> result = new ArrayList<>();
        for (int at = 0; at < content.length; at += chunkSize) {
            result.add(Unpooled.copiedBuffer(content, at, Math.min(chunkSize, content.length - at)));
        }
        return result;
    }

    protected static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    protected static byte[] random(int size, long seed) {
        byte[] result = new byte[size];
        new Random(seed).nextBytes(result);
        return result;
    }

    protected static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                // what every thread was doing, for a wait that ran out (S3BlobStoreTest's cancelled
                // put once waited 30 s for its first part in a full CI run and never since)
                StringBuilder dump = new StringBuilder("threads when the wait ran out:\n");
                Thread.getAllStackTraces().forEach((thread, stack) -> {
                    dump.append('"').append(thread.getName()).append("\" ").append(thread.getState()).append('\n');
                    for (StackTraceElement frame : stack) {
                        dump.append("    at ").append(frame).append('\n');
                    }
                });
                System.out.println(dump);
                throw new AssertionError("condition not met within " + TIMEOUT + " (thread dump in the test's output)");
            }
            Thread.sleep(10);
        }
    }
}

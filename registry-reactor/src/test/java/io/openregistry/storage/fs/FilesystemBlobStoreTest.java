package io.openregistry.storage.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.openregistry.oci.Digest;
import io.openregistry.storage.BlobContent;
import io.openregistry.storage.BlobStore;
import io.openregistry.storage.BlobStoreContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

class FilesystemBlobStoreTest extends BlobStoreContract {

    private static Scheduler io;

    @TempDir
    Path root;

    @BeforeAll
    static void startScheduler() {
        io = Schedulers.newBoundedElastic(8, 1000, "fs-store-test");
    }

    @AfterAll
    static void stopScheduler() {
        io.dispose();
    }

    @Override
    protected BlobStore createStore() {
        return new FilesystemBlobStore(root.resolve("data"), io);
    }

    private Path data() {
        return root.resolve("data");
    }

    @Test
    void committedBlobsAreContentAddressed() throws Exception {
        byte[] content = bytes("layer");
        Digest digest = Digest.sha256(content);
        String location = commit(stage(content), content);
        assertThat(location).isEqualTo("blobs/sha256/" + digest.hex().substring(0, 2) + "/" + digest.hex());
        assertThat(Files.readAllBytes(data().resolve(location))).isEqualTo(content);
    }

    @Test
    void sha512BlobsGetTheirOwnDirectory() {
        byte[] content = bytes("layer");
        Digest digest = Digest.of(Digest.Algorithm.SHA512, content);
        String location = store.commit(stage(content), digest, content.length).block(TIMEOUT);
        assertThat(location).isEqualTo("blobs/sha512/" + digest.hex().substring(0, 2) + "/" + digest.hex());
    }

    @Test
    void uploadsAreStagedUnderTheirId() throws Exception {
        String upload = stage(bytes("staged"));
        assertThat(Files.readAllBytes(data().resolve("uploads").resolve(upload))).isEqualTo(bytes("staged"));
    }

    @Test
    void contentIsARegionOfTheCommittedFile() throws Exception {
        byte[] content = bytes("zero copy");
        String location = commit(stage(content), content);
        BlobContent region = store.content(location, Digest.sha256(content), content.length, 2, 4).block(TIMEOUT);
        assertThat(region).isInstanceOf(BlobContent.FileRegion.class);
        BlobContent.FileRegion file = (BlobContent.FileRegion) region;
        try (var channel = file.channel()) {
            assertThat(file.position()).isEqualTo(2);
            assertThat(file.count()).isEqualTo(4);
            java.nio.ByteBuffer read = java.nio.ByteBuffer.allocate(4);
            channel.read(read, file.position());
            assertThat(read.array()).isEqualTo(java.util.Arrays.copyOfRange(content, 2, 6));
            assertThat(channel.size()).isEqualTo(Files.size(data().resolve(location)));
        }
        StepVerifier.create(store.content(location, Digest.sha256(content), content.length, 2, content.length))
                .expectError(IllegalArgumentException.class).verify(TIMEOUT);
    }

    @Test
    void commitRenamesTheStagedFileAndLeavesNoStaging() throws Exception {
        byte[] content = bytes("moved, not copied");
        String upload = stage(content);
        Object stagedInode = Files.readAttributes(data().resolve("uploads").resolve(upload), BasicFileAttributes.class).fileKey();
        String location = commit(upload, content);
        Object committedInode = Files.readAttributes(data().resolve(location), BasicFileAttributes.class).fileKey();
        assertThat(committedInode).isNotNull().isEqualTo(stagedInode);
        try (Stream<Path> left = Files.list(data().resolve("uploads"))) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void secondCommitOfStoredContentDropsItsStagingFile() throws Exception {
        byte[] content = bytes("twice");
        commit(stage(content), content);
        commit(stage(content), content);
        try (Stream<Path> left = Files.list(data().resolve("uploads"))) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void commitWithAWrongSizeFailsAndKeepsTheStagedFile() {
        byte[] content = bytes("four");
        String upload = stage(content);
        StepVerifier.create(store.commit(upload, Digest.sha256(content), 5))
                .expectError(IllegalStateException.class).verify(TIMEOUT);
        assertThat(data().resolve("uploads").resolve(upload)).exists();
    }

    @Test
    void uploadIdsThatCouldNameOtherPathsAreRejected() {
        for (String id : new String[] {"../x", "..", ".", "a/b", "/etc/passwd", "", "x\\..\\y", ".hidden"}) {
            StepVerifier.create(store.append(id, 0, Flux.empty())).expectError(IllegalArgumentException.class).verify(TIMEOUT);
            StepVerifier.create(store.readStaged(id, 0)).expectError(IllegalArgumentException.class).verify(TIMEOUT);
            StepVerifier.create(store.commit(id, Digest.sha256(new byte[0]), 0))
                    .expectError(IllegalArgumentException.class).verify(TIMEOUT);
            StepVerifier.create(store.abort(id)).expectError(IllegalArgumentException.class).verify(TIMEOUT);
        }
        assertThat(root.resolve("x")).doesNotExist();
    }

    @Test
    void locationsOutsideTheBlobAreaAreRejected() {
        for (String location : new String[] {"../outside", "/etc/passwd", "uploads/x", "blobs", "blobs/../uploads/x", ""}) {
            StepVerifier.create(store.content(location, Digest.sha256(new byte[0]), 0, 0, 0))
                    .expectError(IllegalArgumentException.class).verify(TIMEOUT);
            StepVerifier.create(store.read(location, 0, 0)).expectError(IllegalArgumentException.class).verify(TIMEOUT);
            StepVerifier.create(store.delete(location)).expectError(IllegalArgumentException.class).verify(TIMEOUT);
        }
    }

    @Test
    void rangesOutsideTheBlobAreIllegalArguments() {
        byte[] content = bytes("0123456789");
        String location = commit(stage(content), content);
        for (long[] range : new long[][] {{0, 11}, {11, 0}, {9, 2}, {-1, 1}, {0, -1}}) {
            StepVerifier.create(store.read(location, range[0], range[1]))
                    .expectError(IllegalArgumentException.class).verify(TIMEOUT);
        }
    }

    @Test
    void appendPastTheStagedLengthIsAnIllegalState() {
        String upload = stage(bytes("abc"));
        StepVerifier.create(store.append(upload, 4, Flux.empty())).expectError(IllegalStateException.class).verify(TIMEOUT);
        StepVerifier.create(store.append(newUploadId(), 1, Flux.empty())).expectError(IllegalStateException.class).verify(TIMEOUT);
    }

    @Test
    void checkCreatesAMissingRoot() {
        Path fresh = root.resolve("a/b/c");
        new FilesystemBlobStore(fresh, io).check().block(TIMEOUT);
        assertThat(fresh).isDirectory();
    }

    @Test
    void checkNamesTheRootWhenItIsNotADirectory() throws Exception {
        Path file = Files.writeString(root.resolve("not-a-dir"), "x");
        StepVerifier.create(new FilesystemBlobStore(file, io).check())
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining(file.toString()))
                .verify(TIMEOUT);
    }

    /**
     * With the io scheduler held up, no operation may touch the disk: if any blocking call ran on
     * the subscribing thread, its effect would already show. (BlockHound cannot check this: it
     * does not instrument FileChannel or file opening.)
     */
    @Test
    void blockingWorkWaitsForTheIoScheduler() throws Exception {
        // A bounded-elastic thread: blocking on the gate is allowed there even with BlockHound installed
        Scheduler held = Schedulers.newBoundedElastic(1, 1000, "held-io");
        CountDownLatch gate = new CountDownLatch(1);
        try {
            held.schedule(() -> {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            BlobStore paused = new FilesystemBlobStore(data(), held);
            byte[] kept = bytes("kept");
            byte[] doomed = bytes("doomed");
            byte[] staged = bytes("staged");
            String keptLocation = commit(stage(kept), kept);
            String doomedLocation = commit(stage(doomed), doomed);
            String toCommit = stage(staged);
            String toAbort = stage(bytes("aborted"));
            String fresh = newUploadId();
            Path uploads = data().resolve("uploads");

            CompletableFuture<Long> append = paused.append(fresh, 0, Flux.fromIterable(buffers("new"))).toFuture();
            CompletableFuture<String> commit = paused.commit(toCommit, Digest.sha256(staged), staged.length).toFuture();
            CompletableFuture<Void> abort = paused.abort(toAbort).toFuture();
            CompletableFuture<Void> delete = paused.delete(doomedLocation).toFuture();
            CompletableFuture<Void> check = paused.check().toFuture();
            CompletableFuture<Integer> read = paused.read(keptLocation, 0, kept.length)
                    .map(buf -> {
                        int n = buf.readableBytes();
                        buf.release();
                        return n;
                    })
                    .reduce(0, Integer::sum).toFuture();

            assertThat(uploads.resolve(fresh)).doesNotExist();
            assertThat(uploads.resolve(toCommit)).exists();
            assertThat(uploads.resolve(toAbort)).exists();
            assertThat(data().resolve(doomedLocation)).exists();
            assertThat(List.of(append, commit, abort, delete, check, read)).noneMatch(CompletableFuture::isDone);

            gate.countDown();
            assertThat(append.get(30, TimeUnit.SECONDS)).isEqualTo(3L);
            assertThat(commit.get(30, TimeUnit.SECONDS)).isNotNull();
            abort.get(30, TimeUnit.SECONDS);
            delete.get(30, TimeUnit.SECONDS);
            check.get(30, TimeUnit.SECONDS);
            assertThat(read.get(30, TimeUnit.SECONDS)).isEqualTo(kept.length);
            assertThat(uploads.resolve(toCommit)).doesNotExist();
            assertThat(uploads.resolve(toAbort)).doesNotExist();
            assertThat(data().resolve(doomedLocation)).doesNotExist();
        } finally {
            gate.countDown();
            held.dispose();
        }
    }
}

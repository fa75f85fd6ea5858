package io.openregistry.storage.fs;

import io.netty.buffer.ByteBuf;
import io.openregistry.oci.Digest;
import io.openregistry.storage.BlobStore;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * A {@link BlobStore} on a local directory. Committed blobs are content addressed under
 * {@code blobs/<algorithm>/<first two hex digits>/<hex>}, which is also the location handed out
 * (relative to the root, with {@code /} separators); uploads are staged in {@code uploads/<id>} and
 * become visible by an atomic rename, so a reader never sees a partial blob.
 *
 * <p>Every blocking file-system call except the writes of {@link #append} runs on the
 * {@code io} scheduler given to the constructor, which the caller owns and disposes. Appended
 * buffers are written on the thread that delivers them, as the contract permits.
 */
public final class FilesystemBlobStore implements BlobStore {

    /** Upload ids are UUIDs in practice; anything that could name another path is refused. */
    private static final Pattern UPLOAD_ID = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}");

    private final Path root;
    private final Path blobs;
    private final Path uploads;
    private final Scheduler io;

    /**
     * @param root directory holding {@code blobs/} and {@code uploads/}; created by {@link #check()}
     * @param io bounded scheduler for blocking file calls, owned by the caller
     */
    public FilesystemBlobStore(Path root, Scheduler io) {
        this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
        this.io = Objects.requireNonNull(io, "io");
        this.blobs = this.root.resolve("blobs");
        this.uploads = this.root.resolve("uploads");
    }

    @Override
    public String backend() {
        return "filesystem";
    }

    /** Creates the root if missing and proves it writable by creating and removing a probe file. */
    @Override
    public Mono<Void> check() {
        return Mono.fromCallable(() -> {
            try {
                Files.createDirectories(root);
            } catch (IOException e) {
                throw new IllegalStateException("storage root " + root + " is not a directory we can create: " + e, e);
            }
            try {
                Files.delete(Files.createTempFile(root, ".check-", ".tmp"));
            } catch (IOException e) {
                throw new IllegalStateException("storage root " + root + " is not writable: " + e, e);
            }
            return root;
        }).subscribeOn(io).then();
    }

    @Override
    public Mono<Long> append(String uploadId, long offset, Flux<ByteBuf> data) {
        return Mono.defer(() -> {
            if (offset < 0) {
                return Mono.error(new IllegalArgumentException("negative offset " + offset));
            }
            Path staged = stagingPath(uploadId);
            return Mono.usingWhen(
                    Mono.fromCallable(() -> {
                        Files.createDirectories(uploads);
                        return StagingFile.open(staged, offset);
                    }).subscribeOn(io),
                    file -> Mono.<Long>create(sink -> {
                        StagingWriter writer = new StagingWriter(file, sink);
                        sink.onCancel(writer);
                        data.subscribe(writer);
                    }),
                    file -> onIo(file::close),
                    (file, error) -> onIo(file::rollback),
                    file -> onIo(file::rollback));
        });
    }

    @Override
    public Flux<ByteBuf> readStaged(String uploadId, long length) {
        return Flux.defer(() -> FileChunks.stream(stagingPath(uploadId), 0, length, io));
    }

    /**
     * Forces the staged bytes to disk, then renames them into place. If the blob is already
     * stored the staged copy is simply dropped: equal digests mean equal content. A repeated
     * commit of an upload whose staging file is already gone succeeds when the blob exists.
     */
    @Override
    public Mono<String> commit(String uploadId, Digest digest, long size) {
        return Mono.fromCallable(() -> {
            Path staged = stagingPath(uploadId);
            String location = locationOf(digest);
            Path target = root.resolve(location);
            if (Files.notExists(staged) && Files.isRegularFile(target)) {
                return location;
            }
            try (FileChannel channel = FileChannel.open(staged, StandardOpenOption.WRITE)) {
                long staging = channel.size();
                if (staging != size) {
                    throw new IllegalStateException("upload " + uploadId + " holds " + staging
                            + " bytes, not the " + size + " being committed");
                }
                channel.force(true);
            }
            Path directory = target.getParent();
            Files.createDirectories(directory);
            if (Files.exists(target)) {
                Files.delete(staged);
                return location;
            }
            try {
                Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException raced) {
                Files.deleteIfExists(staged);
            }
            syncDirectory(directory);
            return location;
        }).subscribeOn(io);
    }

    @Override
    public Mono<Void> abort(String uploadId) {
        return Mono.fromCallable(() -> Files.deleteIfExists(stagingPath(uploadId))).subscribeOn(io).then();
    }

    @Override
    public Flux<ByteBuf> read(String location, long offset, long length) {
        return Flux.defer(() -> FileChunks.stream(blobPath(location), offset, length, io));
    }

    /**
     * The committed file for {@code location}. Existence is not checked, to keep this free of
     * blocking calls on the caller's thread; the database is the authority on what exists.
     *
     * @throws IllegalArgumentException if the location is not inside this store's blob area
     */
    @Override
    public Optional<Path> localFile(String location) {
        return Optional.of(blobPath(location));
    }

    @Override
    public Mono<Void> delete(String location) {
        return Mono.fromCallable(() -> Files.deleteIfExists(blobPath(location))).subscribeOn(io).then();
    }

    @Override
    public String toString() {
        return "FilesystemBlobStore[" + root + "]";
    }

    static String locationOf(Digest digest) {
        String hex = digest.hex();
        return "blobs/" + digest.algorithm().prefix() + "/" + hex.substring(0, 2) + "/" + hex;
    }

    private Path stagingPath(String uploadId) {
        if (uploadId == null || !UPLOAD_ID.matcher(uploadId).matches()) {
            throw new IllegalArgumentException("invalid upload id: " + uploadId);
        }
        Path path = uploads.resolve(uploadId).normalize();
        if (!uploads.equals(path.getParent())) {
            throw new IllegalArgumentException("invalid upload id: " + uploadId);
        }
        return path;
    }

    private Path blobPath(String location) {
        if (location == null || location.isEmpty()) {
            throw new IllegalArgumentException("empty blob location");
        }
        // InvalidPathException is itself an IllegalArgumentException
        Path path = root.resolve(location).normalize();
        if (!path.startsWith(blobs) || path.equals(blobs)) {
            throw new IllegalArgumentException("blob location outside " + blobs + ": " + location);
        }
        return path;
    }

    /** Makes a rename durable; only some platforms can open a directory, so failure is tolerated. */
    private static void syncDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // the blob is in place; only its durability across a power cut is weaker here
        }
    }

    private Mono<Void> onIo(IoAction action) {
        return Mono.fromCallable(() -> {
            action.run();
            return Boolean.TRUE;
        }).subscribeOn(io).then();
    }

    @FunctionalInterface
    private interface IoAction {
        void run() throws IOException;
    }
}

package io.openregistry.storage.staging;

import io.netty.buffer.ByteBuf;
import io.openregistry.storage.LeaseLostException;
import io.openregistry.storage.StoredObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Uploads in progress, staged as one file per upload id in a local directory: the staging half of
 * the {@code BlobStore} contract ({@code append}, {@code readStaged}, {@code abort}), shared by
 * every backend. The filesystem store commits a staged file by renaming it into its blob area
 * ({@link #path}); the remote stores stream it to their backend. It is its own piece, composed by
 * the composition root, so that no backend depends on another.
 *
 * <p>Every blocking file-system call except the writes of {@link #append} runs on the {@code io}
 * scheduler given to the constructor, which the caller owns and disposes. Appended buffers are
 * written on the thread that delivers them, as the {@code BlobStore} contract permits.
 */
public final class LocalStaging {

    /** Upload ids are UUIDs in practice; anything that could name another path is refused. */
    private static final Pattern UPLOAD_ID = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}");

    private final Path directory;
    private final Scheduler io;
    private final BackgroundFlushes flushes;

    /**
     * @param directory where staged files live; created by {@link #check()} and by the first append
     * @param io        bounded scheduler for blocking file calls, owned by the caller
     */
    public LocalStaging(Path directory, Scheduler io) {
        this.directory = Objects.requireNonNull(directory, "directory").toAbsolutePath().normalize();
        this.io = Objects.requireNonNull(io, "io");
        this.flushes = new BackgroundFlushes(io);
    }

    /** Creates the directory if missing and proves it writable by creating and removing a probe file. */
    public Mono<Void> check() {
        return Mono.fromCallable(() -> {
            try {
                Files.createDirectories(directory);
            } catch (IOException e) {
                throw new IllegalStateException("staging directory " + directory + " is not a directory we can create: "
                        + e, e);
            }
            try {
                Files.delete(Files.createTempFile(directory, ".check-", ".tmp"));
            } catch (IOException e) {
                throw new IllegalStateException("staging directory " + directory + " is not writable: " + e, e);
            }
            return directory;
        }).subscribeOn(io).then();
    }

    /**
     * {@code BlobStore.append}: writes {@code data} from {@code offset}, rolled back to it on any
     * failure except a {@link LeaseLostException} (then the file is only closed).
     */
    public Mono<Long> append(String uploadId, long offset, Flux<ByteBuf> data) {
        return Mono.defer(() -> {
            if (offset < 0) {
                return Mono.error(new IllegalArgumentException("negative offset " + offset));
            }
            Path staged = path(uploadId);
            return Mono.usingWhen(
                    Mono.fromCallable(() -> {
                        Files.createDirectories(directory);
                        return StagingFile.open(staged, offset, flushes);
                    }).subscribeOn(io),
                    file -> Mono.<Long>create(sink -> {
                        StagingWriter writer = new StagingWriter(file, sink);
                        sink.onCancel(writer);
                        data.subscribe(writer);
                    }),
                    file -> onIo(file::close),
                    // a writer that lost its lease must not truncate what the new holder may be writing
                    (file, error) -> onIo(LeaseLostException.isLeaseLost(error) ? file::close : file::rollback),
                    file -> onIo(file::rollback));
        });
    }

    /** {@code BlobStore.readStaged}: the first {@code length} staged bytes; errors when fewer are staged. */
    public Flux<ByteBuf> readStaged(String uploadId, long length) {
        return Flux.defer(() -> FileChunks.stream(path(uploadId), 0, length, io));
    }

    /** How many bytes are staged for the upload; errors when nothing is. */
    public Mono<Long> stagedLength(String uploadId) {
        return Mono.fromCallable(() -> {
            try {
                return Files.size(path(uploadId));
            } catch (java.nio.file.NoSuchFileException e) {
                throw new IllegalStateException("nothing staged for upload " + uploadId);
            }
        }).subscribeOn(io);
    }

    /** {@code BlobStore.abort}: removes the staged file; completes normally when there is none. */
    public Mono<Void> abort(String uploadId) {
        return Mono.fromCallable(() -> Files.deleteIfExists(path(uploadId))).subscribeOn(io).then();
    }

    /**
     * Every staged upload (location: its upload id), listed lazily on the I/O scheduler; only names
     * an upload id can have (not the probe files of {@link #check()}).
     */
    public Flux<StoredObject> list() {
        return Flux.using(() -> Files.isDirectory(directory) ? Files.list(directory) : java.util.stream.Stream.<Path>empty(),
                        files -> Flux.fromStream(files
                                .filter(f -> UPLOAD_ID.matcher(f.getFileName().toString()).matches()
                                        && !f.getFileName().toString().startsWith("."))
                                .flatMap(LocalStaging::describe)),
                        java.util.stream.Stream::close)
                .subscribeOn(io);
    }

    private static java.util.stream.Stream<StoredObject> describe(Path file) {
        try {
            java.nio.file.attribute.BasicFileAttributes a = Files.readAttributes(file,
                    java.nio.file.attribute.BasicFileAttributes.class);
            return a.isRegularFile()
                    ? java.util.stream.Stream.of(new StoredObject(
                            StoredObject.Kind.STAGED, file.getFileName().toString(), null,
                            file.getFileName().toString(), a.size(), a.lastModifiedTime().toInstant()))
                    : java.util.stream.Stream.empty();
        } catch (IOException e) {
            // gone meanwhile (committed or aborted): nothing to reconcile
            return java.util.stream.Stream.empty();
        }
    }

    /**
     * The staged file of an upload (for a store that commits by renaming it).
     *
     * @throws IllegalArgumentException if the id could name a path outside the staging directory
     */
    public Path path(String uploadId) {
        if (uploadId == null || !UPLOAD_ID.matcher(uploadId).matches()) {
            throw new IllegalArgumentException("invalid upload id: " + uploadId);
        }
        Path path = directory.resolve(uploadId).normalize();
        if (!directory.equals(path.getParent())) {
            throw new IllegalArgumentException("invalid upload id: " + uploadId);
        }
        return path;
    }

    @Override
    public String toString() {
        return "LocalStaging[" + directory + "]";
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

package io.openregistry.storage.fs;

import io.netty.buffer.ByteBuf;
import io.openregistry.oci.Digest;
import io.openregistry.storage.BlobContent;
import io.openregistry.storage.BlobStore;
import io.openregistry.storage.StoredObject;
import io.openregistry.storage.staging.FileChunks;
import io.openregistry.storage.staging.LocalStaging;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * A {@link BlobStore} on a local directory. Committed blobs are content addressed under
 * {@code blobs/<algorithm>/<first two hex digits>/<hex>}, which is also the location handed out
 * (relative to the root, with {@code /} separators); uploads are staged by a {@link LocalStaging}
 * (by default in {@code uploads/<id>}, on the same file system) and become visible by an atomic
 * rename, so a reader never sees a partial blob.
 *
 * <p>Every blocking file-system call runs on the {@code io} scheduler given to the constructor,
 * which the caller owns and disposes, except the writes of {@link #append} (see {@link LocalStaging}).
 */
public final class FilesystemBlobStore implements BlobStore {

    private final Path root;
    private final Path blobs;
    private final LocalStaging staging;
    private final Scheduler io;

    /**
     * @param root directory holding {@code blobs/} and {@code uploads/}; created by {@link #check()}
     * @param io bounded scheduler for blocking file calls, owned by the caller
     */
    public FilesystemBlobStore(Path root, Scheduler io) {
        this(root, new LocalStaging(root.resolve("uploads"), io), io);
    }

    /**
     * @param root    directory holding {@code blobs/}; created by {@link #check()}
     * @param staging where uploads are staged: on the same file system as {@code root}, since
     *                commits rename staged files into place
     * @param io      bounded scheduler for blocking file calls, owned by the caller
     */
    public FilesystemBlobStore(Path root, LocalStaging staging, Scheduler io) {
        this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
        this.staging = Objects.requireNonNull(staging, "staging");
        this.io = Objects.requireNonNull(io, "io");
        this.blobs = this.root.resolve("blobs");
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
        }).subscribeOn(io).then(staging.check());
    }

    @Override
    public Mono<Long> append(String uploadId, long offset, Flux<ByteBuf> data) {
        return staging.append(uploadId, offset, data);
    }

    @Override
    public Flux<ByteBuf> readStaged(String uploadId, long length) {
        return staging.readStaged(uploadId, length);
    }

    /**
     * Forces the staged bytes to disk, then renames them into place. If the blob is already
     * stored the staged copy is simply dropped: equal digests mean equal content. A repeated
     * commit of an upload whose staging file is already gone succeeds when the blob exists.
     */
    @Override
    public Mono<String> commit(String uploadId, Digest digest, long size) {
        return Mono.fromCallable(() -> {
            Path staged = staging.path(uploadId);
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
        return staging.abort(uploadId);
    }

    @Override
    public Flux<ByteBuf> read(String location, long offset, long length) {
        return Flux.defer(() -> FileChunks.stream(blobPath(location), offset, length, io));
    }

    /**
     * The committed file's region, opened on the I/O scheduler, for zero-copy transfer. A channel
     * opened for a subscriber that has gone by then is closed here.
     */
    @Override
    public Mono<BlobContent> content(String location, Digest digest, long size, long offset, long length) {
        return Mono.<BlobContent>fromCallable(() -> {
                    if (offset < 0 || length < 0 || offset > size || length > size - offset) {
                        throw new IllegalArgumentException("invalid range: offset " + offset + ", length " + length
                                + " of a blob of " + size + " bytes");
                    }
                    return new BlobContent.FileRegion(FileChannel.open(blobPath(location), StandardOpenOption.READ),
                            offset, length);
                })
                .subscribeOn(io)
                .doOnDiscard(BlobContent.FileRegion.class, FilesystemBlobStore::closeQuietly);
    }

    private static void closeQuietly(BlobContent.FileRegion region) {
        try {
            region.channel().close();
        } catch (IOException ignored) {
            // nothing was sent from it
        }
    }

    @Override
    public Mono<Void> delete(String location) {
        return Mono.fromCallable(() -> Files.deleteIfExists(blobPath(location))).subscribeOn(io).then();
    }

    /** Files of the {@code blobs/<algorithm>/<xx>/<hex>} layout only; anything else under blobs/ is not ours. */
    @Override
    public Flux<StoredObject> list() {
        return Flux.using(() -> {
                    restoreAside();
                    return Files.isDirectory(blobs) ? Files.walk(blobs) : Stream.<Path>empty();
                },
                        files -> Flux.fromStream(files.flatMap(this::describe)),
                        Stream::close)
                .subscribeOn(io);
    }

    /**
     * Files a {@link #removeUnnamed} left aside when its process died between moving a file aside
     * and deciding: moved back to their content-addressed place (if it is free), so that nothing a
     * row may name stays out of reach; the listing that follows judges them again.
     */
    private void restoreAside() throws IOException {
        Path aside = root.resolve("reconcile");
        if (!Files.isDirectory(aside)) {
            return;
        }
        try (Stream<Path> files = Files.list(aside)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String[] name = file.getFileName().toString().split("\\.", 2)[0].split("-", 2);
                Digest digest;
                try {
                    digest = Digest.parse(name[0] + ":" + name[1]);
                } catch (RuntimeException notOurs) {
                    continue;
                }
                try {
                    putBackNow(locationOf(digest), file);
                } catch (NoSuchFileException handledMeanwhile) {
                    // another run decided about it meanwhile
                }
            }
        }
    }

    private Stream<StoredObject> describe(Path file) {
        Path relative = blobs.relativize(file);
        if (relative.getNameCount() != 3) {
            return Stream.empty();
        }
        Digest digest;
        try {
            digest = Digest.parse(relative.getName(0) + ":" + relative.getName(2));
        } catch (RuntimeException notADigest) {
            return Stream.empty();
        }
        String location = locationOf(digest);
        if (!root.resolve(location).equals(file)) {
            return Stream.empty();
        }
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.isRegularFile()
                    ? Stream.of(new StoredObject(StoredObject.Kind.BLOB, location, digest, null, a.size(), a.lastModifiedTime().toInstant()))
                    : Stream.empty();
        } catch (IOException gone) {
            return Stream.empty();
        }
    }

    /**
     * Renames the file into {@code reconcile/} beside {@code blobs/} first: a commit of its digest
     * that checks for it from then on finds it absent and moves fresh bytes in, and one that found
     * it before the rename holds a commit intent (or has its row) by the time {@code stillUnnamed}
     * runs, which then answers false and the file is moved back (unless a commit has meanwhile put
     * the same bytes in place).
     */
    @Override
    public Mono<Boolean> removeUnnamed(String location, Mono<Boolean> stillUnnamed) {
        return Mono.fromCallable(() -> {
            Path file = blobPath(location);
            // named after the digest, so that a run after a crash can put it back (restoreAside)
            String[] parts = location.split("/");
            Path aside = root.resolve("reconcile").resolve(parts[1] + "-" + parts[3] + "." + UUID.randomUUID());
            Files.createDirectories(aside.getParent());
            try {
                Files.move(file, aside, StandardCopyOption.ATOMIC_MOVE);
            } catch (NoSuchFileException gone) {
                return Optional.<Path>empty();
            }
            return Optional.of(aside);
        }).subscribeOn(io).flatMap(moved -> moved.isEmpty() ? Mono.just(false)
                : stillUnnamed.onErrorResume(e -> putBack(location, moved.get()).then(Mono.error(e)))
                        .flatMap(unnamed -> unnamed
                                ? Mono.fromCallable(() -> Files.deleteIfExists(moved.get())).subscribeOn(io).thenReturn(true)
                                : putBack(location, moved.get()).thenReturn(false))
                        // cancelled (shutdown) while aside: put it back rather than wait for the next run
                        .doOnCancel(() -> putBack(location, moved.get()).subscribe(x -> { }, e -> { })));
    }

    private Mono<Void> putBack(String location, Path aside) {
        return Mono.fromCallable(() -> {
            try {
                putBackNow(location, aside);
            } catch (NoSuchFileException restored) {
                // a concurrent run's restoreAside put it back already
            }
            return true;
        }).subscribeOn(io).then();
    }

    private void putBackNow(String location, Path aside) throws IOException {
        Path file = blobPath(location);
        Files.createDirectories(file.getParent());
        try {
            Files.move(aside, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException recommitted) {
            // a commit stored the same content meanwhile
            Files.deleteIfExists(aside);
        }
    }

    @Override
    public Flux<StoredObject> listStaged() {
        return staging.list();
    }

    @Override
    public String toString() {
        return "FilesystemBlobStore[" + root + "]";
    }

    static String locationOf(Digest digest) {
        String hex = digest.hex();
        return "blobs/" + digest.algorithm().prefix() + "/" + hex.substring(0, 2) + "/" + hex;
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
}

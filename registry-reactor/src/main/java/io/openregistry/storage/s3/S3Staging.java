package io.openregistry.storage.s3;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.openregistry.oci.Digest;
import io.openregistry.storage.StoredObject;
import io.openregistry.storage.UploadStaging;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.reactivestreams.Subscriber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Uploads staged in the bucket itself, so that any replica continues any upload and no upload
 * touches local disk: the bytes stream into a multipart upload while the client sends them.
 *
 * <p><b>Layout</b> (for the registry's upload id {@code U}, part size {@code P}):
 * <ul>
 * <li>{@code blobs/uploads/U/G}: the key the multipart upload of generation {@code G} completes
 *     into; it becomes the blob's location (the database records locations per blob, and has no
 *     blob row for it before the commit, so nothing is visible early). The digest is unknown while
 *     bytes arrive, hence a per-upload key rather than a content-addressed one.</li>
 * <li>{@code uploads/U/multipart}: the marker, {@code "G <s3 upload id>"}, written once the
 *     multipart upload of generation {@code G} is usable; how every replica finds it (jclouds-based
 *     servers such as S3Proxy do not list multipart uploads, so the marker is the portable way).</li>
 * <li>{@code uploads/U/tail/E}: the bytes after the last whole part, written when an append that
 *     ended at offset {@code E} succeeded ({@code E % P} bytes, possibly none). Keyed by the end
 *     offset, so a request that fails never overwrites the tail the acknowledged offset needs.</li>
 * </ul>
 *
 * <p><b>Append</b> at offset {@code O}: the {@code O / P} whole parts are stored, part {@code n}
 * holding bytes {@code [(n-1)P, nP)}. Every tail but {@code tail/O} is garbage by now (an append
 * only ever starts at the acknowledged offset) and is deleted first; so at any time the highest
 * tail is the end of the last successful append, the staged length that {@link #commit} and
 * {@link #readStaged} check against. The part being filled starts with the bytes of {@code tail/O};
 * each part is uploaded as it fills (re-uploading a part number replaces what a failed request left
 * there), {@link #PARTS_IN_FLIGHT} at a time while the next fills (at most three parts in heap,
 * see {@link PartCutter}), and once every part is stored the rest becomes the new tail (the tail
 * is what says the append succeeded). The multipart upload is created lazily with the first whole
 * part, so a blob smaller than a part never becomes one. Nothing needs rolling back on failure:
 * parts and tails past {@code O} are simply never used; but the error is reported only once the
 * parts in flight have ended, so that none can land after the client's retry re-uploaded it.
 *
 * <p><b>Single PutObject</b>: the first body of a fresh upload whose length is known and at least
 * a part (a monolithic PUT, a first PATCH with a Content-Length) is streamed as one PutObject into
 * {@code blobs/uploads/U/1} after a marker {@code "1 -"}: the sealed state of generation 1 at once,
 * holding the tail's bytes too (they are also written as the tail, as after any append). A commit
 * of exactly those bytes uses the object as it is; an append continues it like any sealed upload.
 * A PutObject that failed leaves generation 1 {@linkplain Vacant vacant}, and the retry opens
 * generation 2. Why: a server that completes a multipart upload by copying its parts (S3Proxy's
 * filesystem provider) spends about as long on the completion as on the parts.
 *
 * <p><b>Commit</b> of {@code size} bytes: a blob smaller than a part is one PutObject to its
 * content-addressed key {@code blobs/<alg>/<hex>}; a larger one uploads the tail as its last part
 * and completes the multipart upload with the parts {@code 1..size/P} (ETags from ListParts, so
 * parts past the end that a failed request left are dropped). Then the helper objects go.
 *
 * <p><b>readStaged</b>: parts of an open multipart upload cannot be read, so the upload is
 * <em>sealed</em>: completed with its whole parts into {@code blobs/uploads/U/G} (invisible to
 * clients, as said), which is then read, followed by the tail. A seal needs no marker update: the
 * object of the marker's generation existing <em>is</em> the sealed state, which makes a crash
 * between the two harmless. An append after a seal opens generation {@code G+1} whose first parts
 * are {@code UploadPartCopy} ranges of the sealed object (server-side, no bytes through us), then
 * points the marker at it; a commit right after a seal with no tail uses the sealed object as is.
 * This path is rare: the registry re-reads staged bytes only when a stored hash state cannot be
 * restored, or when the final PUT names a SHA-512 digest.
 *
 * <p><b>Abort</b>: the marker's multipart upload is aborted, any other multipart upload under the
 * upload's key prefix too (one whose marker a crash kept from being written; where the server
 * lists them), the upload's sealed or completed-but-uncommitted objects (only while the marker
 * exists: after a commit the marker is gone and the blob's object is recorded), then the helpers.
 * A bucket lifecycle rule that aborts incomplete multipart uploads after some days is still a good
 * idea, for uploads a crash orphaned before their marker was written.
 */
final class S3Staging implements UploadStaging {
    private static final Logger log = LoggerFactory.getLogger(S3Staging.class);
    /** Upload ids are UUIDs in practice; anything that could change a key's structure is refused. */
    static final String UPLOAD_ID = "[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}";
    private static final Pattern UPLOAD_ID_PATTERN = Pattern.compile(UPLOAD_ID);
    /** S3's largest part number. */
    private static final long MAX_PARTS = 10_000;
    private static final byte[] EMPTY = new byte[0];
    /**
     * Parts of one append uploading at once. Two: measured on S3Proxy, one part at a time left
     * the request waiting on each part's round trip (120-135 MB/s for a 1 GiB push), two reached
     * ~180 MB/s, three no more. With the cutter's read-ahead an append holds three parts.
     */
    static final int PARTS_IN_FLIGHT = 2;
    /** The size of the heap copies a single PutObject streams (see {@link #putBody}). */
    private static final int BODY_PIECE = 1 << 20;

    private final S3AsyncClient client;
    private final S3Settings settings;
    private final S3Backend backend;
    private final String bucket;
    private final int partSize;

    S3Staging(S3AsyncClient client, S3Settings settings, S3Backend backend) {
        this.client = client;
        this.settings = settings;
        this.backend = backend;
        this.bucket = settings.bucket();
        this.partSize = (int) settings.partSize();
    }

    /** Where the state of an upload lives: nothing, an open multipart upload, or a sealed object. */
    private sealed interface State permits Open, Sealed, Vacant {
    }

    /**
     * A generation whose single PutObject ({@link #putBody}) has not stored its object (yet, or
     * ever): nothing is staged, and the next multipart upload takes the next generation, so that
     * a PutObject landing late can never be mistaken for it.
     */
    private record Vacant(int generation) implements State {
    }

    private record Open(String s3UploadId, int generation) implements State {
    }

    private record Sealed(int generation, long size) implements State {
    }

    static String blobKey(String uploadId, int generation) {
        return blobPrefix(uploadId) + generation;
    }

    private static String blobPrefix(String uploadId) {
        return "blobs/uploads/" + uploadId + "/";
    }

    private static String helperPrefix(String uploadId) {
        return "uploads/" + uploadId + "/";
    }

    private static String markerKey(String uploadId) {
        return helperPrefix(uploadId) + "multipart";
    }

    private static String tailPrefix(String uploadId) {
        return helperPrefix(uploadId) + "tail/";
    }

    private static String tailKey(String uploadId, long end) {
        return tailPrefix(uploadId) + end;
    }

    /** The bucket is checked by the backend; nothing else to check. */
    @Override
    public Mono<Void> check() {
        return Mono.empty();
    }

    /**
     * A fresh upload (nothing staged, no marker) whose first body has a known length of at least a
     * part is stored as one streamed PutObject into {@code blobs/uploads/U/1}, the sealed state of
     * generation 1 (see the class comment), instead of a multipart upload: a server that completes
     * a multipart upload by copying its parts (S3Proxy's filesystem provider: 2-4 s per GiB here)
     * then has nothing to copy, and a commit right after uses the object as it is. Any other
     * append takes the multipart path.
     */
    @Override
    public Mono<Long> append(String uploadId, long offset, Flux<ByteBuf> data, long length) {
        if (offset != 0 || length < partSize) {
            return append(uploadId, offset, data);
        }
        return Mono.defer(() -> {
            checkId(uploadId);
            return tails(uploadId).hasElements()
                    .zipWith(bytes(markerKey(uploadId)).hasElement(), (tails, marker) -> tails || marker)
                    .flatMap(used -> used ? append(uploadId, offset, data) : putBody(uploadId, length, data));
        });
    }

    /**
     * The marker first ({@code "1 -"}: no multipart upload, so an abort finds the object), then
     * the body streamed as one PutObject of {@code length} bytes, then its last
     * {@code length % partSize} bytes as the tail, which says the append succeeded. The body is
     * copied to the heap in pieces of {@link #BODY_PIECE} and each buffer released at once (the SDK
     * may read a body after its call failed, see {@link PartStream}, which also checks the length);
     * the SDK asks for pieces as it writes them, so memory stays bounded. An
     * error of {@code data} is reported as it is (a lost lease must stay recognisable), once the
     * PutObject has ended.
     */
    private Mono<Long> putBody(String uploadId, long length, Flux<ByteBuf> data) {
        String key = blobKey(uploadId, 1);
        int tailLength = (int) (length % partSize);
        long tailStart = length - tailLength;
        byte[] tail = new byte[tailLength];
        long[] seen = {0};
        AtomicReference<Throwable> bodyError = new AtomicReference<>();
        AtomicBoolean subscribed = new AtomicBoolean();
        // 1 MiB pieces rather than the socket's small buffers: each piece handed to the SDK costs
        // a hop to its event loop and a wake-up, which per small buffer cost more than the copying
        Flux<ByteBuffer> firstBody = PartStream.split(data, length, BODY_PIECE)
                .map(piece -> {
                    // the part of this piece at or after tailStart belongs to the tail
                    long from = Math.max(seen[0], tailStart);
                    long to = seen[0] + piece.length;
                    if (from < to) {
                        System.arraycopy(piece, (int) (from - seen[0]), tail, (int) (from - tailStart), (int) (to - from));
                    }
                    seen[0] = to;
                    return ByteBuffer.wrap(piece);
                })
                .doOnError(e -> bodyError.compareAndSet(null, e));
        // an SDK retry cannot replay a streamed body: it fails the call instead, and the error
        // reported is the first attempt's
        Flux<ByteBuffer> body = Flux.defer(() -> subscribed.compareAndSet(false, true) ? firstBody
                : Flux.error(new IllegalStateException("the body of upload " + uploadId + " cannot be sent twice")));
        AsyncRequestBody request = new AsyncRequestBody() {
            @Override
            public Optional<Long> contentLength() {
                return Optional.of(length);
            }

            @Override
            public void subscribe(Subscriber<? super ByteBuffer> s) {
                body.subscribe(s);
            }
        };
        return put(markerKey(uploadId), "1 -".getBytes(StandardCharsets.US_ASCII))
                .then(Mono.defer(() -> Mono.fromFuture(client.putObject(b -> b.bucket(bucket).key(key).contentLength(length),
                                request), true))
                        .onErrorMap(e -> bodyError.get() != null ? bodyError.get() : S3Failures.onObject(e, settings, key)))
                .then(Mono.defer(() -> put(tailKey(uploadId, length), tail)))
                .thenReturn(length)
                .doOnSuccess(n -> log.debug("upload {}: {} bytes stored in one PutObject", uploadId, n));
    }

    @Override
    public Mono<Long> append(String uploadId, long offset, Flux<ByteBuf> data) {
        return Mono.defer(() -> {
            checkId(uploadId);
            if (offset < 0) {
                return Mono.error(new IllegalArgumentException("negative offset " + offset));
            }
            return head(uploadId, offset).flatMap(head -> write(uploadId, offset / partSize, head, data));
        });
    }

    /**
     * Returns the bytes of the part the upload is in the middle of at {@code offset}, and deletes
     * every tail but the one at {@code offset}. That tail is normally there (the acknowledged
     * offset is where the last successful append ended); an append from an earlier offset inside
     * the staged bytes takes them from the staged data (the highest tail, or the sealed parts) and
     * writes that tail first, so the staged length stays known should this append fail.
     */
    private Mono<byte[]> head(String uploadId, long offset) {
        return tails(uploadId).collectList().flatMap(ends -> {
            long staged = ends.stream().max(Long::compare).orElse(-1L);
            if (offset > 0 && offset > staged) {
                return Mono.error(new IllegalStateException("upload " + uploadId + " has nothing staged at offset "
                        + offset + " (staged: " + Math.max(staged, 0) + " bytes)"));
            }
            int rem = (int) (offset % partSize);
            Mono<byte[]> head;
            if (offset == 0 || ends.contains(offset)) {
                head = rem == 0 ? Mono.just(EMPTY) : tail(uploadId, offset);
            } else {
                head = earlierHead(uploadId, offset, staged)
                        .flatMap(bytes -> put(tailKey(uploadId, offset), bytes).thenReturn(bytes));
            }
            return head.flatMap(bytes -> Flux.fromIterable(ends).filter(end -> end != offset)
                    .concatMap(end -> delete(tailKey(uploadId, end))).then(Mono.just(bytes)));
        });
    }

    /** The bytes {@code [offset - offset % P, offset)} of an upload staged up to {@code staged > offset}. */
    private Mono<byte[]> earlierHead(String uploadId, long offset, long staged) {
        int rem = (int) (offset % partSize);
        long partStart = offset - rem;
        if (rem == 0) {
            return Mono.just(EMPTY);
        }
        if (partStart == staged - staged % partSize) {
            return tail(uploadId, staged).map(bytes -> Arrays.copyOf(bytes, rem));
        }
        return seal(uploadId, staged / partSize)
                .flatMap(key -> S3Backend.call(() -> client.getObject(b -> b.bucket(bucket).key(key)
                                .range("bytes=" + partStart + "-" + (offset - 1)), AsyncResponseTransformer.toBytes()))
                        .onErrorMap(e -> S3Failures.onObject(e, settings, key)))
                .map(response -> response.asByteArrayUnsafe());
    }

    private Mono<Long> write(String uploadId, long partsDone, byte[] head, Flux<ByteBuf> data) {
        Set<CompletableFuture<?>> inFlight = ConcurrentHashMap.newKeySet();
        Mono<Open> open = openFor(uploadId, partsDone).cache();
        long[] nextPart = {partsDone + 1};
        AtomicReference<PartCutter.Piece> rest = new AtomicReference<>();
        return PartCutter.cut(data, head, partSize)
                // PARTS_IN_FLIGHT parts uploading at once, prefetch 1: with the cutter's one part of
                // read-ahead that bounds memory to PARTS_IN_FLIGHT + 1 parts and slows the client
                // to S3's pace
                .flatMap(piece -> {
                    if (!piece.full()) {
                        rest.set(piece);
                        return Mono.empty();
                    }
                    long part = nextPart[0]++;
                    if (part > MAX_PARTS) {
                        return Mono.error(new IllegalStateException("upload " + uploadId + " needs more than "
                                + MAX_PARTS + " parts of " + partSize + " bytes; raise storage.s3.partSize"));
                    }
                    return open.flatMap(o -> uploadPart(uploadId, o, (int) part, piece.bytes(), inFlight));
                }, PARTS_IN_FLIGHT, 1)
                // the new tail only once every part is stored: it is what says the append succeeded
                .then(Mono.defer(() -> {
                    PartCutter.Piece piece = rest.get();
                    long end = (nextPart[0] - 1) * partSize + piece.length();
                    return put(tailKey(uploadId, end), Arrays.copyOf(piece.bytes(), piece.length())).thenReturn(end);
                }))
                // the parts in flight must end before the client may retry (see the class comment)
                .onErrorResume(e -> Mono.fromFuture(CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new))
                                .handle((r, x) -> "ended"), true)
                        .then(Mono.error(e)));
    }

    /** The multipart upload to continue after part {@code partsDone}: the open one, a reopened sealed one, or a new one. */
    private Mono<Open> openFor(String uploadId, long partsDone) {
        return state(uploadId).map(Optional::of).defaultIfEmpty(Optional.empty()).flatMap(state -> {
            if (state.isEmpty()) {
                return partsDone == 0 ? create(uploadId, 1, 0, 0) : Mono.error(missing(uploadId));
            }
            if (state.get() instanceof Open o) {
                return Mono.just(o);
            }
            if (state.get() instanceof Vacant v) {
                return partsDone == 0 ? create(uploadId, v.generation() + 1, 0, 0) : Mono.error(missing(uploadId));
            }
            Sealed sealed = (Sealed) state.get();
            if (sealed.size() < partsDone * partSize) {
                return Mono.error(new IllegalStateException("sealed upload " + uploadId + " holds " + sealed.size()
                        + " bytes, fewer than its " + partsDone + " parts"));
            }
            return create(uploadId, sealed.generation() + 1, partsDone, sealed.generation());
        });
    }

    /** The marker's state: empty when there is no marker. */
    private Mono<State> state(String uploadId) {
        return bytes(markerKey(uploadId)).flatMap(marker -> {
            String[] fields = new String(marker, StandardCharsets.US_ASCII).trim().split(" ", 2);
            int generation;
            try {
                generation = Integer.parseInt(fields[0]);
            } catch (NumberFormatException e) {
                return Mono.error(new IllegalStateException("unreadable marker " + markerKey(uploadId)));
            }
            if (fields.length < 2 || generation < 1) {
                return Mono.error(new IllegalStateException("unreadable marker " + markerKey(uploadId)));
            }
            return size(blobKey(uploadId, generation))
                    .<State>map(size -> new Sealed(generation, size))
                    .defaultIfEmpty("-".equals(fields[1]) ? new Vacant(generation) : new Open(fields[1], generation));
        });
    }

    /**
     * Creates the multipart upload of {@code generation}, copies its first {@code copies} parts
     * from the sealed object of generation {@code from}, then writes the marker: the marker names
     * only uploads whose parts are all there.
     */
    private Mono<Open> create(String uploadId, int generation, long copies, int from) {
        String key = blobKey(uploadId, generation);
        return S3Backend.call(() -> client.createMultipartUpload(b -> b.bucket(bucket).key(key)))
                .onErrorMap(e -> S3Failures.onObject(e, settings, key))
                .flatMap(created -> {
                    String s3UploadId = created.uploadId();
                    Mono<Void> copied = Flux.range(1, (int) copies)
                            .concatMap(n -> S3Backend.call(() -> client.uploadPartCopy(b -> b
                                    .sourceBucket(bucket).sourceKey(blobKey(uploadId, from))
                                    .destinationBucket(bucket).destinationKey(key)
                                    .uploadId(s3UploadId).partNumber(n)
                                    .copySourceRange("bytes=" + (long) (n - 1) * partSize + "-" + ((long) n * partSize - 1)))))
                            .then();
                    return copied
                            .then(put(markerKey(uploadId), (generation + " " + s3UploadId).getBytes(StandardCharsets.US_ASCII)))
                            .thenReturn(new Open(s3UploadId, generation))
                            .onErrorResume(e -> abortQuietly(key, s3UploadId).then(Mono.error(e)));
                })
                .doOnSuccess(o -> log.debug("multipart upload {} of {} created (generation {}, {} parts copied)",
                        o.s3UploadId(), uploadId, generation, copies));
    }

    /**
     * Uploads one part; @return its ETag. The call is not cancelled with the Mono (see
     * {@link MultipartPut}), and is tracked in {@code inFlight} until it ends.
     */
    private Mono<String> uploadPart(String uploadId, Open open, int partNumber, byte[] bytes,
                                    Set<CompletableFuture<?>> inFlight) {
        String key = blobKey(uploadId, open.generation());
        return Mono.defer(() -> {
            // fromBytesUnsafe: the array is ours alone and never changes; the SDK can replay it on retry
            CompletableFuture<String> part = client.uploadPart(b -> b.bucket(bucket).key(key)
                                    .uploadId(open.s3UploadId()).partNumber(partNumber).contentLength((long) bytes.length),
                            AsyncRequestBody.fromBytesUnsafe(bytes))
                    .thenApply(response -> response.eTag());
            if (inFlight != null) {
                inFlight.add(part);
                part.whenComplete((r, x) -> inFlight.remove(part));
            }
            return Mono.fromFuture(part, true);
        }).onErrorMap(e -> S3Failures.onObject(e, settings, key));
    }

    @Override
    public Flux<ByteBuf> readStaged(String uploadId, long length) {
        return Flux.defer(() -> {
            checkId(uploadId);
            if (length < 0) {
                return Flux.error(new IllegalArgumentException("negative length " + length));
            }
            return stagedLength(uploadId).flatMapMany(staged -> {
                if (staged < length) {
                    return Flux.error(new IllegalStateException("upload " + uploadId + " has " + Math.max(staged, 0)
                            + " bytes staged, fewer than " + length));
                }
                long parts = staged / partSize;
                long inParts = Math.min(length, parts * partSize);
                Flux<ByteBuf> tail = length == inParts ? Flux.empty()
                        : tail(uploadId, staged).map(bytes -> Unpooled.wrappedBuffer(bytes, 0, (int) (length - inParts))).flux();
                if (inParts == 0) {
                    return tail;
                }
                return seal(uploadId, parts).flatMapMany(key -> backend.range(key, 0, inParts)).concatWith(tail);
            });
        });
    }

    /** Makes the first {@code parts} parts readable as one object (see the class comment); @return its key. */
    private Mono<String> seal(String uploadId, long parts) {
        return state(uploadId).switchIfEmpty(Mono.error(() -> missing(uploadId))).flatMap(state -> {
            if (state instanceof Vacant) {
                return Mono.error(missing(uploadId));
            }
            if (state instanceof Sealed sealed) {
                // more than the parts: a single PutObject's object, which holds the tail too
                if (sealed.size() < parts * partSize) {
                    return Mono.error(new IllegalStateException("sealed upload " + uploadId + " holds " + sealed.size()
                            + " bytes, fewer than the " + parts * partSize + " of its " + parts + " parts"));
                }
                return Mono.just(blobKey(uploadId, sealed.generation()));
            }
            Open open = (Open) state;
            return complete(uploadId, open, parts, List.of()).thenReturn(blobKey(uploadId, open.generation()))
                    .doOnSuccess(key -> log.debug("upload {} sealed into {} to be read", uploadId, key));
        });
    }

    /** Completes {@code open} with its parts {@code 1..parts} and then {@code extra}. */
    private Mono<Void> complete(String uploadId, Open open, long parts, List<CompletedPart> extra) {
        String key = blobKey(uploadId, open.generation());
        return Flux.from(client.listPartsPaginator(b -> b.bucket(bucket).key(key).uploadId(open.s3UploadId())).parts())
                .onErrorMap(e -> S3Failures.onObject(e, settings, key))
                .filter(p -> p.partNumber() <= parts)
                .collectSortedList(Comparator.comparing(Part::partNumber))
                .flatMap(listed -> {
                    if (listed.size() != parts) {
                        return Mono.error(new IllegalStateException("upload " + uploadId + " has " + listed.size()
                                + " of its " + parts + " parts"));
                    }
                    List<CompletedPart> completed = new ArrayList<>(listed.size() + extra.size());
                    for (int i = 0; i < listed.size(); i++) {
                        Part p = listed.get(i);
                        if (p.partNumber() != i + 1 || p.size() != partSize) {
                            return Mono.error(new IllegalStateException("upload " + uploadId + ": part " + p.partNumber()
                                    + " of " + p.size() + " bytes where part " + (i + 1) + " of " + partSize + " was expected"));
                        }
                        completed.add(CompletedPart.builder().partNumber(p.partNumber()).eTag(p.eTag()).build());
                    }
                    completed.addAll(extra);
                    return S3Backend.call(() -> client.completeMultipartUpload(b -> b.bucket(bucket).key(key)
                                    .uploadId(open.s3UploadId()).multipartUpload(m -> m.parts(completed))))
                            .onErrorMap(e -> S3Failures.onObject(e, settings, key));
                })
                .then();
    }

    @Override
    public Mono<String> commit(String uploadId, Digest digest, long size) {
        return Mono.defer(() -> {
            checkId(uploadId);
            return stagedLength(uploadId).flatMap(staged -> {
                if (staged != size) {
                    return Mono.error(new IllegalStateException("upload " + uploadId + " has " + Math.max(staged, 0)
                            + " bytes staged, not " + size));
                }
                long parts = size / partSize;
                Mono<byte[]> tail = size % partSize == 0 ? Mono.just(EMPTY) : tail(uploadId, size);
                return tail.flatMap(bytes -> parts == 0 ? putWhole(digest, bytes) : completeUpload(uploadId, parts, bytes))
                        .flatMap(location -> cleanUp(uploadId, location).thenReturn(location));
            });
        });
    }

    /** A blob smaller than a part: one PutObject under its content-addressed key. */
    private Mono<String> putWhole(Digest digest, byte[] bytes) {
        String key = "blobs/" + digest.algorithm().prefix() + "/" + digest.hex();
        return put(key, bytes).thenReturn(key);
    }

    private Mono<String> completeUpload(String uploadId, long parts, byte[] tail) {
        return state(uploadId).switchIfEmpty(Mono.error(() -> missing(uploadId))).flatMap(state -> {
            // a sealed object that holds exactly the staged bytes is the blob as it is
            if (state instanceof Sealed sealed && sealed.size() == parts * partSize + tail.length) {
                return Mono.just(blobKey(uploadId, sealed.generation()));
            }
            if (state instanceof Vacant) {
                return Mono.error(missing(uploadId));
            }
            Mono<Open> open = state instanceof Open o ? Mono.just(o)
                    : create(uploadId, ((Sealed) state).generation() + 1, parts, ((Sealed) state).generation());
            return open.flatMap(o -> {
                Mono<List<CompletedPart>> last = tail.length == 0 ? Mono.just(List.of())
                        : uploadPart(uploadId, o, (int) parts + 1, tail, null)
                                .map(eTag -> List.of(CompletedPart.builder().partNumber((int) parts + 1).eTag(eTag).build()));
                return last.flatMap(extra -> complete(uploadId, o, parts, extra)).thenReturn(blobKey(uploadId, o.generation()));
            });
        });
    }

    /**
     * After a commit: aborts stray multipart uploads, deletes the upload's other objects and its
     * helpers, marker last (see {@link #abort}). Best effort: the blob is stored; leftovers only
     * cost space, and are logged.
     */
    private Mono<Void> cleanUp(String uploadId, String location) {
        return abortStrays(uploadId)
                .then(keys(blobPrefix(uploadId)).filter(key -> !key.equals(location)).concatMap(this::delete).then())
                .then(deleteHelpers(uploadId))
                .onErrorResume(e -> {
                    log.warn("upload {} committed to {}, but its staging objects could not all be removed: {}",
                            uploadId, location, S3Failures.unwrap(e).toString());
                    return Mono.empty();
                });
    }

    @Override
    public Mono<Void> abort(String uploadId) {
        return Mono.defer(() -> {
            checkId(uploadId);
            return bytes(markerKey(uploadId)).map(Optional::of).defaultIfEmpty(Optional.empty()).flatMap(marker -> {
                if (marker.isEmpty()) {
                    return abortStrays(uploadId).then(deleteHelpers(uploadId));
                }
                String[] fields = new String(marker.get(), StandardCharsets.US_ASCII).trim().split(" ", 2);
                Mono<Void> open = fields.length < 2 || "-".equals(fields[1]) ? Mono.empty()
                        : abortQuietly(blobKey(uploadId, Integer.parseInt(fields[0])), fields[1]);
                return open.then(abortStrays(uploadId))
                        .then(keys(blobPrefix(uploadId)).concatMap(this::delete).then())
                        .then(deleteHelpers(uploadId));
            });
        });
    }

    /**
     * The staged uploads in the bucket, for the reconciliation: first each upload's helper objects
     * under {@code uploads/U/} as one entry (the keys of one upload are listed together, so only one
     * upload's keys are held at a time), a {@code MULTIPART} one when its marker names an open
     * multipart upload; then the multipart uploads under {@code blobs/uploads/} where the server
     * lists them (some do not, or not reliably), for those a crash left without a marker (the caller
     * skips upload ids it has seen). {@link #abort} removes either, multipart upload included.
     */
    @Override
    public Flux<StoredObject> list() {
        Flux<StoredObject> multipart = Flux.from(client.listMultipartUploadsPaginator(
                        b -> b.bucket(bucket).prefix("blobs/uploads/")).uploads())
                .onErrorResume(e -> {
                    log.debug("listing the multipart uploads failed: {}", S3Failures.unwrap(e).toString());
                    return Flux.empty();
                })
                .flatMapIterable(u -> {
                    String[] parts = u.key().split("/");
                    return parts.length == 4 && UPLOAD_ID_PATTERN.matcher(parts[2]).matches()
                            ? List.of(new StoredObject(StoredObject.Kind.MULTIPART, parts[2], null, parts[2], 0,
                                    u.initiated()))
                            : List.of();
                });
        Flux<StoredObject> helpers = Flux.from(client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix("uploads/"))
                        .contents())
                .onErrorMap(e -> S3Failures.onObject(e, settings, "uploads/"))
                .filter(o -> {
                    String[] parts = o.key().split("/", 3);
                    return parts.length == 3 && UPLOAD_ID_PATTERN.matcher(parts[1]).matches();
                })
                .bufferUntilChanged(o -> o.key().split("/", 3)[1])
                .concatMap(group -> {
                    String uploadId = group.get(0).key().split("/", 3)[1];
                    long size = group.stream().mapToLong(o -> o.size() == null ? 0 : o.size()).sum();
                    java.time.Instant last = group.stream().map(S3Object::lastModified).max(Comparator.naturalOrder())
                            .orElseThrow();
                    boolean marked = group.stream().anyMatch(o -> o.key().equals(markerKey(uploadId)));
                    Mono<Boolean> open = marked ? bytes(markerKey(uploadId))
                            .map(m -> {
                                String[] fields = new String(m, StandardCharsets.US_ASCII).trim().split(" ", 2);
                                return fields.length == 2 && !"-".equals(fields[1]);
                            })
                            .defaultIfEmpty(false) : Mono.just(false);
                    return open.map(o -> new StoredObject(o ? StoredObject.Kind.MULTIPART : StoredObject.Kind.STAGED,
                            uploadId, null, uploadId, size, last));
                });
        return helpers.concatWith(multipart);
    }

    /** Aborts the multipart uploads under the upload's prefix, where the server lists them; errors are ignored. */
    private Mono<Void> abortStrays(String uploadId) {
        return Flux.from(client.listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(blobPrefix(uploadId))).uploads())
                .concatMap(u -> abortQuietly(u.key(), u.uploadId()))
                .onErrorResume(e -> {
                    log.debug("listing the multipart uploads of {} failed: {}", uploadId, S3Failures.unwrap(e).toString());
                    return Mono.empty();
                })
                .then();
    }

    /** Tails first, the marker last: while the marker exists an abort still finds everything. */
    private Mono<Void> deleteHelpers(String uploadId) {
        String marker = markerKey(uploadId);
        return keys(helperPrefix(uploadId)).filter(key -> !key.equals(marker)).concatMap(this::delete)
                .then(delete(marker));
    }

    /** AbortMultipartUpload, retried while the server is busy with an abandoned part; never fails. */
    private Mono<Void> abortQuietly(String key, String s3UploadId) {
        return S3Backend.call(() -> client.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(s3UploadId)))
                .then()
                .onErrorResume(e -> S3Failures.status(e) == 404, e -> Mono.empty())
                .retryWhen(Retry.backoff(6, Duration.ofMillis(200)).maxBackoff(Duration.ofSeconds(2)))
                .onErrorResume(e -> {
                    log.warn("could not abort multipart upload {} of {}: {}", s3UploadId, key, S3Failures.unwrap(e).toString());
                    return Mono.empty();
                });
    }

    /** The end of the last successful append: the highest tail; -1 when nothing is staged. */
    private Mono<Long> stagedLength(String uploadId) {
        return tails(uploadId).reduce(Math::max).defaultIfEmpty(-1L);
    }

    private Flux<Long> tails(String uploadId) {
        String prefix = tailPrefix(uploadId);
        return keys(prefix).flatMapIterable(key -> {
            try {
                return List.of(Long.parseLong(key.substring(prefix.length())));
            } catch (NumberFormatException e) {
                return List.of();
            }
        });
    }

    /** The tail at {@code end}, which must hold exactly {@code end % partSize} bytes. */
    private Mono<byte[]> tail(String uploadId, long end) {
        String key = tailKey(uploadId, end);
        int expected = (int) (end % partSize);
        return bytes(key)
                .switchIfEmpty(Mono.error(() -> new IllegalStateException("upload " + uploadId
                        + " has no staged tail at offset " + end)))
                .flatMap(bytes -> bytes.length == expected ? Mono.just(bytes)
                        : Mono.error(new IllegalStateException("staged tail " + key + " holds " + bytes.length
                                + " bytes, not " + expected)));
    }

    /**
     * The object keys under {@code prefix}. Keys ending in {@code /} are left out: we never write
     * one, and jclouds-based servers (S3Proxy on a directory) list their directories that way,
     * which cannot be deleted while they hold objects.
     */
    private Flux<String> keys(String prefix) {
        return Flux.from(client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents())
                .map(S3Object::key)
                .filter(key -> !key.endsWith("/"))
                .onErrorMap(e -> S3Failures.onObject(e, settings, prefix));
    }

    /** A whole (small) object's bytes; empty when there is no such object. */
    private Mono<byte[]> bytes(String key) {
        return S3Backend.call(() -> client.getObject(b -> b.bucket(bucket).key(key), AsyncResponseTransformer.toBytes()))
                .map(response -> response.asByteArrayUnsafe())
                .onErrorResume(e -> S3Failures.status(e) == 404, e -> Mono.empty())
                .onErrorMap(e -> S3Failures.onObject(e, settings, key));
    }

    private Mono<Long> size(String key) {
        return S3Backend.call(() -> client.headObject(b -> b.bucket(bucket).key(key)))
                .map(head -> head.contentLength())
                .onErrorResume(e -> S3Failures.status(e) == 404, e -> Mono.empty())
                .onErrorMap(e -> S3Failures.onObject(e, settings, key));
    }

    private Mono<Void> put(String key, byte[] bytes) {
        return S3Backend.call(() -> client.putObject(b -> b.bucket(bucket).key(key).contentLength((long) bytes.length),
                        AsyncRequestBody.fromBytesUnsafe(bytes)))
                .onErrorMap(e -> S3Failures.onObject(e, settings, key))
                .then();
    }

    private Mono<Void> delete(String key) {
        return S3Backend.call(() -> client.deleteObject(b -> b.bucket(bucket).key(key)))
                .onErrorMap(e -> S3Failures.onObject(e, settings, key))
                .then();
    }

    private static IllegalStateException missing(String uploadId) {
        return new IllegalStateException("upload " + uploadId + " has no multipart upload staged");
    }

    private static void checkId(String uploadId) {
        if (uploadId == null || !UPLOAD_ID_PATTERN.matcher(uploadId).matches()) {
            throw new IllegalArgumentException("invalid upload id: " + uploadId);
        }
    }

    @Override
    public String toString() {
        return "S3Staging[" + settings.endpointName() + "/" + bucket + "]";
    }
}

package io.openregistry.upload;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import io.openregistry.metadata.BlobIndex;
import io.openregistry.metrics.Meters;
import io.openregistry.metadata.BlobRecord;
import io.openregistry.metadata.UploadRecord;
import io.openregistry.metadata.UploadStore;
import io.openregistry.oci.Digest;
import io.openregistry.oci.OciError;
import io.openregistry.oci.OciException;
import io.openregistry.storage.BlobStore;
import io.openregistry.storage.Buffers;
import io.openregistry.storage.LeaseLostException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Instant;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Blob uploads: sessions, streamed and chunked appends, and the commit chain
 * (verify digest → make visible in storage → record and link in one transaction → clean up).
 *
 * <p>The session's offset lives in the database, and with it the running digest's exported state
 * at that offset ({@link DigestStates}), written by the same statement. The digest also lives in
 * memory while this process works on the upload; when it is missing (after a restart, on another
 * replica, or after a failed request) it is restored from the stored state, or, when that is
 * missing, invalid or cannot be restored on this JVM, rebuilt by re-reading the staged bytes.
 *
 * <p>Every request that changes a session works under the session's lease in the database (see
 * {@link #exclusively}): replicas exclude each other through it, and a holder that lost its lease
 * neither writes staged bytes nor records anything.
 */
public final class UploadService {
    private static final Logger log = LoggerFactory.getLogger(UploadService.class);
    private final BlobStore store;
    private final BlobIndex blobs;
    private final UploadStore uploads;
    private final Scheduler workers;
    private final UploadLocks locks = new UploadLocks();
    /** The database lease of each session a request (or the sweep) of this process holds, while it does. */
    private final Map<String, UploadLease> held = new ConcurrentHashMap<>();
    private final BlobCollector collector;
    /**
     * Upload ids are capabilities, so they come from a CSPRNG; DRBG is seeded once here, at
     * startup, and then never reads /dev/urandom on the event loop as UUID.randomUUID() may.
     */
    private final SecureRandom ids;
    private final Counter bytesPushed;
    private final Timer commitSucceeded;
    private final Timer commitFailed;
    private final Timer uploadDuration;
    private final UploadLimits limits;
    private final DigestStates states;
    private final Counter digestRestored;
    private final Counter digestReread;
    private final Counter leaseConflicts;
    private final Counter leasesLost;
    private final Duration leaseTtl;
    /** Fires the lease renewals; owned by the caller. */
    private final Scheduler timer;

    /** The lease time of the constructors that take none (the configured one comes from {@code upload.leaseSeconds}). */
    static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(15);

    /** An upload service without limits. */
    public UploadService(BlobStore store, BlobIndex blobs, UploadStore uploads, BlobCollector collector,
                         Scheduler workers, MeterRegistry meters) {
        this(store, blobs, uploads, collector, workers, meters, UploadLimits.NONE);
    }

    /** @param meters where the upload meters of {@link Meters} are registered */
    public UploadService(BlobStore store, BlobIndex blobs, UploadStore uploads, BlobCollector collector,
                         Scheduler workers, MeterRegistry meters, UploadLimits limits) {
        this(store, blobs, uploads, collector, workers, meters, limits, DEFAULT_LEASE_TTL, Schedulers.parallel());
    }

    /**
     * @param leaseTtl how long a session's lease lasts unless renewed (renewed every third of it
     *                 while a request works on the session)
     * @param timer    where lease renewals are scheduled (owned by the caller)
     */
    public UploadService(BlobStore store, BlobIndex blobs, UploadStore uploads, BlobCollector collector,
                         Scheduler workers, MeterRegistry meters, UploadLimits limits, Duration leaseTtl,
                         Scheduler timer) {
        this(store, blobs, uploads, collector, workers, meters, limits, DigestStates.shared(), leaseTtl, timer);
    }

    /** @param states how running digests are exported and restored (an unavailable one: always re-read) */
    UploadService(BlobStore store, BlobIndex blobs, UploadStore uploads, BlobCollector collector,
                  Scheduler workers, MeterRegistry meters, UploadLimits limits, DigestStates states) {
        this(store, blobs, uploads, collector, workers, meters, limits, states, DEFAULT_LEASE_TTL, Schedulers.parallel());
    }

    UploadService(BlobStore store, BlobIndex blobs, UploadStore uploads, BlobCollector collector,
                  Scheduler workers, MeterRegistry meters, UploadLimits limits, DigestStates states,
                  Duration leaseTtl, Scheduler timer) {
        this.leaseTtl = leaseTtl;
        this.timer = timer;
        this.leaseConflicts = Meters.uploadLeaseConflicts(meters);
        this.leasesLost = Meters.uploadLeasesLost(meters);
        this.limits = limits;
        this.states = states;
        this.digestRestored = Meters.uploadDigestRebuilds(meters, Meters.OUTCOME_RESTORED);
        this.digestReread = Meters.uploadDigestRebuilds(meters, Meters.OUTCOME_REREAD);
        this.bytesPushed = Meters.blobBytesPushed(meters);
        this.commitSucceeded = Meters.uploadCommit(meters, Meters.OUTCOME_SUCCESS);
        this.commitFailed = Meters.uploadCommit(meters, Meters.OUTCOME_ERROR);
        this.uploadDuration = Meters.uploadDuration(meters);
        Meters.uploadsInFlight(meters, locks::claimed);
        this.collector = collector;
        this.store = store;
        this.blobs = blobs;
        this.uploads = uploads;
        this.workers = workers;
        try {
            this.ids = SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK lacks the DRBG SecureRandom", e);
        }
        ids.nextBytes(new byte[16]);
    }

    /** Opens a session for {@code repository}, not counted against any owner. */
    public Mono<UploadRecord> start(String repository) {
        return start(repository, null);
    }

    /**
     * Opens a session for {@code repository} on behalf of {@code owner} (an opaque key: the account,
     * or the client's address; null = none), within the session limits.
     *
     * @throws TooManyUploadsException (as the error signal) when the owner or the repository is at its limit
     */
    public Mono<UploadRecord> start(String repository, String owner) {
        byte[] random = new byte[16];
        ids.nextBytes(random);
        random[6] = (byte) ((random[6] & 0x0f) | 0x40);
        random[8] = (byte) ((random[8] & 0x3f) | 0x80);
        ByteBuffer b = ByteBuffer.wrap(random);
        return uploads.create(new UUID(b.getLong(), b.getLong()).toString(), repository, owner,
                        limits.maxSessionsPerOwner(), limits.maxSessionsPerRepository())
                .switchIfEmpty(Mono.error(() -> new TooManyUploadsException("too many open upload sessions (at most "
                        + limitText(limits.maxSessionsPerOwner()) + " per account and "
                        + limitText(limits.maxSessionsPerRepository()) + " per repository): finish or cancel some")));
    }

    private static String limitText(int limit) {
        return limit == 0 ? "unlimited" : String.valueOf(limit);
    }

    /** Mounts a blob from another repository; empty if {@code from} does not have it. */
    public Mono<BlobRecord> mount(String repository, Digest digest, String from) {
        return blobs.mount(repository, digest, from)
                .doOnNext(b -> log.debug("blob mounted repository={} digest={} from={}", repository, digest, from));
    }

    public Mono<UploadRecord> status(String repository, String id) {
        return session(repository, id);
    }

    /**
     * Appends one PATCH body.
     *
     * @param range         the Content-Range header, or null for a streamed PATCH
     * @param contentLength the Content-Length, or -1
     * @return the session after the append
     */
    public Mono<UploadRecord> append(String repository, String id, String range, long contentLength, Flux<ByteBuf> body) {
        return exclusively(repository, id, (state, s) -> appendTo(state, s, range, contentLength, body, Digest.Algorithm.SHA256,
                AfterAppend.RELEASE));
    }

    /** Completes an upload with an optional final body, verifying {@code digest}. */
    public Mono<BlobRecord> finish(String repository, String id, Digest digest, String range, long contentLength,
                                   Flux<ByteBuf> body) {
        return exclusively(repository, id, (state, s) -> appendTo(state, s, range, contentLength, body, digest.algorithm(),
                        AfterAppend.UNRECORDED)
                .flatMap(done -> commit(state, done, digest)));
    }

    /** A monolithic upload (one request carrying the whole blob), not counted against any owner. */
    public Mono<BlobRecord> monolithic(String repository, Digest digest, long contentLength, Flux<ByteBuf> body) {
        return monolithic(repository, null, digest, contentLength, body);
    }

    /** A monolithic upload on behalf of {@code owner} (see {@link #start(String, String)}). */
    public Mono<BlobRecord> monolithic(String repository, String owner, Digest digest, long contentLength,
                                       Flux<ByteBuf> body) {
        if (overLimit(0, contentLength)) {
            // known before a byte is read or a session is opened
            return Mono.error(tooLarge(contentLength));
        }
        return start(repository, owner).flatMap(created -> exclusively(repository, created.id(),
                (state, s) -> appendTo(state, s, null, contentLength, body, digest.algorithm(), AfterAppend.UNRECORDED)
                        .flatMap(done -> commit(state, done, digest))
                        .onErrorResume(e -> discard(s.id()).then(Mono.error(e)))));
    }

    /**
     * Discards sessions idle since before {@code cutoff} (abandoned uploads): their staged bytes,
     * their row and their running digest. Sessions a request is writing to are left alone.
     *
     * @return how many sessions were discarded
     */
    public Mono<Long> expire(Instant cutoff) {
        return uploads.idleSince(cutoff, 1000)
                .concatMap(s -> {
                    UploadLocks.State state = locks.tryClaim(s.id());
                    if (state == null) {
                        return Mono.empty();
                    }
                    // under the session's lease, so that no replica is writing to it; and still idle
                    // once we hold it (a request may have moved it since the listing)
                    return lease(s.id(), s.repository())
                            .flatMap(claim -> Mono.just(claim.session())
                                    .filter(now -> now.updatedAt().isBefore(cutoff))
                                    .flatMap(idle -> discard(s.id()).thenReturn(idle))
                                    .materialize()
                                    .flatMap(signal -> release(s.id(), claim.lease()).thenReturn(signal))
                                    .<UploadRecord>dematerialize())
                            .doFinally(signal -> locks.release(state));
                })
                .doOnNext(s -> log.debug("upload expired id={} repository={} bytes={}", s.id(), s.repository(), s.offset()))
                .count();
    }

    /**
     * For shutdown: waits (blocking) until no request or sweep is writing to a session. Upload
     * work is detached from its connection, so after the connections are closed a cut append is
     * still rolling back, or a body that had fully arrived still committing; the stores must stay
     * open until that ends.
     *
     * @return the number of sessions still being written to when the timeout passed (0: settled)
     */
    public int awaitSettled(java.time.Duration timeout) throws InterruptedException {
        return locks.awaitNoneClaimed(timeout) ? 0 : locks.claimed();
    }

    public Mono<Void> cancel(String repository, String id) {
        return exclusively(repository, id, (state, s) -> discard(s.id()));
    }

    private Mono<UploadRecord> session(String repository, String id) {
        return uploads.find(id)
                .filter(s -> s.repository().equals(repository))
                .switchIfEmpty(Mono.error(() -> OciError.BLOB_UPLOAD_UNKNOWN.exception("upload " + id + " unknown")));
    }

    /**
     * Runs {@code work} as the only request on the session, on any replica, with the session read
     * by the claim (so its offset is current). The claim is this process's in-memory one (the
     * fast path) and then the session's lease in the database, renewed while the work runs and
     * released at its end. A concurrent request, here or on another replica, gets a 416. The work
     * is detached from the caller: if the client goes away, the store still finishes (or rolls
     * back) before the session is released, so a retry never races a late write.
     */
    private <T> Mono<T> exclusively(String repository, String id, BiFunction<UploadLocks.State, UploadRecord, Mono<T>> work) {
        return Mono.defer(() -> {
            UploadLocks.State state = locks.tryClaim(id);
            if (state == null) {
                return session(repository, id).flatMap(s -> Mono.error(outOfOrder(s, "another request is writing to this upload")));
            }
            Sinks.One<T> result = Sinks.one();
            lease(id, repository)
                    .switchIfEmpty(Mono.defer(() -> session(repository, id).flatMap(s -> {
                        leaseConflicts.increment();
                        return Mono.error(outOfOrder(s, "another replica is writing to this upload"));
                    })))
                    .doOnError(e -> locks.forget(id)) // unknown id (or held elsewhere): keep no state for it
                    .flatMap(claim -> Mono.defer(() -> work.apply(state, claim.session()))
                            .onErrorMap(LeaseLostException::isLeaseLost, e -> leaseLost(state, claim.session()))
                            // released before the response goes out, so that the client's next
                            // request, on any replica, finds the session free
                            .materialize()
                            .flatMap(signal -> release(id, claim.lease()).thenReturn(signal))
                            .<T>dematerialize())
                    .doOnTerminate(() -> locks.release(state))
                    .subscribe(result::tryEmitValue, result::tryEmitError, result::tryEmitEmpty);
            return result.asMono();
        });
    }

    /** A session's lease held by this process, and the session as it was read under it. */
    private record Claim(UploadLease lease, UploadRecord session) {
    }

    /**
     * Takes the session's lease in the database (reading the session in the same statement) and
     * starts renewing it; empty when another request (on any replica) holds it, or when there is
     * no such session.
     */
    private Mono<Claim> lease(String id, String repository) {
        return Mono.defer(() -> {
            byte[] random = new byte[16];
            ids.nextBytes(random);
            String token = HexFormat.of().formatHex(random);
            long sentAt = System.nanoTime();
            return uploads.claim(id, repository, token, leaseTtl)
                    .map(session -> {
                        UploadLease lease = new UploadLease(token, leaseTtl, sentAt, System::nanoTime);
                        Duration every = leaseTtl.dividedBy(3);
                        lease.renewals = Flux.interval(every, every, timer)
                                .onBackpressureDrop()
                                .concatMap(tick -> renew(id, lease), 1)
                                .subscribe();
                        held.put(id, lease);
                        return new Claim(lease, session);
                    });
        });
    }

    private Mono<Void> renew(String id, UploadLease lease) {
        long sentAt = System.nanoTime();
        return uploads.renew(id, lease.token, leaseTtl)
                .doOnNext(renewed -> {
                    if (renewed) {
                        lease.renewed(sentAt);
                    } else if (lease.holds()) {
                        lease.lose();
                        leasesLost.increment();
                        log.warn("upload lease lost id={}: the database refused its renewal", id);
                    }
                })
                // a failed renewal is not a refusal: the lease may still be ours, and the local
                // deadline stops the writer in time if it is not
                .onErrorResume(e -> {
                    log.warn("renewing the lease of upload {} failed: {}", id, e.toString());
                    return Mono.empty();
                })
                .then();
    }

    /** Stops the renewals and gives the lease back (errors are logged: the lease then just expires). */
    private Mono<Void> release(String id, UploadLease lease) {
        return Mono.defer(() -> {
            lease.renewals.dispose();
            held.remove(id, lease);
            return lease.releasedByWork ? Mono.<Void>empty() : uploads.release(id, lease.token);
        }).onErrorResume(e -> {
            log.warn("releasing the lease of upload {} failed; it expires within {} s: {}", id, leaseTtl.toSeconds(),
                    e.toString());
            return Mono.empty();
        });
    }

    /** The 416 of a request whose lease was lost while it worked (the session stays at its recorded offset). */
    private UploadOutOfOrderException leaseLost(UploadLocks.State state, UploadRecord s) {
        state.digest = null;
        leasesLost.increment();
        return outOfOrder(s, "this replica lost its lease on the upload while writing; resume from the recorded offset");
    }

    /** What an append does with the session once the store has the bytes. */
    private enum AfterAppend {
        /** Records the new offset and gives up the lease in one statement: the request ends there (PATCH). */
        RELEASE,
        /**
         * Records nothing: a commit follows, in the same request, and deletes the session (PUT, and
         * the monolithic POST). Should the commit fail, the session stays at its recorded offset
         * and running digest, as if this append had not happened: the next append cuts the staged
         * bytes back to that offset, so a client that asks where the upload stands and resumes
         * from there gets a consistent upload. (A failed monolithic upload is discarded anyway.)
         * A PUT thus runs one statement fewer.
         */
        UNRECORDED
    }

    private Mono<UploadRecord> appendTo(UploadLocks.State state, UploadRecord s, String range, long contentLength,
                                        Flux<ByteBuf> body, Digest.Algorithm algorithm, AfterAppend after) {
        ChunkRange chunk;
        try {
            chunk = ChunkRange.parse(range);
        } catch (OciException e) {
            return Mono.error(outOfOrder(s, e.getMessage()));
        }
        if (chunk != null && chunk.start() != s.offset()) {
            return Mono.error(outOfOrder(s, "chunk starts at " + chunk.start() + ", upload is at " + s.offset()));
        }
        if (chunk != null && contentLength >= 0 && contentLength != chunk.length()) {
            return Mono.error(OciError.SIZE_INVALID.exception("Content-Length " + contentLength
                    + " does not match Content-Range length " + chunk.length()));
        }
        long expected = chunk != null ? chunk.length() : contentLength;
        if (overLimit(s.offset(), expected)) {
            return Mono.error(tooLarge(expected > Long.MAX_VALUE - s.offset() ? Long.MAX_VALUE : s.offset() + expected));
        }
        return ensureDigest(state, s, algorithm)
                .then(Mono.defer(() -> {
                    // The chunk is hashed into a copy: the session's digest stays the digest of the
                    // recorded offset until the database has recorded the new one. Whatever fails
                    // in between (the body, the store, the offset update), the next request starts
                    // from the recorded offset with a digest that matches it, and the store
                    // truncates the staged bytes back to that offset before writing.
                    MessageDigest running = copy(state.digest);
                    UploadLease lease = held.get(s.id());
                    // fenced: no buffer reaches the store once the lease may be another's
                    return store.append(s.id(), s.offset(), lease.fence(DigestingPipeline.of(body, running, expected,
                                    s.offset(), limits.maxBlobBytes(), workers, bytesPushed)), expected)
                            // the state recorded with the offset is the state at that offset: taken
                            // from the copy that hashed exactly the bytes the store acknowledged;
                            // recorded only while the lease is still this request's
                            .flatMap(length -> record(s, length, running, lease, after)
                                    .flatMap(moved -> {
                                        if (!moved) {
                                            state.digest = null;
                                            return Mono.error(outOfOrder(s, "upload was modified concurrently"));
                                        }
                                        state.digest = running;
                                        state.offset = length;
                                        return Mono.just(new UploadRecord(s.id(), s.repository(), length, s.startedAt(),
                                                s.updatedAt()));
                                    }));
                }));
    }

    /** Records the offset an append reached (see {@link AfterAppend}). @return whether it moved */
    private Mono<Boolean> record(UploadRecord s, long length, MessageDigest running, UploadLease lease, AfterAppend after) {
        return switch (after) {
            case UNRECORDED -> Mono.just(true);
            // the request's last statement gives the lease up too; the renewals stop first (one
            // racing it would report a lost lease)
            case RELEASE -> Mono.defer(() -> {
                lease.renewals.dispose();
                return uploads.advanceAndRelease(s.id(), s.offset(), length, states.export(running), lease.token)
                        .doOnNext(moved -> lease.releasedByWork = moved);
            });
        };
    }

    /** A copy of a running digest (the JDK's SHA-2 digests are all cloneable). */
    private static MessageDigest copy(MessageDigest digest) {
        try {
            return (MessageDigest) digest.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("running digest " + digest.getAlgorithm() + " cannot be copied", e);
        }
    }

    /**
     * Makes sure {@code state} holds the digest of the first {@code s.offset()} staged bytes: the
     * one in memory if it is at that offset, else the state stored with the offset, else one
     * rebuilt by re-reading the staged bytes.
     */
    private Mono<Void> ensureDigest(UploadLocks.State state, UploadRecord s, Digest.Algorithm algorithm) {
        if (state.digest != null && state.offset == s.offset() && (state.algorithm == algorithm || s.offset() > 0)) {
            return Mono.empty();
        }
        if (s.offset() == 0) {
            adopt(state, algorithm.newMessageDigest(), algorithm, 0);
            return Mono.empty();
        }
        Mono<Void> reread = Mono.defer(() -> {
            MessageDigest md = algorithm.newMessageDigest();
            return rehash(s.id(), s.offset(), md).doOnSuccess(v -> {
                digestReread.increment();
                adopt(state, md, algorithm, s.offset());
            });
        });
        if (!states.available()) {
            return reread;
        }
        return uploads.hashState(s.id(), s.offset())
                .flatMap(stored -> {
                    try {
                        return Mono.just(states.restore(stored, s.offset()));
                    } catch (IllegalArgumentException | IllegalStateException e) {
                        log.warn("upload hash state not restored, re-reading the staged bytes id={} offset={}: {}",
                                s.id(), s.offset(), e.getMessage());
                        return Mono.empty();
                    }
                })
                .doOnNext(md -> {
                    digestRestored.increment();
                    adopt(state, md, DigestStates.algorithmOf(md.getAlgorithm()), s.offset());
                })
                .switchIfEmpty(reread.then(Mono.empty()))
                .then();
    }

    private static void adopt(UploadLocks.State state, MessageDigest md, Digest.Algorithm algorithm, long offset) {
        state.digest = md;
        state.algorithm = algorithm;
        state.offset = offset;
    }

    /** Feeds the first {@code length} staged bytes to {@code md}, on the store's reading thread. */
    private Mono<Void> rehash(String id, long length, MessageDigest md) {
        if (length == 0) {
            return Mono.empty();
        }
        return store.readStaged(id, length)
                .doOnNext(buf -> {
                    try {
                        Buffers.hash(md, buf);
                    } finally {
                        buf.release();
                    }
                })
                .doOnDiscard(ByteBuf.class, ReferenceCountUtil::safeRelease)
                .then();
    }

    /** The commit chain, timed from subscription to its end (success, or error of any step). */
    private Mono<BlobRecord> commit(UploadLocks.State state, UploadRecord s, Digest expected) {
        return Mono.defer(() -> {
            long start = System.nanoTime();
            return commitChain(state, s, expected)
                    .doOnSuccess(r -> {
                        commitSucceeded.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                        uploadDuration.record(java.time.Duration.between(s.startedAt(), java.time.Instant.now()));
                    })
                    .doOnError(e -> commitFailed.record(System.nanoTime() - start, TimeUnit.NANOSECONDS));
        });
    }

    private Mono<BlobRecord> commitChain(UploadLocks.State state, UploadRecord s, Digest expected) {
        Mono<Digest> actual;
        if (state.digest != null && state.algorithm == expected.algorithm() && state.offset == s.offset()) {
            // a copy: digest() resets the running one, which must stay the state at the offset
            // should the commit fail and the client retry the PUT
            actual = Mono.fromCallable(() -> expected.algorithm().digestOf(copy(state.digest)));
        } else {
            // the running digest is of another algorithm (chunks are hashed as SHA-256 until the
            // final PUT names the digest): only the staged bytes can tell
            MessageDigest md = expected.algorithm().newMessageDigest();
            actual = rehash(s.id(), s.offset(), md).doOnSuccess(v -> {
                if (s.offset() > 0) {
                    digestReread.increment();
                }
            }).then(Mono.fromCallable(() -> expected.algorithm().digestOf(md)));
        }
        return actual.flatMap(d -> {
            if (!d.equals(expected)) {
                return discard(s.id()).then(Mono.error(OciError.DIGEST_INVALID.exception(
                        "digest " + expected + " does not match the uploaded content (" + d + ")")));
            }
            UploadLease lease = held.get(s.id());
            return collector.committing(expected, intent -> lease.fence(store.commit(s.id(), expected, s.offset()))
                    .flatMap(location -> blobs.commit(s.repository(),
                                    new BlobRecord(expected, s.offset(), store.backend(), location), s.id(), intent)
                            // the commit deleted the session, and its lease with it
                            .doOnNext(recorded -> lease.releasedByWork = true)
                            // The bytes are in place but unrecorded; the staged copy is gone, so the
                            // session cannot be retried: drop it and let the client start over.
                            .onErrorResume(e -> discard(s.id()).then(Mono.error(e)))
                            .flatMap(recorded -> dropIfLost(recorded, location))))
                    .doOnSuccess(r -> {
                        locks.forget(s.id());
                        log.debug("blob committed repository={} digest={} bytes={}", s.repository(), expected, s.offset());
                    });
        });
    }

    /**
     * A store whose locations are per upload (S3 multipart uploads) stores a blob pushed twice at
     * once twice; the record that was there first wins, and the loser's copy, which nothing
     * records, is deleted here (best effort: it is only wasted space).
     */
    private Mono<BlobRecord> dropIfLost(BlobRecord recorded, String location) {
        if (recorded.location().equals(location) && recorded.backend().equals(store.backend())) {
            return Mono.just(recorded);
        }
        return store.delete(location)
                .doOnSuccess(v -> log.debug("blob {} was recorded meanwhile at {}; our copy at {} deleted",
                        recorded.digest(), recorded.location(), location))
                .onErrorResume(e -> {
                    log.warn("blob {} was recorded meanwhile; deleting our copy at {} failed", recorded.digest(), location, e);
                    return Mono.empty();
                })
                .thenReturn(recorded);
    }

    /**
     * Deletes the session and its staged bytes, under the lease of the claim that runs this: the
     * row is deleted only while the lease is ours, and the staged bytes only when the row is gone
     * (then no one can claim the session any more).
     */
    private Mono<Void> discard(String id) {
        UploadLease lease = held.get(id);
        locks.forget(id);
        if (lease == null) {
            return Mono.error(new IllegalStateException("upload " + id + " discarded without its lease"));
        }
        return uploads.delete(id, lease.token)
                .flatMap(deleted -> deleted ? Mono.just(true) : uploads.find(id).hasElement().map(exists -> !exists))
                .flatMap(gone -> gone ? store.abort(id) : Mono.<Void>empty());
    }

    private static UploadOutOfOrderException outOfOrder(UploadRecord s, String message) {
        return new UploadOutOfOrderException(s, message);
    }

    /** Whether {@code length} more bytes (-1: unknown) after {@code offset} would pass the blob size limit. */
    private boolean overLimit(long offset, long length) {
        return limits.maxBlobBytes() > 0 && length > limits.maxBlobBytes() - offset;
    }

    private OciException tooLarge(long size) {
        return tooLarge(size, limits.maxBlobBytes());
    }

    /** The 413 of a blob of (at least) {@code size} bytes over the limit {@code max}. */
    static OciException tooLarge(long size, long max) {
        return OciError.BLOB_UPLOAD_INVALID.exception(413, "the blob (at least " + size
                + " bytes) is larger than the limit of " + max + " bytes").withDetail(java.util.Map.of("maxBlobBytes", max));
    }
}

package io.openregistry.metadata;

import java.time.Duration;
import java.time.Instant;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Upload sessions, kept in the database so that an upload can be resumed after a restart or on
 * another replica.
 *
 * <p>Exclusive work on a session across replicas goes through its <em>lease</em>: {@link #claim}
 * sets a holder token and an expiry in database time if no unexpired lease exists; the holder
 * {@link #renew renews} it while it works and {@link #release releases} it at the end. The writes
 * that take a {@code holder} (the fenced {@link #advanceAndRelease advance}
 * and {@link #delete(String, String) delete}) succeed only while the row still carries that
 * token, so a holder whose lease expired and was claimed by another cannot record anything.
 */
public interface UploadStore {

    /** Records a new session at offset 0, with no owner and no limits. */
    default Mono<UploadRecord> create(String id, String repository) {
        return create(id, repository, null, 0, 0);
    }

    /**
     * Records a new session at offset 0 for {@code owner} (an opaque key; null = none), unless the
     * owner already holds {@code maxPerOwner} sessions or the repository has {@code maxPerRepository}
     * (0 = no limit). The check and the insert are one statement; concurrent creations on different
     * connections may still pass together, so a limit can be exceeded by at most that concurrency.
     *
     * @return the session, or empty when a limit is reached
     */
    Mono<UploadRecord> create(String id, String repository, String owner, int maxPerOwner, int maxPerRepository);

    Mono<UploadRecord> find(String id);

    /**
     * Moves the session's offset from {@code expected} to {@code offset} if it is still at
     * {@code expected} (optimistic concurrency) and its lease holder is {@code holder} (fenced),
     * recording in the same statement {@code hashState} (opaque bytes: the running digest's
     * exported state after exactly {@code offset} bytes, or null for none, so the stored state is
     * always the state at the stored offset), and giving up the lease when it moves (a request's
     * last write: one round trip instead of two). A refused advance keeps the lease.
     *
     * @return whether it moved
     */
    Mono<Boolean> advanceAndRelease(String id, long expected, long offset, byte[] hashState, String holder);

    /**
     * Takes the lease of session {@code id} of {@code repository} for {@code holder} until
     * {@code ttl} from now (database time), if no unexpired lease is held (by anyone, this holder
     * included). @return the session as it is under the lease, or empty when the lease is held
     * elsewhere or there is no such session
     */
    Mono<UploadRecord> claim(String id, String repository, String holder, Duration ttl);

    /**
     * Extends {@code holder}'s unexpired lease to {@code ttl} from now. @return false when the
     * lease is no longer {@code holder}'s or has expired (then it must stop working on the session)
     */
    Mono<Boolean> renew(String id, String holder, Duration ttl);

    /** Gives up {@code holder}'s lease, if it still holds it (a session that is gone is fine). */
    Mono<Void> release(String id, String holder);

    /**
     * The hash state recorded with the session's offset, if the session is at {@code offset} and a
     * state was recorded; else empty.
     */
    Mono<byte[]> hashState(String id, long offset);

    /** @return whether the session existed */
    Mono<Boolean> delete(String id);

    /** Deletes the session if {@code holder} holds its lease. @return whether it was deleted */
    Mono<Boolean> delete(String id, String holder);

    /** Up to {@code limit} sessions last updated before {@code cutoff}, oldest first: abandoned uploads. */
    Flux<UploadRecord> idleSince(Instant cutoff, int limit);
}

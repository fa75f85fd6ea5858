package io.openregistry.upload;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import io.openregistry.storage.LeaseLostException;
import java.time.Duration;
import java.util.function.LongSupplier;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One claim on one upload session: the holder token recorded in the session's row, and this
 * process's conservative idea of whether the lease is still ours.
 *
 * <p>The database computes the lease's expiry as (its time when it ran the claim or renewal) +
 * ttl, never earlier than (our time when we sent it) + ttl. So until (send time of the last
 * successful claim or renewal) + ttl - margin on our monotonic clock, nobody else can have taken
 * the lease; after that we assume it is gone. The margin covers an operation (a buffer write, a
 * truncation) that passed the check just before that deadline, and the drift between clocks. Once
 * lost, the lease stays lost, even should a late renewal still succeed.
 *
 * <p>The store learns of a lost lease through the data it is given ({@link #fence(Flux)}): each
 * buffer is checked right before it reaches the store, and an error of the data while the lease is
 * lost arrives as a {@link LeaseLostException}, on which the store skips its rollback. A rollback
 * that follows a failed <em>write</em> of the store's own is not re-checked: it comes right after
 * a write that passed the check, well within the margin unless that write itself hung for longer.
 */
final class UploadLease {
    final String token;
    private final long ttlNanos;
    private final long marginNanos;
    private final LongSupplier clock;
    /** Until when (our monotonic clock) the lease is surely ours. */
    private volatile long deadline;
    private volatile boolean lost;
    /** The renewals while the work runs; disposed at the end. */
    volatile Disposable renewals;
    /**
     * Set when the work's last statement gave the lease up itself (the offset update of an append,
     * or the commit that deleted the session): the release at the end then has nothing to send.
     */
    volatile boolean releasedByWork;

    /** A lease taken by a claim that was sent at {@code sentAt} ({@code clock}'s nanoseconds). */
    UploadLease(String token, Duration ttl, long sentAt, LongSupplier clock) {
        this.token = token;
        this.ttlNanos = ttl.toNanos();
        this.marginNanos = ttl.toNanos() / 3;
        this.clock = clock;
        this.deadline = sentAt + ttlNanos - marginNanos;
    }

    /** Whether the lease is still surely ours; false from the first time it was not, for good. */
    boolean holds() {
        if (lost) {
            return false;
        }
        if (clock.getAsLong() - deadline >= 0) {
            lost = true;
            return false;
        }
        return true;
    }

    /** A renewal sent at {@code sentAt} succeeded. */
    void renewed(long sentAt) {
        if (holds()) {
            long next = sentAt + ttlNanos - marginNanos;
            if (next - deadline > 0) {
                deadline = next;
            }
        }
    }

    /** A renewal was refused or failed: stop now rather than at the deadline. */
    void lose() {
        lost = true;
    }

    /**
     * {@code data} that stops at the first buffer that would reach the store after the lease was
     * lost (the check runs on the thread that hands the buffer to the store, right before the
     * write), and that turns any error signalled while the lease is lost into a
     * {@link LeaseLostException}, so the store does not roll back what may be the new holder's.
     */
    Flux<ByteBuf> fence(Flux<ByteBuf> data) {
        return data
                .map(buf -> {
                    if (!holds()) {
                        ReferenceCountUtil.safeRelease(buf);
                        throw lostException(null);
                    }
                    return buf;
                })
                .onErrorMap(e -> !(e instanceof LeaseLostException) && !holds(), this::lostException);
    }

    /** {@code work}, unless the lease is lost by the time it is subscribed. */
    <T> Mono<T> fence(Mono<T> work) {
        return Mono.defer(() -> holds() ? work : Mono.error(lostException(null)));
    }

    LeaseLostException lostException(Throwable cause) {
        return new LeaseLostException("this replica lost its lease on the upload", cause);
    }
}

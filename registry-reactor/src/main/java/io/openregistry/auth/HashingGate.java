package io.openregistry.auth;

import io.openregistry.oci.OciError;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Bounds the password hashing of the whole process: at most {@code concurrency} Argon2id
 * computations run at once (each some tens of milliseconds of a core and 19 MiB); the others wait
 * in a queue, first come first served, for at most {@code queueDeadline}, and are then refused with
 * 429 TOOMANYREQUESTS and {@code Retry-After}. Without it, a crowd of bad sign-ins from many
 * addresses (each within its own rate limit) would share the cores with a real sign-in and slow it
 * without bound. Waiting takes no thread: a waiter is a callback, woken when a permit frees up or
 * when its deadline passes (on Reactor's timer).
 */
public final class HashingGate {
    /** A refused hash's Retry-After: the queue empties within a few deadlines at most. */
    private static final long RETRY_AFTER_SECONDS = 1;
    private final int concurrency;
    private final Duration queueDeadline;
    private final Scheduler hashing;
    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private int running;
    /** Guarded by {@link #lock}. */
    private final ArrayDeque<Waiter> queue = new ArrayDeque<>();

    /**
     * @param concurrency   hashes computed at once, at least 1
     * @param queueDeadline how long a hash may wait for its turn before it is refused
     * @param hashing       where the hashes run (off the event loops)
     */
    public HashingGate(int concurrency, Duration queueDeadline, Scheduler hashing) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1");
        }
        this.concurrency = concurrency;
        this.queueDeadline = queueDeadline;
        this.hashing = hashing;
    }

    /**
     * Runs {@code work} on the hashing scheduler once a permit is free; errors with 429 when none
     * frees up within the queue deadline. Cancelling before the work starts gives the permit (or
     * the place in the queue) back; once started, the permit is held until the hash is done, since
     * a hash cannot be interrupted (else a client hanging up at once would start hashes unbounded).
     */
    public <T> Mono<T> run(Callable<T> work) {
        return acquire().flatMap(permit -> {
            AtomicInteger phase = new AtomicInteger(PENDING);
            return Mono.fromCallable(() -> {
                        if (!phase.compareAndSet(PENDING, STARTED)) {
                            return null; // cancelled before it started: the permit went back then
                        }
                        try {
                            return work.call();
                        } finally {
                            permit.releaseNow();
                        }
                    })
                    .subscribeOn(hashing)
                    .doFinally(signal -> {
                        if (phase.compareAndSet(PENDING, CANCELLED)) {
                            permit.releaseNow(); // never started (cancelled, or not scheduled)
                        }
                    });
        });
    }

    private static final int PENDING = 0;
    private static final int STARTED = 1;
    private static final int CANCELLED = 2;

    /** Hashes running now (for tests and diagnostics). */
    int running() {
        synchronized (lock) {
            return running;
        }
    }

    /** Hashes waiting for a permit now (for tests and diagnostics). */
    int queued() {
        synchronized (lock) {
            return queue.size();
        }
    }

    private Mono<Permit> acquire() {
        return Mono.create(sink -> {
            Waiter waiter = new Waiter(sink);
            // before the waiter can be granted: a grant racing a cancel must find the hook in place
            sink.onCancel(waiter::cancel);
            boolean now;
            synchronized (lock) {
                now = running < concurrency;
                if (now) {
                    running++;
                } else {
                    queue.add(waiter);
                }
            }
            if (now) {
                if (!waiter.grant()) {
                    handOver();
                }
                return;
            }
            sink.onDispose(Schedulers.parallel().schedule(waiter::expire, queueDeadline.toNanos(),
                    TimeUnit.NANOSECONDS));
        });
    }

    /** Hands a freed permit to the first waiter still waiting, or puts it back. */
    private void handOver() {
        while (true) {
            Waiter next;
            synchronized (lock) {
                next = queue.poll();
                if (next == null) {
                    running--;
                    return;
                }
            }
            if (next.grant()) {
                return;
            }
        }
    }

    /** One holder of a permit; releasing twice (cancel racing completion) frees it once. */
    private final class Permit {
        private final AtomicBoolean held = new AtomicBoolean(true);

        void releaseNow() {
            if (held.compareAndSet(true, false)) {
                handOver();
            }
        }
    }

    /** A hash waiting for a permit: granted, expired or cancelled, whichever comes first. */
    private final class Waiter {
        private static final int WAITING = 0;
        private static final int GRANTED = 1;
        private static final int GONE = 2;
        private final AtomicInteger state = new AtomicInteger(WAITING);
        private final MonoSink<Permit> sink;
        private final Permit permit = new Permit();

        Waiter(MonoSink<Permit> sink) {
            this.sink = sink;
        }

        /** Gives it the permit; false when it is gone already (the caller passes the permit on). */
        boolean grant() {
            if (!state.compareAndSet(WAITING, GRANTED)) {
                return false;
            }
            sink.success(permit);
            return true;
        }

        void expire() {
            if (leave()) {
                sink.error(OciError.TOOMANYREQUESTS.exception("too many sign-ins at once; retry in "
                                + RETRY_AFTER_SECONDS + " s")
                        .withHeader("Retry-After", String.valueOf(RETRY_AFTER_SECONDS)));
            }
        }

        void cancel() {
            if (!leave() && state.get() == GRANTED) {
                // granted as it was cancelled: the permit may never have reached the subscriber
                permit.releaseNow();
            }
        }

        private boolean leave() {
            if (!state.compareAndSet(WAITING, GONE)) {
                return false;
            }
            synchronized (lock) {
                queue.remove(this);
            }
            return true;
        }
    }
}

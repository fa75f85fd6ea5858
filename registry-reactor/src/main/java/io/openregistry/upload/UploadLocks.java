package io.openregistry.upload;

import io.openregistry.oci.Digest;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The in-memory side of upload sessions on this replica: which session a request is writing to
 * (one at a time), and the running digest of each session's staged bytes. This is the fast path
 * within one process (and what the in-flight gauge and the shutdown wait count); exclusion across
 * replicas is the session's database lease ({@link UploadLease}), taken after this claim.
 */
final class UploadLocks {
    /** The digest of the first {@code offset} staged bytes, valid while {@code digest} is not null. */
    static final class State {
        MessageDigest digest;
        Digest.Algorithm algorithm;
        long offset;
        private boolean busy;
    }

    private final Map<String, State> states = new ConcurrentHashMap<>();
    /** Sessions held right now (the uploads-in-flight gauge). */
    private final AtomicInteger claimed = new AtomicInteger();
    /** Notified whenever {@link #claimed} drops to zero (for {@link #awaitNoneClaimed}). */
    private final Object none = new Object();

    /** Claims the session for one request; null when another request holds it. */
    State tryClaim(String id) {
        State state = states.computeIfAbsent(id, k -> new State());
        synchronized (state) {
            if (state.busy) {
                return null;
            }
            state.busy = true;
            claimed.incrementAndGet();
            return state;
        }
    }

    void release(State state) {
        synchronized (state) {
            if (state.busy) {
                state.busy = false;
                if (claimed.decrementAndGet() == 0) {
                    synchronized (none) {
                        none.notifyAll();
                    }
                }
            }
        }
    }

    /** Blocks until no session is claimed or {@code timeout} passes; true when none is. */
    boolean awaitNoneClaimed(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (none) {
            while (claimed.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(none, left);
            }
            return true;
        }
    }

    int claimed() {
        return claimed.get();
    }

    /** Drops the state of a finished or discarded session. */
    void forget(String id) {
        states.remove(id);
    }
}

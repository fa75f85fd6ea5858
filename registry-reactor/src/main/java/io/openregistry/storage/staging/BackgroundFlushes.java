package io.openregistry.storage.staging;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.scheduler.Scheduler;

/**
 * The background flushes of one staging area's files (see {@link StagingFile}): run on the I/O
 * scheduler, at most {@link #MAX_RUNNING} at once, so that many uploads flushing together never
 * fill the I/O threads that opens, commits and closes need. A file whose flush finds no free slot
 * simply tries again after its next write.
 */
final class BackgroundFlushes {

    static final int MAX_RUNNING = 2;

    private final Scheduler io;
    private final AtomicInteger free = new AtomicInteger(MAX_RUNNING);
    private final AtomicLong started = new AtomicLong();

    BackgroundFlushes(Scheduler io) {
        this.io = io;
    }

    /** How many flushes were started. */
    long started() {
        return started.get();
    }

    /** Starts {@code flush} on the I/O scheduler if a slot is free; false when none is. */
    boolean tryStart(Runnable flush) {
        int slots;
        do {
            slots = free.get();
            if (slots == 0) {
                return false;
            }
        } while (!free.compareAndSet(slots, slots - 1));
        try {
            io.schedule(() -> {
                try {
                    flush.run();
                } finally {
                    free.incrementAndGet();
                }
            });
            started.incrementAndGet();
            return true;
        } catch (RuntimeException rejected) {
            // a disposed scheduler (shutting down): no flush, the commit's own one still runs
            free.incrementAndGet();
            return false;
        }
    }
}

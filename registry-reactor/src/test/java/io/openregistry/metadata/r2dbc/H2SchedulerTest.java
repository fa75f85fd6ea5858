package io.openregistry.metadata.r2dbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;

/**
 * H2 work is cancelled whenever a client hangs up. An interrupt during H2's file I/O closes the
 * database file's channel for good (ClosedByInterruptException, seen when a client cut a
 * monolithic upload short: every later statement failed), so the threads H2 runs on must never be
 * interrupted by a cancel — Reactor's own schedulers interrupt a running task disposed from
 * another thread.
 */
class H2SchedulerTest {

    @Test
    void aCancelledTaskIsNotInterrupted() throws Exception {
        assertNotInterrupted(s -> s::schedule);
    }

    @Test
    void aCancelledWorkerTaskIsNotInterrupted() throws Exception {
        assertNotInterrupted(s -> s.createWorker()::schedule);
    }

    private static void assertNotInterrupted(Function<Scheduler, Function<Runnable, Disposable>> how) throws Exception {
        Scheduler scheduler = Db.blockingSchedulerFor(Dialect.H2, 2);
        try {
            CountDownLatch started = new CountDownLatch(1);
            CountDownLatch cancelled = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(1);
            AtomicBoolean interrupted = new AtomicBoolean();
            Disposable task = how.apply(scheduler).apply(() -> {
                started.countDown();
                try {
                    // stands for a statement in progress; returns at once when interrupted
                    cancelled.await(30, TimeUnit.SECONDS);
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    interrupted.set(true);
                } finally {
                    done.countDown();
                }
            });
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            task.dispose();
            cancelled.countDown();
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(interrupted).as("the running task was interrupted by its cancel").isFalse();
        } finally {
            scheduler.dispose();
        }
    }
}

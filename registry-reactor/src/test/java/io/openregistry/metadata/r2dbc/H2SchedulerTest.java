package io.openregistry.metadata.r2dbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.RegistryServer;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

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

    /**
     * Event loops hand work to the H2 threads all the time. Handing it over must never park the
     * event loop: under BlockHound a park there throws from inside the lock of a blocking queue,
     * which left that lock's queue broken and every H2 thread waiting for it for good (full test
     * runs hung with 30 s timeouts: the pool's threads all parked in LinkedBlockingQueue.poll).
     */
    @Test
    void nonBlockingThreadsHandOverWithoutParking() throws Exception {
        RegistryServer.installBlockHound();
        Scheduler scheduler = Db.blockingSchedulerFor(Dialect.H2, 2);
        Scheduler loops = Schedulers.newParallel("h2-handover", 4);
        try {
            int producers = 4;
            int tasks = 20_000;
            CountDownLatch ran = new CountDownLatch(producers * tasks);
            Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
            for (int p = 0; p < producers; p++) {
                boolean viaWorker = p % 2 == 0;
                loops.schedule(() -> {
                    Scheduler.Worker worker = scheduler.createWorker();
                    for (int i = 0; i < tasks; i++) {
                        try {
                            if (viaWorker) {
                                worker.schedule(ran::countDown);
                            } else {
                                scheduler.schedule(ran::countDown);
                            }
                        } catch (Throwable e) {
                            errors.add(e);
                            ran.countDown();
                        }
                    }
                });
            }
            assertThat(ran.await(60, TimeUnit.SECONDS)).as("all handed-over tasks ran").isTrue();
            assertThat(errors).as("hand-over errors").isEmpty();
        } finally {
            loops.dispose();
            scheduler.dispose();
        }
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

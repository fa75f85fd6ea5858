package io.openregistry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.openregistry.metadata.JobLeases;
import io.openregistry.metrics.Meters;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * A periodic job that runs on one replica at a time: before each run the replica takes (or, when it
 * is the holder, extends) the job's lease in the database for two periods, and skips the run when
 * another replica holds it. A holder that dies is replaced once its lease expires. The jobs it runs
 * tolerate an overlap (a run longer than the lease): each step is fenced or conditional in the
 * database by itself; the lease only keeps replicas from doing the same work twice.
 */
final class Sweeper {
    private static final Logger log = LoggerFactory.getLogger(Sweeper.class);
    private final String name;
    private final JobLeases leases;
    private final String holder;
    private final Duration every;
    private final Supplier<Mono<Void>> work;
    private final Counter ran;
    private final Counter skipped;
    private final Counter failed;

    /**
     * @param holder this replica's name in the lease (unique per start)
     * @param every  the period of the runs
     * @param work   one run
     */
    Sweeper(String name, JobLeases leases, String holder, Duration every, Supplier<Mono<Void>> work,
            MeterRegistry meters) {
        this.name = name;
        this.leases = leases;
        this.holder = holder;
        this.every = every;
        this.work = work;
        this.ran = Meters.jobRuns(meters, name, Meters.OUTCOME_RAN);
        this.skipped = Meters.jobRuns(meters, name, Meters.OUTCOME_SKIPPED);
        this.failed = Meters.jobRuns(meters, name, Meters.OUTCOME_ERROR);
    }

    /** Runs every period on {@code timer} (which the caller owns) until disposed. */
    Disposable start(Scheduler timer) {
        return Flux.interval(every, every, timer)
                .onBackpressureDrop()
                .concatMap(tick -> runOnce(), 1)
                .subscribe();
    }

    /** Gives the job's lease up if this replica holds it (blocking; at shutdown, after the ticks stopped). */
    void release(Duration timeout) {
        leases.release(name, holder).block(timeout);
    }

    /** One tick: runs the job if this replica holds its lease. @return whether it ran (errors are logged) */
    Mono<Boolean> runOnce() {
        return leases.acquire(name, holder, every.multipliedBy(2))
                .flatMap(held -> {
                    if (!held) {
                        skipped.increment();
                        log.debug("job {} skipped: another replica holds its lease", name);
                        return Mono.just(false);
                    }
                    return work.get().then(Mono.fromRunnable(ran::increment)).thenReturn(true);
                })
                .onErrorResume(e -> {
                    failed.increment();
                    log.warn("job {} failed", name, e);
                    return Mono.just(false);
                });
    }
}

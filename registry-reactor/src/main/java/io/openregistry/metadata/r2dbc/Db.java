package io.openregistry.metadata.r2dbc;

import io.micrometer.core.instrument.MeterRegistry;
import io.openregistry.metrics.Meters;
import io.openregistry.metrics.Timing;
import io.openregistry.oci.Digest;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.R2dbcTransientException;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;
import reactor.util.retry.RetryBackoffSpec;

/**
 * How the stores talk to the database: borrow a pooled connection, run some statements (in a
 * transaction or not), give it back, and retry the whole unit when the database reports a
 * conflict with a concurrent transaction.
 *
 * <p>When {@code blockingScheduler} is set (H2, which runs in-process and does file I/O and lock
 * waits on the calling thread), every unit of work is subscribed — and cancelled — on it, so no
 * database call ever runs on an event-loop thread.
 */
final class Db {
    /**
     * SQLStates worth a retry: unique violation, foreign-key violation (PostgreSQL 23503, H2 23506:
     * a blob record collected while a commit links it; the retry re-creates it), serialization
     * failure, deadlock and lock not available (PostgreSQL), lock timeout (H2).
     */
    private static final Set<String> RETRY_STATES = Set.of("23505", "23503", "23506", "40001", "40P01", "55P03", "HYT00");
    /** H2 vendor codes: CONCURRENT_UPDATE_1, LOCK_TIMEOUT_1, DEADLOCK_1 (from org.h2.api.ErrorCode). */
    private static final Set<Integer> RETRY_H2_CODES = Set.of(90131, 50200, 40001);
    private static final int ATTEMPTS = 8;
    /** Binds a NULL timestamp (PostgreSQL refuses a NULL string in a timestamp column). */
    static final Object NULL_TIME = new Object();
    /** Binds a NULL binary (PostgreSQL refuses a NULL string in a bytea column). */
    static final Object NULL_BYTES = new Object();

    final Dialect dialect;
    /** The visibility a repository gets when a first push creates it. */
    final boolean newRepositoriesPublic;
    private final ConnectionPool pool;
    private final Scheduler blockingScheduler;
    private final RetryBackoffSpec retry;
    private final Timing statements;
    private final Timing transactions;

    Db(Dialect dialect, ConnectionPool pool, Scheduler blockingScheduler, boolean newRepositoriesPublic,
       MeterRegistry meters) {
        this.dialect = dialect;
        this.statements = Meters.dbOperation(meters, "statement");
        this.transactions = Meters.dbOperation(meters, "transaction");
        this.newRepositoriesPublic = newRepositoriesPublic;
        this.pool = pool;
        this.blockingScheduler = blockingScheduler;
        // Timers fire on the parallel scheduler by default; the retry then resubscribes there. Each
        // attempt below is subscribed on the blocking scheduler itself, so that is harmless.
        this.retry = Retry.backoff(ATTEMPTS - 1, Duration.ofMillis(5))
                .maxBackoff(Duration.ofMillis(200))
                .jitter(0.75)
                .filter(Db::retryable)
                .onRetryExhaustedThrow((spec, signal) -> signal.failure());
    }

    /** Runs {@code work} on one connection in auto-commit mode; retried as a whole on conflicts. */
    <T> Flux<T> run(Function<Connection, Publisher<T>> work) {
        return statements.time(withRetry(Flux.usingWhen(pool.create(), conn -> onOwnThread(conn, work), Connection::close)));
    }

    /**
     * Runs {@code work} in one transaction: committed when the work completes, rolled back when it
     * fails or is cancelled, and retried from the start on conflicts with concurrent transactions.
     * {@code work} must therefore be free of side effects outside the database, and must consume
     * each statement's result completely before it starts the next (a connection runs one statement
     * at a time; PostgreSQL would otherwise wait forever).
     */
    <T> Flux<T> transaction(Function<Connection, Publisher<T>> work) {
        // The outer usingWhen always gives the connection back, even when commit or rollback fails.
        return transactions.time(withRetry(Flux.usingWhen(pool.create(),
                conn -> onOwnThread(conn, owned -> Flux.usingWhen(
                        Mono.from(owned.beginTransaction()).thenReturn(owned),
                        work,
                        Connection::commitTransaction,
                        (c, error) -> c.rollbackTransaction(),
                        Connection::rollbackTransaction)),
                Connection::close)));
    }

    /** A query on its own auto-commit connection. */
    <T> Flux<T> query(String sql, Function<Row, T> mapper, Object... args) {
        return run(conn -> query(conn, sql, mapper, args));
    }

    /** An update on its own auto-commit connection. @return the number of rows changed */
    Mono<Long> update(String sql, Object... args) {
        return run(conn -> update(conn, sql, args)).single();
    }

    static <T> Flux<T> query(Connection conn, String sql, Function<Row, T> mapper, Object... args) {
        return Flux.from(bind(conn.createStatement(sql), args).execute())
                .concatMap(result -> result.map((row, meta) -> mapper.apply(row)));
    }

    static Mono<Long> update(Connection conn, String sql, Object... args) {
        return Flux.from(bind(conn.createStatement(sql), args).execute())
                .concatMap(Result::getRowsUpdated)
                .reduce(0L, Long::sum);
    }

    /**
     * Binds arguments by position. Digests bind as their text and instants as UTC timestamps; null
     * binds as a NULL string, {@link #NULL_TIME} as a NULL timestamp and {@link #NULL_BYTES} as a NULL binary.
     */
    private static Statement bind(Statement statement, Object... args) {
        for (int i = 0; i < args.length; i++) {
            Object arg = args[i];
            if (arg == null) {
                statement.bindNull(i, String.class);
            } else if (arg == NULL_TIME) {
                statement.bindNull(i, OffsetDateTime.class);
            } else if (arg == NULL_BYTES) {
                statement.bindNull(i, byte[].class);
            } else if (arg instanceof Digest digest) {
                statement.bind(i, digest.toString());
            } else if (arg instanceof Instant instant) {
                statement.bind(i, instant.atOffset(ZoneOffset.UTC));
            } else {
                statement.bind(i, arg);
            }
        }
        return statement;
    }

    /**
     * Runs the work for a freshly acquired connection. The pool hands connections to waiting
     * borrowers in a loop on the releasing thread; H2 work is synchronous, so without this hop each
     * borrower's whole transaction would run inside that loop and all of them one after another.
     */
    private <T> Flux<T> onOwnThread(Connection conn, Function<Connection, Publisher<T>> work) {
        return blockingScheduler == null
                ? Flux.from(work.apply(conn))
                : Mono.just(conn).publishOn(blockingScheduler).flatMapMany(work);
    }

    private <T> Flux<T> withRetry(Flux<T> attempt) {
        Flux<T> placed = blockingScheduler == null
                ? attempt
                // cancelOn too: a cancel from an event loop would otherwise run the rollback and
                // connection release, which are blocking H2 calls, on that event loop.
                : attempt.subscribeOn(blockingScheduler).cancelOn(blockingScheduler);
        return placed.retryWhen(retry);
    }

    static boolean retryable(Throwable error) {
        if (error instanceof R2dbcTransientException) {
            return true;
        }
        if (error instanceof R2dbcException e) {
            return (e.getSqlState() != null && RETRY_STATES.contains(e.getSqlState()))
                    || RETRY_H2_CODES.contains(e.getErrorCode());
        }
        return false;
    }

    /**
     * The blocking scheduler to use for a dialect, or null when the driver does not block. For H2
     * a fixed set of threads whose tasks are never interrupted: Reactor's own schedulers interrupt
     * the thread of a task cancelled from elsewhere (a client hanging up), and an interrupt during
     * H2's file I/O closes the database file's channel for good (ClosedByInterruptException: every
     * later statement fails). Dispose of it when done: that stops its threads.
     */
    static Scheduler blockingSchedulerFor(Dialect dialect, int poolSize) {
        if (dialect != Dialect.H2) {
            return null;
        }
        // A transaction runs start to end on one thread; with at most poolSize connections at
        // once, poolSize threads (plus slack for acquisition callbacks) are never all waiting.
        int threads = poolSize * 2 + 2;
        AtomicInteger n = new AtomicInteger();
        // Event loops hand work over here, and must never park doing so: a LinkedBlockingQueue's
        // offer takes the lock its consumers hold while they poll. LinkedTransferQueue offers
        // without a lock, and all threads start at once and stay, so no hand-over takes the
        // executor's own lock to add a thread either.
        ThreadPoolExecutor executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS,
                new LinkedTransferQueue<>(), r -> {
                    Thread t = new Thread(r, "openregistry-h2-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        executor.prestartAllCoreThreads();
        // a plain Executor: given an ExecutorService, fromExecutor would delegate to
        // fromExecutorService, whose tasks interrupt when cancelled. Trampolining: a worker's
        // tasks run one after another, in order, as on Reactor's own workers (subscribeOn and
        // publishOn rely on that; an H2 connection must never be used by two threads at once).
        Executor plain = executor::execute;
        return new H2Scheduler(Schedulers.fromExecutor(plain, true), executor);
    }

    /** A scheduler of {@link #blockingSchedulerFor} that also stops its threads when disposed. */
    private record H2Scheduler(Scheduler delegate, ExecutorService threads) implements Scheduler {
        @Override
        public Disposable schedule(Runnable task) {
            return delegate.schedule(task);
        }

        @Override
        public Worker createWorker() {
            return delegate.createWorker();
        }

        @Override
        public void dispose() {
            delegate.dispose();
            threads.shutdown();
        }

        @Override
        public boolean isDisposed() {
            return delegate.isDisposed();
        }
    }
}

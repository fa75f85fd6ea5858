package io.openregistry;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.openregistry.config.Config;
import io.openregistry.metadata.r2dbc.R2dbcMetadata;
import io.openregistry.storage.BackendRouter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * What a maintenance command ({@code storage …}, {@code gc}) opens against the configured storage
 * and database, and closes when it ends, whatever happened: the stores of every configured backend,
 * the database, an I/O scheduler and a timer.
 */
final class CommandResources implements AutoCloseable {
    /** Thrown by {@link #open} when another process holds the H2 file; the message says what to do. */
    static final class DatabaseInUseException extends RuntimeException {
        DatabaseInUseException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    final Scheduler io;
    final Scheduler timer;
    final SimpleMeterRegistry meters;
    final BackendRouter stores;
    final R2dbcMetadata metadata;
    private final List<AutoCloseable> closeables;

    private CommandResources(Scheduler io, Scheduler timer, SimpleMeterRegistry meters, List<AutoCloseable> closeables,
                             BackendRouter stores, R2dbcMetadata metadata) {
        this.io = io;
        this.meters = meters;
        this.timer = timer;
        this.closeables = closeables;
        this.stores = stores;
        this.metadata = metadata;
    }

    /**
     * Opens the stores, then the database; what was opened is closed again when a later step fails.
     *
     * @param command names the command's threads
     * @param retryHint how to get the work done while a registry holds the H2 file (for the message)
     */
    static CommandResources open(Config config, String command, String retryHint) {
        Scheduler io = Schedulers.newBoundedElastic(8, 10_000, command + "-command");
        Scheduler timer = Schedulers.newSingle(command + "-command-timer", true);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        List<AutoCloseable> closeables = new ArrayList<>();
        try {
            BackendRouter stores = StorageWiring.open(config.storage(), io, meters, closeables);
            R2dbcMetadata metadata;
            try {
                metadata = R2dbcMetadata.open(config.database());
            } catch (RuntimeException e) {
                if (h2Locked(config, e)) {
                    throw new DatabaseInUseException("the H2 database " + config.database().url() + " is in use by"
                            + " another process (an H2 file is open in one process at a time): stop the registry, then"
                            + " run " + command + " again, or " + retryHint, e);
                }
                throw e;
            }
            return new CommandResources(io, timer, meters, closeables, stores, metadata);
        } catch (RuntimeException e) {
            closeAll(closeables);
            io.dispose();
            timer.dispose();
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            metadata.close();
        } finally {
            closeAll(closeables);
            io.dispose();
            timer.dispose();
        }
    }

    private static void closeAll(List<AutoCloseable> closeables) {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception ignored) {
                // the command is over
            }
        }
    }

    /** Whether opening failed because another process holds the H2 file (H2's error 90020). */
    private static boolean h2Locked(Config config, Throwable e) {
        if (!config.database().url().toLowerCase(Locale.ROOT).contains(":h2:")) {
            return false;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (m.contains("90020") || m.contains("already in use") || m.contains("locked by another")) {
                return true;
            }
        }
        return false;
    }
}

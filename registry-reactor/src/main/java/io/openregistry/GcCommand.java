package io.openregistry;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.openregistry.config.Config;
import io.openregistry.config.ConfigException;
import io.openregistry.maintenance.GarbageCollector;
import io.openregistry.metadata.r2dbc.R2dbcMetadata;
import io.openregistry.storage.BackendRouter;
import io.openregistry.storage.BackendUnavailableException;
import io.openregistry.upload.BlobCollector;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * {@code openregistry gc [--dry-run]}: one garbage collection (README, "Garbage collection")
 * against the configured database and storage, which a registry may be serving meanwhile (with
 * PostgreSQL; an H2 file is held by the running registry, so with H2 stop it first). Prints what
 * each step freed, or with {@code --dry-run} would free. Exit status 0 done, 2 usage, configuration
 * or failure (nothing is half done: every deletion is its own unit, and the next run goes on).
 */
final class GcCommand {
    static final String USAGE = "usage: openregistry gc [--dry-run] [--config FILE]";

    private GcCommand() {
    }

    static int run(String[] args, Config config, PrintStream out, PrintStream err) {
        boolean dryRun = false;
        for (String arg : args) {
            if (arg.equals("--dry-run")) {
                dryRun = true;
            } else {
                err.println("openregistry: unexpected argument '" + arg + "' for gc\n" + USAGE);
                return 2;
            }
        }
        Scheduler io = Schedulers.newBoundedElastic(8, 10_000, "gc-command");
        Scheduler timer = Schedulers.newSingle("gc-command-timer", true);
        List<AutoCloseable> closeables = new ArrayList<>();
        R2dbcMetadata metadata = null;
        try {
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            BackendRouter stores = StorageWiring.open(config.storage(), io, meters, closeables);
            try {
                metadata = R2dbcMetadata.open(config.database());
            } catch (RuntimeException e) {
                if (h2Locked(config, e)) {
                    err.println("openregistry: the H2 database " + config.database().url() + " is in use by another"
                            + " process (an H2 file is open in one process at a time): stop the registry, then run"
                            + " gc again, or trigger it on the running registry with POST /gc on its admin listener");
                    return 2;
                }
                throw e;
            }
            GarbageCollector gc = new GarbageCollector(metadata.manifests(), metadata.blobs(),
                    new BlobCollector(metadata.blobs(), stores, timer, meters), config.gc(), meters);
            out.println("gc: " + (dryRun ? "dry run, nothing is deleted; " : "") + "untagged manifests "
                    + (config.gc().untaggedAfter().isZero() ? "kept (gc.untaggedAfterSeconds=0)"
                    : "older than " + config.gc().untaggedAfter().toSeconds() + " s") + ", grace "
                    + config.gc().grace().toSeconds() + " s");
            GarbageCollector.Report report = gc.runIfIdle(dryRun).block();
            out.println("gc: manifests " + report.manifests() + " (" + report.manifestBytes() + " bytes)");
            out.println("gc: links " + report.links() + " (" + report.linkBytes() + " bytes)");
            out.println("gc: blobs " + report.blobs() + " (" + report.blobBytes() + " bytes)");
            out.println("gc: " + report);
            return 0;
        } catch (BackendUnavailableException e) {
            err.println("openregistry: " + e.getMessage());
            return 2;
        } catch (ConfigException e) {
            err.println("openregistry: configuration error: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            err.println("openregistry: gc failed: " + e);
            return 2;
        } finally {
            if (metadata != null) {
                metadata.close();
            }
            for (AutoCloseable c : closeables) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // the command is over
                }
            }
            io.dispose();
            timer.dispose();
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

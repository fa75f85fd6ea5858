package io.openregistry;

import io.openregistry.config.Config;
import io.openregistry.config.ConfigException;
import io.openregistry.maintenance.GarbageCollector;
import io.openregistry.storage.BackendUnavailableException;
import io.openregistry.upload.BlobCollector;
import java.io.PrintStream;

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
        try (CommandResources r = CommandResources.open(config, "gc",
                "trigger it on the running registry with POST /gc on its admin listener")) {
            GarbageCollector gc = new GarbageCollector(r.metadata.manifests(), r.metadata.blobs(),
                    new BlobCollector(r.metadata.blobs(), r.stores, r.timer, r.meters), config.gc(), r.meters);
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
        } catch (CommandResources.DatabaseInUseException | BackendUnavailableException e) {
            err.println("openregistry: " + e.getMessage());
            return 2;
        } catch (ConfigException e) {
            err.println("openregistry: configuration error: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            err.println("openregistry: gc failed: " + e);
            return 2;
        }
    }

}

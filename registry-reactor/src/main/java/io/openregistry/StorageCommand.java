package io.openregistry;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.openregistry.config.Config;
import io.openregistry.config.ConfigException;
import io.openregistry.maintenance.Migrator;
import io.openregistry.maintenance.Reconciler;
import io.openregistry.maintenance.Scrubber;
import io.openregistry.metadata.r2dbc.R2dbcMetadata;
import io.openregistry.storage.BackendRouter;
import io.openregistry.storage.BackendUnavailableException;
import java.io.PrintStream;
import java.util.Set;
import reactor.core.scheduler.Scheduler;

/**
 * {@code openregistry storage scrub|migrate}: the operator's tools for blob bytes, run against the
 * configuration (database and backends) of the registry, which may be serving meanwhile (with
 * PostgreSQL; an H2 file is held by the running registry, so with H2 stop it first).
 * <ul>
 *   <li>{@code scrub [--sample N | --all]}: re-hash stored blobs from their recorded backend; every
 *       missing or corrupt one is printed; exit status 1 when any is bad.</li>
 *   <li>{@code migrate --to filesystem|s3|ipfs}: copy every blob recorded elsewhere to that
 *       backend, verified, and point its row at the copy; the old copies are deleted by the
 *       registry's sweeper after {@code storage.deleteAfterSeconds}. Exit status 1 when blobs
 *       were left (being pushed at that moment, or failed): run it again.</li>
 *   <li>{@code reconcile [--dry-run]}: remove storage objects no database row names (older than
 *       {@code storage.deleteAfterSeconds}) and staged uploads without a session (older than the
 *       upload time to live); each is printed. Exit status 1 when some could not be checked or
 *       removed.</li>
 * </ul>
 * Exit status 2: usage or configuration errors.
 */
final class StorageCommand {
    static final String USAGE = "usage: openregistry storage scrub [--sample N | --all] [--config FILE]\n"
            + "       openregistry storage migrate --to filesystem|s3|ipfs [--config FILE]\n"
            + "       openregistry storage reconcile [--dry-run] [--config FILE]";
    private static final Set<String> BACKENDS = Set.of("filesystem", "s3", "ipfs");

    private StorageCommand() {
    }

    /** Runs the command; returns the process exit status (0 all good, 1 problems found or left, 2 usage or failure). */
    static int run(String[] args, Config config, PrintStream out, PrintStream err) {
        if (args.length == 0 || !(args[0].equals("scrub") || args[0].equals("migrate") || args[0].equals("reconcile"))) {
            err.println(args.length == 0 ? USAGE : "openregistry: unknown storage command '" + args[0] + "'\n" + USAGE);
            return 2;
        }
        int sample = 0;
        String target = null;
        boolean dryRun = false;
        for (int i = 1; i < args.length; i++) {
            String arg = args[i];
            boolean scrub = args[0].equals("scrub");
            if (args[0].equals("reconcile")) {
                if (!arg.equals("--dry-run")) {
                    err.println("openregistry: unexpected argument '" + arg + "' for storage reconcile\n" + USAGE);
                    return 2;
                }
                dryRun = true;
            } else if (scrub && arg.equals("--all")) {
                sample = 0;
            } else if (scrub && arg.equals("--sample") && i + 1 < args.length) {
                try {
                    sample = Integer.parseInt(args[++i]);
                } catch (NumberFormatException e) {
                    sample = -1;
                }
                if (sample <= 0) {
                    err.println("openregistry: --sample needs a positive whole number, not '" + args[i] + "'");
                    return 2;
                }
            } else if (!scrub && arg.equals("--to") && i + 1 < args.length) {
                target = args[++i];
                if (!BACKENDS.contains(target)) {
                    err.println("openregistry: --to must be one of filesystem, s3, ipfs, not '" + target + "'");
                    return 2;
                }
            } else {
                err.println("openregistry: unexpected argument '" + arg + "' for storage " + args[0] + "\n" + USAGE);
                return 2;
            }
        }
        if (args[0].equals("migrate") && target == null) {
            err.println("openregistry: storage migrate needs --to filesystem|s3|ipfs\n" + USAGE);
            return 2;
        }
        try (CommandResources r = CommandResources.open(config, "storage",
                "use PostgreSQL, with which these commands run beside a serving registry")) {
            R2dbcMetadata metadata = r.metadata;
            BackendRouter stores = r.stores;
            SimpleMeterRegistry meters = r.meters;
            Scheduler io = r.io;
            if (args[0].equals("reconcile")) {
                java.time.Instant now = java.time.Instant.now();
                Reconciler.Report report = new Reconciler(metadata.placements(), stores, meters)
                        .reconcile(now.minus(config.storage().deleteAfter()), now.minus(config.upload().ttl()), dryRun,
                                out::println)
                        .block();
                out.println("reconcile" + (dryRun ? " (dry run, nothing removed)" : "") + ": " + report);
                return report.failed() == 0 ? 0 : 1;
            }
            if (target == null) {
                Scrubber.Report report = new Scrubber(metadata.placements(), stores, meters)
                        .scrub(sample, out::println).block();
                out.println("scrub: " + report);
                return report.clean() ? 0 : 1;
            }
            if (!stores.backends().contains(target)) {
                err.println("openregistry: storage migrate --to " + target + ": that backend is not configured ("
                        + new BackendUnavailableException(target).hint() + ")");
                return 2;
            }
            StorageWiring.check(stores.storeFor(target));
            out.println("migrate: copying every blob not on " + target + " there (old copies are deleted by the"
                    + " registry's sweeper " + StorageWiring.retireDelay(config).toSeconds() + " s after their move)");
            Migrator.Report report = new Migrator(metadata.placements(), stores, io, StorageWiring.retireDelay(config),
                    meters).migrate(target, out::println).block();
            out.println("migrate: " + report);
            return report.complete() ? 0 : 1;
        } catch (CommandResources.DatabaseInUseException | BackendUnavailableException e) {
            err.println("openregistry: " + e.getMessage());
            return 2;
        } catch (ConfigException e) {
            err.println("openregistry: configuration error: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            err.println("openregistry: storage " + args[0] + " failed: " + e);
            return 2;
        }
    }
}

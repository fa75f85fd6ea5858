package io.openregistry;

import ch.qos.logback.classic.Level;
import io.openregistry.auth.KeysCommand;
import io.openregistry.config.Config;
import io.openregistry.config.ConfigException;
import io.openregistry.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Hooks;

/** Parses arguments, loads the configuration and starts the registry. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        boolean keys = args.length > 0 && args[0].equals("keys");
        boolean storage = args.length > 0 && args[0].equals("storage");
        boolean gc = args.length > 0 && args[0].equals("gc");
        java.util.List<String> commandArgs = new java.util.ArrayList<>();
        Path configFile = null;
        for (int i = keys || storage || gc ? 1 : 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config" -> {
                    if (i + 1 >= args.length) {
                        fail("--config needs a file path");
                    }
                    configFile = Path.of(args[++i]);
                    if (!Files.isRegularFile(configFile)) {
                        fail("config file not found: " + configFile);
                    }
                }
                case "-h", "--help" -> {
                    System.out.println("usage: openregistry [--config FILE]\n"
                            + "       openregistry keys list|rotate|remove <kid> [--config FILE]   (token signing keys)\n"
                            + "       openregistry storage scrub [--sample N | --all] [--config FILE]   (re-hash stored blobs)\n"
                            + "       openregistry storage migrate --to filesystem|s3|ipfs [--config FILE]   (move blobs)\n"
                            + "       openregistry gc [--dry-run] [--config FILE]   (one garbage collection)\n"
                            + "       openregistry storage reconcile [--dry-run] [--config FILE]   (remove unnamed objects)\n"
                            + "Every config key can be overridden by an environment variable, e.g. "
                            + "http.addr -> OPENREGISTRY_HTTP_ADDR. Keys: " + String.join(", ", ConfigLoader.keys()));
                    return;
                }
                default -> {
                    if (!keys && !storage && !gc) {
                        fail("unknown argument: " + args[i]
                                + " (usage: openregistry [--config FILE] | keys ... | storage ... | gc ...; see --help)");
                    }
                    commandArgs.add(args[i]);
                }
            }
        }
        Config config;
        try {
            config = ConfigLoader.load(configFile, System.getenv());
        } catch (ConfigException e) {
            fail("configuration error: " + e.getMessage());
            return;
        }
        if (keys) {
            System.exit(KeysCommand.run(commandArgs.toArray(String[]::new), config.auth().keysDir(), System.out,
                    System.err));
        }
        ch.qos.logback.classic.Logger root =
                (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(config.log().level()));
        if (storage) {
            // the command prints each blob's line and the summary itself; the same lines logged
            // would only repeat them on the same console
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.openregistry.maintenance")).setLevel(Level.ERROR);
            System.exit(StorageCommand.run(commandArgs.toArray(String[]::new), config, System.out, System.err));
        }
        if (gc) {
            // the command prints the report itself
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.openregistry.maintenance")).setLevel(Level.WARN);
            System.exit(GcCommand.run(commandArgs.toArray(String[]::new), config, System.out, System.err));
        }
        // An error that arrives after its subscriber cancelled (typically: the client went away
        // while a file operation was still running) has nobody left to report to. Reactor logs it at
        // ERROR by default; it is logged in full, at WARN, so a real problem stays visible.
        Hooks.onErrorDropped(e -> LoggerFactory.getLogger("openregistry.dropped")
                .warn("an error arrived after its request had ended: {}", e.toString(), e));
        Registry registry;
        try {
            registry = Registry.start(config);
        } catch (ConfigException e) {
            fail("configuration error: " + e.getMessage());
            return;
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(Main.class).error("startup failed", e);
            fail("startup failed: " + e.getMessage());
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> shutDown(registry), "shutdown"));
        registry.awaitShutdown();
    }

    /**
     * SIGTERM (or SIGINT) runs this as a shutdown hook: the graceful close, then an explicit exit
     * status, because after a signal the JVM would exit with 128 + the signal number (143) even
     * though the shutdown completed cleanly. halt() cuts short no work of ours: ours is the only
     * hook we register, and H2's runs only a checkpoint (DB_CLOSE_ON_EXIT=FALSE, see R2dbcMetadata)
     * of a database that close() has closed by then.
     */
    private static void shutDown(Registry registry) {
        int status = 0;
        try {
            registry.close();
        } catch (RuntimeException | Error e) {
            LoggerFactory.getLogger(Main.class).error("shutdown failed", e);
            status = 1;
        } finally {
            // flush the queued access-log lines (halt skips logback's own shutdown)
            if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
                context.stop();
            }
            Runtime.getRuntime().halt(status);
        }
    }

    private static void fail(String message) {
        System.err.println("openregistry: " + message);
        System.exit(2);
    }
}

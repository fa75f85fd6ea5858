package io.openregistry.api;

import io.openregistry.Registry;
import io.openregistry.RegistryServer;
import io.openregistry.config.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Function;

/**
 * A registry of a test's own (H2, filesystem store, loopback, port 0) with the HTTP timeouts and
 * access control the test chooses, for tests that need settings the shared registries do not have.
 */
final class TunedRegistry implements AutoCloseable {
    private final Path dir;
    private final Registry registry;

    private TunedRegistry(Path dir, Registry registry) {
        this.dir = dir;
        this.registry = registry;
    }

    /** Timeouts in seconds: header, body, idle. */
    static TunedRegistry start(int headerSeconds, int bodySeconds, int idleSeconds, Function<Path, Config.Auth> auth) {
        RegistryServer.installBlockHound();
        Path dir;
        try {
            dir = Files.createTempDirectory("openregistry-test");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Config config = new Config(
                new Config.Http(InetSocketAddress.createUnresolved("127.0.0.1", 0), Duration.ofSeconds(5),
                        Duration.ofSeconds(headerSeconds), Duration.ofSeconds(bodySeconds), Duration.ofSeconds(idleSeconds)),
                new Config.Storage("filesystem", dir),
                new Config.Database("r2dbc:h2:file:///" + dir.resolve("db/registry"), null, null, 10),
                new Config.Manifests(RegistryServer.MANIFEST_MAX_BYTES),
                new Config.Uploads(1024 * 1024, Duration.ofDays(1)),
                new Config.Log("INFO"),
                new Config.Admin(InetSocketAddress.createUnresolved("127.0.0.1", 0)),
                auth.apply(dir));
        try {
            return new TunedRegistry(dir, Registry.start(config));
        } catch (RuntimeException e) {
            RegistryServer.deleteTree(dir);
            throw e;
        }
    }

    int port() {
        return registry.port();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + registry.port();
    }

    @Override
    public void close() {
        registry.close();
        RegistryServer.deleteTree(dir);
    }
}

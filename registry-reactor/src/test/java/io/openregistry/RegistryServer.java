package io.openregistry;

import io.openregistry.config.Config;
import io.openregistry.storage.s3.S3ProxyServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import reactor.blockhound.BlockHound;

/**
 * A whole registry on a free loopback port with a temporary data directory, on H2 or on a real
 * PostgreSQL (embedded binaries), with BlockHound installed so that any blocking call on an
 * event loop fails the request that made it.
 */
public final class RegistryServer implements AutoCloseable {
    /** The manifest size limit of test registries: small, so the limit test stays cheap. */
    public static final int MANIFEST_MAX_BYTES = 256 * 1024;

    /**
     * Database and storage: H2 or PostgreSQL with the filesystem store, or H2 with a remote store;
     * {@code POSTGRES_NO_CACHE} is {@code POSTGRES} with {@code cache.enabled=false}.
     */
    public enum Backend { H2, POSTGRES, H2_IPFS, H2_S3, POSTGRES_NO_CACHE }

    private static boolean blockHoundInstalled;
    private final Path dataDir;
    private final EmbeddedPostgres postgres;
    private final Registry registry;

    private RegistryServer(Path dataDir, EmbeddedPostgres postgres, Registry registry) {
        this.dataDir = dataDir;
        this.postgres = postgres;
        this.registry = registry;
    }

    public static synchronized void installBlockHound() {
        if (!blockHoundInstalled) {
            // each detection is also printed with its thread and stack: thrown inside a library's
            // event loop (the S3 SDK's, say), the error may be swallowed and show only as a hang
            BlockHound.builder().loadIntegrations().blockingMethodCallback(method -> {
                reactor.blockhound.BlockingOperationError error = new reactor.blockhound.BlockingOperationError(method);
                System.err.println("BlockHound: blocking call " + method + " on " + Thread.currentThread().getName());
                error.printStackTrace();
                throw error;
            }).install();
            blockHoundInstalled = true;
        }
    }

    /**
     * @param ipfsApi the IPFS node's API for {@link Backend#H2_IPFS}, else null
     * @param s3      the S3 endpoint for {@link Backend#H2_S3}, else null
     */
    public static RegistryServer start(Backend backend, URI ipfsApi, S3ProxyServer s3) {
        return start(backend, ipfsApi, s3, dir -> Config.Auth.disabled());
    }

    /** A registry with access control configured by {@code auth}, given the data directory. */
    public static RegistryServer start(Backend backend, URI ipfsApi, S3ProxyServer s3,
                                       java.util.function.Function<Path, Config.Auth> auth) {
        // Session limits high enough that the sessions the shared suites leave open never reach them
        // (they are all one anonymous caller), yet counted on every start; UploadLimitsTest tests them.
        return start(backend, ipfsApi, s3, auth, new Config.Uploads(1024 * 1024, java.time.Duration.ofDays(1),
                Config.Uploads.DEFAULT_MAX_BLOB_BYTES, 100_000, 100_000));
    }

    /** A registry with the given upload settings (limits) and access control. */
    public static RegistryServer start(Backend backend, URI ipfsApi, S3ProxyServer s3,
                                       java.util.function.Function<Path, Config.Auth> auth, Config.Uploads uploads) {
        return start(backend, ipfsApi, s3, auth, uploads, java.util.function.UnaryOperator.identity());
    }

    /** A registry whose configuration {@code adjust} changes last (say, other namespace rules). */
    public static RegistryServer start(Backend backend, URI ipfsApi, S3ProxyServer s3,
                                       java.util.function.Function<Path, Config.Auth> auth, Config.Uploads uploads,
                                       java.util.function.UnaryOperator<Config> adjust) {
        installBlockHound();
        EmbeddedPostgres pg = null;
        try {
            Path dir = Files.createTempDirectory("openregistry-test");
            Config.Database db;
            if (backend == Backend.POSTGRES || backend == Backend.POSTGRES_NO_CACHE) {
                pg = EmbeddedPostgres.builder().start();
                db = new Config.Database("r2dbc:postgresql://localhost:" + pg.getPort() + "/postgres",
                        "postgres", "postgres", 10);
            } else {
                db = new Config.Database("r2dbc:h2:file:///" + dir.resolve("db/registry"), null, null, 10);
            }
            Config.Storage storage = switch (backend) {
                case H2_IPFS -> new Config.Storage("ipfs", dir, false, null, new Config.Ipfs(ipfsApi, null, true));
                case H2_S3 -> new Config.Storage("s3", dir, false, new Config.S3(s3.endpoint(), "us-east-1",
                        s3.bucket("registry"), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY, true, 5L << 20), null);
                default -> new Config.Storage("filesystem", dir);
            };
            Config config = new Config(
                    new Config.Http(InetSocketAddress.createUnresolved("127.0.0.1", 0)),
                    storage,
                    db,
                    new Config.Manifests(MANIFEST_MAX_BYTES),
                    uploads,
                    new Config.Log("INFO"),
                    new Config.Admin(InetSocketAddress.createUnresolved("127.0.0.1", 0)),
                    auth.apply(dir),
                    backend == Backend.POSTGRES_NO_CACHE ? Config.Cache.disabled() : Config.Cache.defaults());
            return new RegistryServer(dir, pg, Registry.start(adjust.apply(config)));
        } catch (IOException e) {
            closeQuietly(pg);
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            closeQuietly(pg);
            throw e;
        }
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + registry.port();
    }

    public int port() {
        return registry.port();
    }

    /** The admin listener ({@code /metrics}, {@code /healthz}, {@code /readyz}), on its own free port. */
    public int adminPort() {
        return registry.adminPort();
    }

    public String adminUrl() {
        return "http://127.0.0.1:" + registry.adminPort();
    }

    /** The embedded PostgreSQL of a {@link Backend#POSTGRES} server (to stop it under the registry), else null. */
    public EmbeddedPostgres postgres() {
        return postgres;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Writes the pull counts counted so far to the database now (the registry does it every few seconds). */
    public void flushPullCounts() {
        registry.flushPullCounts().block(java.time.Duration.ofSeconds(30));
    }

    @Override
    public void close() {
        registry.close();
        closeQuietly(postgres);
        deleteTree(dataDir);
    }

    private static void closeQuietly(EmbeddedPostgres pg) {
        if (pg != null) {
            try {
                pg.close();
            } catch (IOException ignored) {
                // best effort at shutdown
            }
        }
    }

    public static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

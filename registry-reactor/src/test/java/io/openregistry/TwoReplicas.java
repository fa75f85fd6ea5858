package io.openregistry;

import io.openregistry.config.Config;
import io.openregistry.metadata.PostgresSupport;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Two in-process registries on one embedded PostgreSQL database and one shared storage root, as
 * two replicas behind a load balancer would run; everything on loopback, free ports. Closing it
 * stops both, the database and removes the root.
 */
public final class TwoReplicas implements AutoCloseable {
    public final PostgresSupport postgres;
    /** The database both replicas use (for direct SQL in tests). */
    public final String database;
    public final Path root;
    public final Registry a;
    public final Registry b;

    private TwoReplicas(PostgresSupport postgres, String database, Path root, Registry a, Registry b) {
        this.postgres = postgres;
        this.database = database;
        this.root = root;
        this.a = a;
        this.b = b;
    }

    /** Starts both replicas with the given upload settings and the default cache. */
    public static TwoReplicas start(String name, Config.Uploads uploads) throws Exception {
        return start(name, uploads, Config.Cache.defaults(), Config.Gc.defaults());
    }

    /** Starts both replicas with the given upload, cache and garbage-collection settings. */
    public static TwoReplicas start(String name, Config.Uploads uploads, Config.Cache cache, Config.Gc gc)
            throws Exception {
        return start(name, uploads, cache, gc, root -> Config.Auth.disabled());
    }

    /** Starts both replicas with access control as {@code auth} makes it from the shared root (one keys directory). */
    public static TwoReplicas start(String name, Config.Uploads uploads, Config.Cache cache, Config.Gc gc,
                                    java.util.function.Function<Path, Config.Auth> auth) throws Exception {
        RegistryServer.installBlockHound();
        PostgresSupport postgres = PostgresSupport.start();
        Path root = null;
        Registry a = null;
        try {
            String database = postgres.createDatabase();
            root = Files.createTempDirectory("openregistry-" + name);
            Config.Database db = new Config.Database(postgres.r2dbcUrl(database), PostgresSupport.USER,
                    PostgresSupport.PASSWORD, 4);
            Config config = new Config(
                    new Config.Http(InetSocketAddress.createUnresolved("127.0.0.1", 0)),
                    new Config.Storage("filesystem", root),
                    db,
                    new Config.Manifests(RegistryServer.MANIFEST_MAX_BYTES),
                    uploads,
                    new Config.Log("INFO"),
                    new Config.Admin(InetSocketAddress.createUnresolved("127.0.0.1", 0)),
                    auth.apply(root),
                    cache).withGc(gc);
            a = Registry.start(config);
            return new TwoReplicas(postgres, database, root, a, Registry.start(config));
        } catch (Exception | Error e) {
            if (a != null) {
                a.close();
            }
            postgres.close();
            if (root != null) {
                RegistryServer.deleteTree(root);
            }
            throw e;
        }
    }

    /** One sweeper tick on whichever replica holds its lease; false when neither ran it. */
    public boolean sweepOnce() {
        return Boolean.TRUE.equals(a.sweepOnce().block(java.time.Duration.ofSeconds(60)))
                || Boolean.TRUE.equals(b.sweepOnce().block(java.time.Duration.ofSeconds(60)));
    }

    @Override
    public void close() {
        try {
            a.close();
        } finally {
            try {
                b.close();
            } finally {
                postgres.close();
                RegistryServer.deleteTree(root);
            }
        }
    }
}

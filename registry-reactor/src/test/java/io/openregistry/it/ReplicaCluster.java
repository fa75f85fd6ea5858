package io.openregistry.it;

import io.openregistry.RegistryServer;
import io.openregistry.metadata.PostgresSupport;
import io.openregistry.storage.s3.S3ProxyServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Replicas of the packaged jar as production runs them: one PostgreSQL database and one storage,
 * and nothing else shared. Each cluster has its own database, bucket and directories, so that
 * clusters on one PostgreSQL server (and one S3 endpoint or IPFS node) never see each other's
 * uploads, and one cluster's upload sweeper cannot touch another's sessions.
 */
final class ReplicaCluster implements AutoCloseable {
    /** The shared storage of the replicas, as the k8s overlays deploy it. */
    enum Storage {
        /** filesystem store, every replica on one {@code storage.root} (a ReadWriteMany volume) */
        SHARED_DIRECTORY,
        /** one bucket; each replica has its own {@code storage.root}, as the production-s3 overlay runs it */
        S3,
        /** one IPFS node; staging in one {@code storage.root} every replica shares */
        IPFS
    }

    private final Storage storage;
    private final PostgresSupport postgres;
    private final String database;
    private final S3ProxyServer s3;
    private final String bucket;
    private final URI ipfsApi;
    private final Path sharedRoot;
    private final List<Path> roots = new ArrayList<>();
    private final List<RegistryProcess> replicas = new ArrayList<>();

    private ReplicaCluster(Storage storage, PostgresSupport postgres, S3ProxyServer s3, URI ipfsApi) throws IOException {
        this.storage = storage;
        this.postgres = postgres;
        this.database = postgres.createDatabase();
        this.s3 = s3;
        this.bucket = s3 == null ? null : s3.bucket("replicas-" + database.replace('_', '-'));
        this.ipfsApi = ipfsApi;
        this.sharedRoot = storage == Storage.S3 ? null : newRoot();
    }

    /**
     * @param s3      the S3 endpoint (for {@link Storage#S3}), else null
     * @param ipfsApi the IPFS node's API (for {@link Storage#IPFS}), else null
     */
    static ReplicaCluster create(Storage storage, PostgresSupport postgres, S3ProxyServer s3, URI ipfsApi)
            throws IOException {
        return new ReplicaCluster(storage, postgres, s3, ipfsApi);
    }

    private Path newRoot() throws IOException {
        Path root = Files.createTempDirectory("openregistry-replica-");
        roots.add(root);
        return root;
    }

    /** Starts one more replica; {@code extra} are more {@code OPENREGISTRY_*} variables. */
    RegistryProcess start(Map<String, String> extra) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("OPENREGISTRY_DATABASE_URL", postgres.r2dbcUrl(database));
        env.put("OPENREGISTRY_DATABASE_USERNAME", PostgresSupport.USER);
        env.put("OPENREGISTRY_DATABASE_PASSWORD", PostgresSupport.PASSWORD);
        switch (storage) {
            case SHARED_DIRECTORY -> env.put("OPENREGISTRY_STORAGE_DRIVER", "filesystem");
            case S3 -> {
                env.put("OPENREGISTRY_STORAGE_DRIVER", "s3");
                env.put("OPENREGISTRY_STORAGE_S3_ENDPOINT", s3.endpoint().toString());
                env.put("OPENREGISTRY_STORAGE_S3_BUCKET", bucket);
                env.put("OPENREGISTRY_STORAGE_S3_ACCESS_KEY", S3ProxyServer.ACCESS_KEY);
                env.put("OPENREGISTRY_STORAGE_S3_SECRET_KEY", S3ProxyServer.SECRET_KEY);
                // the smallest part S3 allows, so that a few MiB of test blob span parts and the
                // replica hops fall in the middle of one
                env.put("OPENREGISTRY_STORAGE_S3_PART_SIZE", String.valueOf(5 << 20));
            }
            case IPFS -> {
                env.put("OPENREGISTRY_STORAGE_DRIVER", "ipfs");
                env.put("OPENREGISTRY_STORAGE_IPFS_API", ipfsApi.toString());
            }
        }
        env.putAll(extra);
        Path root = sharedRoot != null ? sharedRoot : newRoot();
        RegistryProcess replica = RegistryProcess.start(root, env, "-Xmx256m");
        replicas.add(replica);
        return replica;
    }

    Storage storage() {
        return storage;
    }

    /** The value of the first column of the first row of a query on the cluster's database. */
    long count(String sql, String... parameters) {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(database), PostgresSupport.USER,
                PostgresSupport.PASSWORD); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                s.setString(i + 1, parameters[i]);
            }
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("query failed: " + sql, e);
        }
    }

    /**
     * Files anywhere in the cluster's storage (every replica's root, and the bucket's directory in
     * S3Proxy) whose path contains {@code text}, such as an upload id: staged bytes left behind.
     * An IPFS node's own store is not looked into.
     */
    List<Path> filesContaining(String text) {
        List<Path> places = new ArrayList<>(roots);
        if (s3 != null) {
            places.add(s3.objectFile(bucket, ""));
        }
        List<Path> found = new ArrayList<>();
        for (Path place : places) {
            if (!Files.isDirectory(place)) {
                continue;
            }
            try (Stream<Path> paths = Files.walk(place)) {
                paths.filter(p -> place.relativize(p).toString().contains(text)).forEach(found::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return found;
    }

    /** Stops every replica still running (failing on a buffer leak any of them reported). */
    @Override
    public void close() throws Exception {
        AssertionError leaks = null;
        for (RegistryProcess replica : replicas) {
            try {
                replica.close();
            } catch (AssertionError e) {
                leaks = e;
            }
        }
        for (Path root : roots) {
            RegistryServer.deleteTree(root);
        }
        if (leaks != null) {
            throw leaks;
        }
    }
}

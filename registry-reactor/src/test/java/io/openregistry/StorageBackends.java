package io.openregistry;

import io.openregistry.config.Config;
import io.openregistry.oci.Digest;
import io.openregistry.storage.s3.S3ProxyServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One data directory, one database and real backends (S3Proxy, optionally an IPFS node and an
 * embedded PostgreSQL) that registries with different {@code storage.driver}s start on in turn,
 * as an operator changing the driver would; with a small HTTP client for pushes and pulls.
 */
final class StorageBackends implements AutoCloseable {
    final Path dir;
    final S3ProxyServer s3;
    final URI ipfsApi;
    private final EmbeddedPostgres postgres;
    private final Config.Database database;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    StorageBackends(URI ipfsApi, boolean postgres) {
        RegistryServer.installBlockHound();
        try {
            this.dir = Files.createTempDirectory("openregistry-backends");
            this.s3 = S3ProxyServer.start();
            s3.bucket("registry");
            this.ipfsApi = ipfsApi;
            this.postgres = postgres ? EmbeddedPostgres.builder().start() : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.database = postgres
                ? new Config.Database("r2dbc:postgresql://localhost:" + this.postgres.getPort() + "/postgres",
                        "postgres", "postgres", 10)
                : new Config.Database("r2dbc:h2:file:///" + dir.resolve("db/registry"), null, null, 10);
    }

    /**
     * The configuration of a registry writing to {@code driver}, with S3 and IPFS settings given
     * when asked for; the grace period of deleted and retired bytes is zero and the cache is off,
     * so that a sweep right after a migration deletes the old copies.
     */
    Config config(String driver, boolean withS3, boolean withIpfs) {
        Config.S3 s3Settings = withS3 ? new Config.S3(s3.endpoint(), "us-east-1", "registry", S3ProxyServer.ACCESS_KEY,
                S3ProxyServer.SECRET_KEY, true, 5L << 20) : null;
        Config.Ipfs ipfs = withIpfs ? new Config.Ipfs(ipfsApi, null, true) : null;
        return new Config(new Config.Http(InetSocketAddress.createUnresolved("127.0.0.1", 0)),
                new Config.Storage(driver, dir, false, s3Settings, ipfs, Duration.ZERO),
                database,
                new Config.Manifests(RegistryServer.MANIFEST_MAX_BYTES),
                new Config.Uploads(1024 * 1024, Duration.ofDays(1)),
                new Config.Log("INFO"),
                new Config.Admin(InetSocketAddress.createUnresolved("127.0.0.1", 0)),
                Config.Auth.disabled(),
                Config.Cache.disabled());
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    static String digest(byte[] content) {
        return Digest.sha256(content).toString();
    }

    /** A monolithic push (POST with the digest); returns the status. */
    int push(Registry registry, String repository, byte[] content) {
        return send(registry, "POST", "/v2/" + repository + "/blobs/uploads/?digest=" + digest(content), content)
                .statusCode();
    }

    HttpResponse<byte[]> get(Registry registry, String repository, String digest) {
        return send(registry, "GET", "/v2/" + repository + "/blobs/" + digest, null);
    }

    HttpResponse<byte[]> head(Registry registry, String repository, String digest) {
        return send(registry, "HEAD", "/v2/" + repository + "/blobs/" + digest, null);
    }

    HttpResponse<byte[]> send(Registry registry, String method, String path, byte[] body, String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + registry.port() + path));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        HttpRequest request = builder
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/octet-stream")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Where the filesystem store keeps a blob. */
    Path file(String digest) {
        String hex = digest.substring("sha256:".length());
        return dir.resolve("storage/blobs/sha256").resolve(hex.substring(0, 2)).resolve(hex);
    }

    @Override
    public void close() throws Exception {
        s3.close();
        if (postgres != null) {
            postgres.close();
        }
        RegistryServer.deleteTree(dir);
    }
}

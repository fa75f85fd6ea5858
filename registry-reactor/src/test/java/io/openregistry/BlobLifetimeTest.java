package io.openregistry;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.config.Config;
import io.openregistry.metadata.PostgresSupport;
import io.openregistry.oci.Digest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A blob's bytes live as long as the content graph needs them, through the real server with the
 * collector's grace period at zero and its runs driven by the test: a blob DELETE unlinks the
 * layer from the repository (202, then 404 there, as in Distribution), but while a manifest names
 * it no collection deletes its bytes; once the manifest is deleted, the next collection does.
 */
class BlobLifetimeTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private final HttpClient http = HttpClient.newHttpClient();
    private PostgresSupport postgres;
    private Path root;
    private Registry registry;

    @AfterEach
    void stop() {
        if (registry != null) {
            registry.close();
        }
        if (postgres != null) {
            postgres.close();
        }
        RegistryServer.deleteTree(root);
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void aNamedLayerOutlivesItsDeleteUntilItsManifestGoes(String database) throws Exception {
        start(database);
        String repo = "life/app";
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        byte[] layer = new byte[200_000];
        new Random(3).nextBytes(layer);
        Digest configDigest = Digest.sha256(config);
        Digest layerDigest = Digest.sha256(layer);
        push(repo, config);
        push(repo, layer);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":"
                + descriptor("application/vnd.oci.image.config.v1+json", config) + ",\"layers\":["
                + descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layer) + "]}").getBytes(StandardCharsets.UTF_8);
        assertThat(send("PUT", "/v2/" + repo + "/manifests/v1", manifest, OCI_MANIFEST).statusCode()).isEqualTo(201);

        // Distribution's blob DELETE: unlinked from the repository
        assertThat(send("DELETE", "/v2/" + repo + "/blobs/" + layerDigest, null, null).statusCode()).isEqualTo(202);
        assertThat(send("GET", "/v2/" + repo + "/blobs/" + layerDigest, null, null).statusCode()).isEqualTo(404);
        // a collection with no grace period leaves the bytes alone: the manifest names them
        assertThat(registry.sweepOnce().block(WAIT)).isTrue();
        assertThat(storedDigests()).contains(layerDigest, configDigest);
        HttpResponse<byte[]> pulled = send("GET", "/v2/" + repo + "/manifests/v1", null, null);
        assertThat(pulled.statusCode()).isEqualTo(200);
        assertThat(pulled.body()).isEqualTo(manifest);
        assertThat(send("GET", "/v2/" + repo + "/blobs/" + configDigest, null, null).body()).isEqualTo(config);
        // a client pushing the layer again (as after the 404 of its HEAD) gets the kept bytes
        // linked back, and the whole image pulls byte-exact
        push(repo, layer);
        assertThat(registry.sweepOnce().block(WAIT)).isTrue();
        assertThat(send("GET", "/v2/" + repo + "/blobs/" + layerDigest, null, null).body()).isEqualTo(layer);

        // unlinked again and its manifest deleted: nothing keeps the layer, the next collection frees it
        assertThat(send("DELETE", "/v2/" + repo + "/blobs/" + layerDigest, null, null).statusCode()).isEqualTo(202);
        assertThat(registry.sweepOnce().block(WAIT)).isTrue();
        assertThat(storedDigests()).as("the manifest still names it").contains(layerDigest);
        assertThat(send("DELETE", "/v2/" + repo + "/manifests/" + Digest.sha256(manifest), null, null).statusCode())
                .isEqualTo(202);
        assertThat(registry.sweepOnce().block(WAIT)).isTrue();
        assertThat(storedDigests()).doesNotContain(layerDigest).as("still linked").contains(configDigest);
        assertThat(send("GET", "/v2/" + repo + "/blobs/" + configDigest, null, null).body()).isEqualTo(config);
    }

    private void start(String database) throws IOException {
        RegistryServer.installBlockHound();
        root = Files.createTempDirectory("openregistry-lifetime");
        Config.Database db;
        if (database.equals("postgresql")) {
            postgres = PostgresSupport.start();
            db = postgres.newDatabase(4);
        } else {
            db = new Config.Database("r2dbc:h2:file:///" + root.resolve("db/registry"), null, null, 4);
        }
        registry = Registry.start(new Config(
                new Config.Http(InetSocketAddress.createUnresolved("127.0.0.1", 0)),
                new Config.Storage("filesystem", root, false, null, null, Duration.ZERO),
                db,
                new Config.Manifests(RegistryServer.MANIFEST_MAX_BYTES),
                new Config.Uploads(1024 * 1024, Duration.ofDays(1)),
                new Config.Log("INFO"),
                new Config.Admin(InetSocketAddress.createUnresolved("127.0.0.1", 0))));
    }

    /** The digests of the blob files in the storage root (whatever their layout). */
    private Set<Digest> storedDigests() throws IOException {
        try (Stream<Path> files = Files.walk(root.resolve("storage").resolve("blobs"))) {
            return files.filter(Files::isRegularFile).map(p -> {
                try {
                    return Digest.sha256(Files.readAllBytes(p));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).collect(Collectors.toSet());
        }
    }

    private void push(String repo, byte[] content) throws Exception {
        HttpResponse<byte[]> r = send("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + Digest.sha256(content), content,
                "application/octet-stream");
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(201);
    }

    private static String descriptor(String mediaType, byte[] content) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + Digest.sha256(content) + "\",\"size\":"
                + content.length + "}";
    }

    private HttpResponse<byte[]> send(String method, String path, byte[] body, String contentType) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + registry.port() + path))
                .timeout(WAIT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}

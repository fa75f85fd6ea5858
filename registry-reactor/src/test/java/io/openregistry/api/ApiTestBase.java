package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.RegistryExtension;
import io.openregistry.RegistryServer;
import java.net.http.HttpResponse;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Base of the HTTP-level API suites. Each suite is abstract and runs once per database backend
 * through a two-line subclass; every test works in repositories of its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ApiTestBase {
    @RegisterExtension
    final RegistryExtension registry = new RegistryExtension(backend());
    TestClient client;

    abstract RegistryServer.Backend backend();

    @BeforeAll
    void connect() {
        client = new TestClient(registry.server().baseUrl(), registry.server().port());
    }

    static String repo(String prefix) {
        return prefix + "/" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Pushes a blob monolithically and checks the 201. */
    String pushBlob(String repo, byte[] content) {
        String digest = Oci.digest(content);
        HttpResponse<byte[]> r = client.post("/v2/" + repo + "/blobs/uploads/?digest=" + digest, content,
                "Content-Type", "application/octet-stream");
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(201);
        assertThat(r.headers().firstValue("Location")).hasValue("/v2/" + repo + "/blobs/" + digest);
        assertThat(r.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
        return digest;
    }

    /** Starts an upload session and returns its Location. */
    String startUpload(String repo) {
        HttpResponse<byte[]> r = client.post("/v2/" + repo + "/blobs/uploads/", null);
        assertThat(r.statusCode()).isEqualTo(202);
        return r.headers().firstValue("Location").orElseThrow();
    }

    HttpResponse<byte[]> putManifest(String repo, String reference, String mediaType, byte[] manifest) {
        return client.put("/v2/" + repo + "/manifests/" + reference, manifest, "Content-Type", mediaType);
    }

    /** Pushes a small image (config + layers) and its manifest under {@code tag}; returns the manifest bytes. */
    byte[] pushImage(String repo, String tag, String mediaType) {
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"n\":\"" + UUID.randomUUID() + "\"}").getBytes();
        byte[] layer = Oci.random(1000);
        pushBlob(repo, config);
        pushBlob(repo, layer);
        byte[] manifest = Oci.imageManifest(mediaType, config, layer);
        HttpResponse<byte[]> r = putManifest(repo, tag, mediaType, manifest);
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(201);
        return manifest;
    }

    static String with(String location, String query) {
        return location + (location.contains("?") ? "&" : "?") + query;
    }
}

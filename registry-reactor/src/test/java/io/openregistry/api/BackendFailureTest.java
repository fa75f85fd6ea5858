package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.openregistry.RegistryServer;
import io.openregistry.storage.s3.S3ProxyServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A storage backend that lies or dies, seen from a client: a corrupted object never reaches the
 * client as a complete blob, and a backend that goes away during a push leaves nothing visible.
 * Each test gets its own S3 endpoint and registry, since it breaks them.
 */
class BackendFailureTest {
    private S3ProxyServer s3;
    private RegistryServer registry;
    private TestClient client;

    @BeforeEach
    void start() {
        RegistryServer.installBlockHound();
        s3 = S3ProxyServer.start();
        registry = RegistryServer.start(RegistryServer.Backend.H2_S3, null, s3);
        client = new TestClient(registry.baseUrl(), registry.port());
    }

    @AfterEach
    void stop() throws Exception {
        registry.close();
        s3.close();
    }

    @Test
    void corruptedObjectsAbortThePullAndRangesStillWork() throws IOException {
        byte[] content = Oci.random(3_000_000);
        String digest = Oci.digest(content);
        assertThat(client.post("/v2/lies/blobs/uploads/?digest=" + digest, content).statusCode()).isEqualTo(201);
        assertThat(client.get("/v2/lies/blobs/" + digest).body()).isEqualTo(content);

        Path object = s3.objectFile("registry", "blobs/sha256/" + digest.substring(7));
        byte[] rotten = content.clone();
        rotten[1_234_567] ^= 1;
        Files.write(object, rotten);

        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest get = HttpRequest.newBuilder(URI.create(registry.baseUrl() + "/v2/lies/blobs/" + digest))
                .timeout(Duration.ofSeconds(30)).build();
        // the client never gets a complete 3 MB body: the connection is cut before the last bytes
        assertThatThrownBy(() -> http.send(get, HttpResponse.BodyHandlers.ofByteArray()))
                .isInstanceOf(IOException.class);
        // a range is not verifiable, and is served as stored
        HttpResponse<byte[]> range = client.get("/v2/lies/blobs/" + digest, "Range", "bytes=1234560-1234570");
        assertThat(range.statusCode()).isEqualTo(206);
        assertThat(range.body()[7]).isEqualTo(rotten[1_234_567]);
    }

    @Test
    void aBackendThatDiesDuringAPushLeavesNothingVisible() throws Exception {
        byte[] content = Oci.random(6_000_000);
        String digest = Oci.digest(content);
        String location = client.post("/v2/dies/blobs/uploads/", null).headers().firstValue("Location").orElseThrow();
        assertThat(client.patch(location, content).statusCode()).isEqualTo(202);
        s3.close();
        HttpResponse<byte[]> put = client.put(location + "?digest=" + digest, null);
        assertThat(put.statusCode()).isGreaterThanOrEqualTo(500);
        assertThat(Oci.json(put).path("errors").path(0).path("code").asText()).isEqualTo("UNKNOWN");
        assertThat(client.head("/v2/dies/blobs/" + digest).statusCode()).isEqualTo(404);
        assertThat(client.get("/v2/dies/tags/list").statusCode()).isEqualTo(404);
    }
}

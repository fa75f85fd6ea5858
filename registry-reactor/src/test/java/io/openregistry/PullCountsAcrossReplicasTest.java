package io.openregistry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.openregistry.config.Config;
import io.openregistry.oci.Digest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Pull counts with two replicas on one PostgreSQL: each counts its own pulls in memory; a
 * replica's shutdown writes what it counted, and the other's flush adds its own, so the stats
 * (asked of either) hold every pull.
 */
class PullCountsAcrossReplicasTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void everyReplicasPullsAreCountedAndAShutdownWritesItsCounts() throws Exception {
        try (TwoReplicas replicas = TwoReplicas.start("pulls", new Config.Uploads(1024 * 1024, Duration.ofDays(1),
                Config.Uploads.DEFAULT_MAX_BLOB_BYTES, 1000, 1000))) {
            String a = "http://127.0.0.1:" + replicas.a.port();
            String b = "http://127.0.0.1:" + replicas.b.port();
            String repo = "pulls/" + UUID.randomUUID().toString().substring(0, 8);
            byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
            assertThat(send(a, "POST", "/v2/" + repo + "/blobs/uploads/?digest=" + Digest.sha256(config), config,
                    "application/octet-stream").statusCode()).isEqualTo(201);
            byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                    + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                    + Digest.sha256(config) + "\",\"size\":" + config.length + "},\"layers\":[]}")
                    .getBytes(StandardCharsets.UTF_8);
            assertThat(send(a, "PUT", "/v2/" + repo + "/manifests/v1", manifest,
                    "application/vnd.oci.image.manifest.v1+json").statusCode()).isEqualTo(201);

            for (int i = 0; i < 3; i++) {
                assertThat(send(a, "GET", "/v2/" + repo + "/manifests/v1", null, null).statusCode()).isEqualTo(200);
            }
            for (int i = 0; i < 2; i++) {
                assertThat(send(b, "GET", "/v2/" + repo + "/manifests/v1", null, null).statusCode()).isEqualTo(200);
            }
            // b's counts reach the database by its shutdown (or its periodic flush, if one came first)
            replicas.b.close();
            replicas.a.flushPullCounts().block(Duration.ofSeconds(30));
            HttpResponse<byte[]> stats = send(a, "GET", "/api/v1/repositories/" + repo + "/-/stats?days=2", null, null);
            assertThat(stats.statusCode()).isEqualTo(200);
            JsonNode body = JSON.readTree(stats.body());
            assertThat(body.path("pulls_total").asLong()).isEqualTo(5);
            assertThat(body.path("pulls").path(0).path("count").asLong() + body.path("pulls").path(1).path("count").asLong())
                    .isEqualTo(5);
            assertThat(body.path("storage_bytes").asLong()).isEqualTo(config.length + manifest.length);
        }
    }

    private HttpResponse<byte[]> send(String base, String method, String path, byte[] body, String type)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (type != null) {
            request.header("Content-Type", type);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}

package io.openregistry.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.openregistry.RegistryServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The admin listener of a real registry over real HTTP: Prometheus output after a push and a
 * pull, liveness, and readiness while the database is down. Each test owns its registry so the
 * registry's own counters are exact.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminEndpointsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private RegistryServer server;

    @BeforeAll
    void start() {
        server = RegistryServer.start(RegistryServer.Backend.H2, null, null);
    }

    @AfterAll
    void stop() {
        server.close();
    }

    @Test
    void prometheusOutputAfterPushAndPull() throws Exception {
        String repo = "metrics/app-" + UUID.randomUUID().toString().substring(0, 8);
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes();
        byte[] layer = new byte[300_000];
        new Random(7).nextBytes(layer);
        String configDigest = pushBlob(repo, config);
        String layerDigest = pushBlob(repo, layer);
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + configDigest
                + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
                + "\"digest\":\"" + layerDigest + "\",\"size\":" + layer.length + "}]}";
        HttpResponse<byte[]> put = send("PUT", server.baseUrl() + "/v2/" + repo + "/manifests/v1", manifest.getBytes(),
                "application/vnd.oci.image.manifest.v1+json");
        assertThat(put.statusCode()).as(new String(put.body())).isEqualTo(201);
        assertThat(send("GET", server.baseUrl() + "/v2/" + repo + "/manifests/v1", null, null).statusCode()).isEqualTo(200);
        HttpResponse<byte[]> pulled = send("GET", server.baseUrl() + "/v2/" + repo + "/blobs/" + layerDigest, null, null);
        assertThat(pulled.body()).isEqualTo(layer);
        assertThat(send("GET", server.baseUrl() + "/v2/" + repo + "/blobs/" + configDigest, null, null).statusCode())
                .isEqualTo(200);
        assertThat(send("GET", server.baseUrl() + "/_app/nowhere/" + repo, null, null).statusCode()).isEqualTo(404);

        HttpResponse<byte[]> scrape = send("GET", server.adminUrl() + "/metrics", null, null);
        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        String text = new String(scrape.body());
        // This registry's own meters are registered on its own Prometheus registry: exact counts.
        assertThat(value(text, "openregistry_blob_bytes_pushed_total", "")).isEqualTo(config.length + layer.length);
        assertThat(value(text, "openregistry_blob_bytes_pulled_total", "")).isEqualTo(config.length + layer.length);
        assertThat(value(text, "openregistry_uploads_in_flight", "")).isZero();
        assertThat(value(text, "openregistry_upload_commit_seconds_count", "outcome=\"success\"")).isEqualTo(2);
        assertThat(value(text, "openregistry_upload_commit_seconds_count", "outcome=\"error\"")).isZero();
        assertThat(value(text, "openregistry_upload_duration_seconds_count", "")).isEqualTo(2);
        // blob store: two monolithic pushes are two appends and two commits; pulls of files are zero-copy
        String fs = "backend=\"filesystem\",operation=";
        assertThat(value(text, "openregistry_storage_operation_seconds_count", fs + "\"append\",outcome=\"success\""))
                .isEqualTo(2);
        assertThat(value(text, "openregistry_storage_operation_seconds_count", fs + "\"commit\",outcome=\"success\""))
                .isEqualTo(2);
        assertThat(value(text, "openregistry_storage_operation_seconds_count", fs + "\"commit\",outcome=\"error\""))
                .isZero();
        // database: units of work and the pool
        assertThat(value(text, "openregistry_db_operation_seconds_count", "operation=\"transaction\",outcome=\"success\""))
                .isGreaterThanOrEqualTo(3);
        assertThat(value(text, "openregistry_db_operation_seconds_count", "operation=\"statement\",outcome=\"success\""))
                .isGreaterThanOrEqualTo(1);
        assertThat(value(text, "openregistry_db_pool_max", "")).isEqualTo(10);
        assertThat(value(text, "openregistry_db_pool_acquired", "")).isGreaterThanOrEqualTo(0);
        // Reactor Netty's meters (shared global composite: at least this test's requests).
        assertThat(value(text, "reactor_netty_http_server_response_time_seconds_count",
                "method=\"PUT\",status=\"201\",uri=\"/v2/{name}/manifests/{reference}\"")).isGreaterThanOrEqualTo(1);
        assertThat(value(text, "reactor_netty_http_server_response_time_seconds_count",
                "method=\"GET\",status=\"200\",uri=\"/v2/{name}/blobs/{digest}\"")).isGreaterThanOrEqualTo(2);
        assertThat(value(text, "reactor_netty_http_server_response_time_seconds_count",
                "method=\"POST\",status=\"201\",uri=\"/v2/{name}/blobs/uploads/\"")).isGreaterThanOrEqualTo(2);
        assertThat(value(text, "reactor_netty_http_server_response_time_seconds_count",
                "method=\"GET\",status=\"404\",uri=\"other\"")).isGreaterThanOrEqualTo(1);
        List<String> uris = uriTags(text);
        assertThat(uris).isNotEmpty().allSatisfy(uri -> assertThat(uri)
                .doesNotContain("sha256:").doesNotContain("metrics/app").doesNotContain("nowhere"));
        assertThat(text).contains("jvm_memory_used_bytes", "jvm_threads_live_threads", "process_uptime_seconds",
                "system_cpu_count", "jvm_gc_");
    }

    @Test
    void livenessAndReadiness() throws Exception {
        HttpResponse<byte[]> health = send("GET", server.adminUrl() + "/healthz", null, null);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(health.body()).path("status").asText()).isEqualTo("UP");
        HttpResponse<byte[]> ready = send("GET", server.adminUrl() + "/readyz", null, null);
        assertThat(ready.statusCode()).as(new String(ready.body())).isEqualTo(200);
        JsonNode body = JSON.readTree(ready.body());
        assertThat(body.path("checks").path("database").path("status").asText()).isEqualTo("UP");
        assertThat(body.path("checks").path("storage").path("status").asText()).isEqualTo("UP");
        assertThat(send("GET", server.adminUrl() + "/v2/", null, null).statusCode()).isEqualTo(404);
        assertThat(send("POST", server.adminUrl() + "/healthz", new byte[0], "text/plain").statusCode()).isEqualTo(404);
    }

    @Test
    void notReadyWhileTheDatabaseIsDown() throws Exception {
        try (RegistryServer pg = RegistryServer.start(RegistryServer.Backend.POSTGRES, null, null)) {
            assertThat(send("GET", pg.adminUrl() + "/readyz", null, null).statusCode()).isEqualTo(200);
            pg.postgres().close();
            HttpResponse<byte[]> ready = send("GET", pg.adminUrl() + "/readyz", null, null);
            assertThat(ready.statusCode()).as(new String(ready.body())).isEqualTo(503);
            JsonNode body = JSON.readTree(ready.body());
            assertThat(body.path("status").asText()).isEqualTo("DOWN");
            assertThat(body.path("checks").path("database").path("status").asText()).isEqualTo("DOWN");
            assertThat(body.path("checks").path("database").path("error").asText()).isNotBlank();
            assertThat(body.path("checks").path("storage").path("status").asText()).isEqualTo("UP");
            assertThat(send("GET", pg.adminUrl() + "/healthz", null, null).statusCode()).isEqualTo(200);
            // a database back on the same address: ready again, without a restart of the registry
            try (var again = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
                    .setPort(pg.postgres().getPort()).start()) {
                assertThat(awaitReadiness(pg, 200)).isEqualTo(200);
            }
        }
    }

    @Test
    void notReadyWhileTheStorageIsGoneAndReadyWhenItIsBack() throws Exception {
        try (RegistryServer fs = RegistryServer.start(RegistryServer.Backend.H2, null, null)) {
            assertThat(send("GET", fs.adminUrl() + "/readyz", null, null).statusCode()).isEqualTo(200);
            java.nio.file.Path root = fs.dataDir().resolve("storage");
            java.nio.file.Path away = fs.dataDir().resolve("storage-away");
            java.nio.file.Files.move(root, away);
            java.nio.file.Files.writeString(root, "not a directory");
            HttpResponse<byte[]> ready = send("GET", fs.adminUrl() + "/readyz", null, null);
            assertThat(ready.statusCode()).as(new String(ready.body())).isEqualTo(503);
            JsonNode body = JSON.readTree(ready.body());
            assertThat(body.path("checks").path("storage").path("status").asText()).isEqualTo("DOWN");
            assertThat(body.path("checks").path("storage").path("error").asText()).contains("storage");
            assertThat(body.path("checks").path("database").path("status").asText()).isEqualTo("UP");
            java.nio.file.Files.delete(root);
            java.nio.file.Files.move(away, root);
            assertThat(awaitReadiness(fs, 200)).isEqualTo(200);
        }
    }

    /** Polls /readyz until it answers {@code wanted} (or 60 s pass); returns the last status. */
    private int awaitReadiness(RegistryServer server, int wanted) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        int status;
        do {
            status = send("GET", server.adminUrl() + "/readyz", null, null).statusCode();
            if (status == wanted) {
                return status;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        return status;
    }

    private String pushBlob(String repo, byte[] content) throws IOException, InterruptedException {
        String digest = "sha256:" + HexFormat.of().formatHex(sha256(content));
        HttpResponse<byte[]> r = send("POST", server.baseUrl() + "/v2/" + repo + "/blobs/uploads/?digest=" + digest, content,
                "application/octet-stream");
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(201);
        return digest;
    }

    private HttpResponse<byte[]> send(String method, String url, byte[] body, String type)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (type != null) {
            b.header("Content-Type", type);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The value of the sample {@code name{labels}} (labels in Prometheus' sorted order); fails when it is absent. */
    private static double value(String text, String name, String labels) {
        String prefix = labels.isEmpty() ? name + " " : name + "{" + labels + "} ";
        for (String line : text.split("\n")) {
            if (line.startsWith(prefix)) {
                return Double.parseDouble(line.substring(prefix.length()).trim());
            }
        }
        throw new AssertionError("no sample " + prefix.trim() + " in:\n" + text);
    }

    private static List<String> uriTags(String text) {
        Matcher m = Pattern.compile("[{,]uri=\"([^\"]*)\"").matcher(text);
        List<String> out = new java.util.ArrayList<>();
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static byte[] sha256(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

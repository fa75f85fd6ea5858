package io.openregistry.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.openregistry.RegistryServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** One JSON access-log line per request, with the route template and body byte counts, and nothing secret. */
class AccessLogTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void oneLinePerRequest() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(AccessLog.LOGGER);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        logger.addAppender(lines);
        try (RegistryServer server = RegistryServer.start(RegistryServer.Backend.H2, null, null)) {
            String repo = "logged/app-" + UUID.randomUUID().toString().substring(0, 6);
            byte[] blob = new byte[100_000];
            String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));
            HttpResponse<byte[]> push = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v2/" + repo
                            + "/blobs/uploads/?digest=" + digest)).header("Authorization", "Bearer very-secret-token")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(blob)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(push.statusCode()).isEqualTo(201);
            HttpResponse<byte[]> pull = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v2/" + repo
                    + "/blobs/" + digest)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(pull.statusCode()).isEqualTo(200);
            HttpResponse<byte[]> missing = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v2/" + repo
                    + "/manifests/nope")).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(missing.statusCode()).isEqualTo(404);

            // a line is written when the response has gone out, possibly just after the client has it
            List<JsonNode> entries = List.of();
            for (long deadline = System.nanoTime() + 10_000_000_000L; System.nanoTime() < deadline; Thread.sleep(20)) {
                entries = List.copyOf(lines.list).stream().map(e -> read(e.getFormattedMessage()))
                        .filter(n -> repo.equals(n.path("repository").asText())).toList();
                if (entries.size() >= 3) {
                    break;
                }
            }
            assertThat(entries).hasSize(3);
            JsonNode post = entries.get(0);
            assertThat(post.path("method").asText()).isEqualTo("POST");
            assertThat(post.path("route").asText()).isEqualTo("/v2/{name}/blobs/uploads/");
            assertThat(post.path("status").asInt()).isEqualTo(201);
            assertThat(post.path("requestId").asText()).isEqualTo(push.headers().firstValue("X-Request-Id").orElseThrow());
            assertThat(post.path("client").asText()).isEqualTo("127.0.0.1");
            assertThat(post.path("bytesIn").asLong()).isEqualTo(blob.length);
            assertThat(post.path("durationMs").asDouble()).isGreaterThanOrEqualTo(0);
            assertThat(post.path("time").asText()).endsWith("Z");
            JsonNode get = entries.get(1);
            assertThat(get.path("route").asText()).isEqualTo("/v2/{name}/blobs/{digest}");
            assertThat(get.path("bytesOut").asLong()).isEqualTo(blob.length);
            assertThat(get.path("bytesIn").asLong()).isZero();
            assertThat(entries.get(2).path("status").asInt()).isEqualTo(404);
            assertThat(lines.list).noneSatisfy(e -> assertThat(e.getFormattedMessage())
                    .containsAnyOf("very-secret-token", "?digest=", digest));
        } finally {
            logger.detachAppender(lines);
        }
    }

    private static JsonNode read(String line) {
        try {
            return JSON.readTree(line);
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }
}

package io.openregistry.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.metadata.PostgresSupport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The packaged jar, as it runs in production (its manifest's {@code Add-Opens}, no extra JVM
 * flags), on PostgreSQL and on the embedded H2 default: an upload's first chunk goes to process A,
 * A is killed with SIGKILL, and a new process on the same database and storage root continues the
 * upload; the acknowledged offset survived, the new process restores the hash state stored with it
 * (no re-read of the staged bytes) and the blob's digest is right.
 */
class HashStateCrashIT {
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private PostgresSupport postgres;
    private Path root;
    private Map<String, String> config;

    @BeforeEach
    void start() throws Exception {
        postgres = PostgresSupport.start();
        root = Files.createTempDirectory("openregistry-crash");
        config = Map.of("OPENREGISTRY_DATABASE_URL", postgres.r2dbcUrl(postgres.createDatabase()),
                "OPENREGISTRY_DATABASE_USERNAME", PostgresSupport.USER,
                "OPENREGISTRY_DATABASE_PASSWORD", PostgresSupport.PASSWORD);
    }

    @AfterEach
    void stop() {
        postgres.close();
        io.openregistry.RegistryServer.deleteTree(root);
    }

    private HttpResponse<byte[]> send(String method, String url, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void anUploadContinuesAfterKillMinus9WithItsRestoredHashStateOnPostgres() throws Exception {
        continuesAfterKill(config);
    }

    /** H2 has no write-ahead log: an acknowledged commit must reach the file before the answer. */
    @Test
    void anUploadContinuesAfterKillMinus9OnTheEmbeddedH2() throws Exception {
        continuesAfterKill(Map.of());
    }

    private void continuesAfterKill(Map<String, String> config) throws Exception {
        byte[] content = new byte[2_500_009];
        new SplittableRandom(9).nextBytes(content);
        String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        String location;
        try (RegistryProcess a = RegistryProcess.start(root, config)) {
            String base = "http://127.0.0.1:" + a.port();
            location = send("POST", base + "/v2/crash/app/blobs/uploads/", null)
                    .headers().firstValue("Location").orElseThrow();
            assertThat(send("PATCH", base + location, Arrays.copyOfRange(content, 0, 1_000_003),
                    "Content-Range", "0-1000002").statusCode()).isEqualTo(202);
            a.kill();
            assertThat(a.output()).noneMatch(l -> l.contains("hash state cannot be exported"));
        }
        try (RegistryProcess b = RegistryProcess.start(root, config)) {
            String base = "http://127.0.0.1:" + b.port();
            HttpResponse<byte[]> status = send("GET", base + location, null);
            assertThat(status.headers().firstValue("Range")).hasValue("0-1000002");
            assertThat(send("PATCH", base + location, Arrays.copyOfRange(content, 1_000_003, 2_000_000),
                    "Content-Range", "1000003-1999999").statusCode()).isEqualTo(202);
            HttpResponse<byte[]> put = send("PUT", base + location + (location.contains("?") ? "&" : "?")
                    + "digest=" + digest, Arrays.copyOfRange(content, 2_000_000, content.length),
                    "Content-Range", "2000000-2500008");
            assertThat(put.statusCode()).as(new String(put.body())).isEqualTo(201);
            assertThat(send("GET", base + "/v2/crash/app/blobs/" + digest, null).body()).isEqualTo(content);

            String metrics = new String(send("GET", "http://127.0.0.1:" + b.adminPort() + "/metrics", null).body());
            assertThat(metrics).contains("openregistry_upload_digest_rebuilds_total{outcome=\"restored\"} 1.0")
                    .contains("openregistry_upload_digest_rebuilds_total{outcome=\"reread\"} 0.0");
        }
    }
}

package io.openregistry.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar leaves out parts of its dependencies that nothing runs (see the shade filters in
 * the pom: most of BouncyCastle, Netty's HTTP/3 and QUIC, Prometheus' protobuf format). The unit
 * tests run on the full dependency jars, so this runs, from the jar itself, the paths that use
 * what is left: Argon2id (the admin account's password, hashed at start and checked by the token
 * endpoint), Ed25519 key generation and PKCS#8/SPKI PEM files (written at the first start, parsed
 * at the second), PASETO signing and verification, the Prometheus text format, and Netty's epoll
 * transport (whose native library must be in the jar for this architecture); and a passkey sign-up
 * and sign-in (webauthn4j with its Jackson 3 JSON and CBOR, and JDK signatures: no BouncyCastle
 * provider, which the jar leaves out).
 */
class ShadedJarIT {
    private static final Pattern TOKEN = Pattern.compile("\"token\"\\s*:\\s*\"([^\"]+)\"");
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void authKeysMetricsAndEpollWorkFromTheTrimmedJar() throws Exception {
        Map<String, String> auth = Map.of("OPENREGISTRY_AUTH_ENABLED", "true",
                "OPENREGISTRY_AUTH_ADMIN_USERNAME", "admin", "OPENREGISTRY_AUTH_ADMIN_PASSWORD", "correct-horse-battery");
        String token;
        try (RegistryProcess registry = RegistryProcess.start(dir, auth)) {
            String base = "http://127.0.0.1:" + registry.port();
            assertThat(get(base + "/v2/", null).statusCode()).isEqualTo(401);
            token = token(base);
            assertThat(get(base + "/v2/", "Bearer " + token).statusCode()).isEqualTo(200);
            HttpResponse<String> metrics = get("http://127.0.0.1:" + registry.adminPort() + "/metrics", null);
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("# TYPE ");
            // Netty maps its epoll library from the jar (unpacked to a temp file) when it can load it
            assertThat(Files.readString(Path.of("/proc", String.valueOf(registry.pid()), "maps")))
                    .contains("netty_transport_native_epoll");
        }
        try (var keys = Files.list(dir.resolve("keys"))) {
            assertThat(keys.filter(f -> f.getFileName().toString().endsWith(".pem")))
                    .as("the key pair written at first start").hasSizeGreaterThanOrEqualTo(2);
        }
        // second start: the keys are read back from their PEM files, and verify the first run's token
        try (RegistryProcess registry = RegistryProcess.start(dir, auth)) {
            String base = "http://127.0.0.1:" + registry.port();
            assertThat(get(base + "/v2/", "Bearer " + token).statusCode()).isEqualTo(200);
            assertThat(get(base + "/v2/", "Bearer " + token(base)).statusCode()).isEqualTo(200);
            passkey(base, registry.port());
        }
    }

    private void passkey(String base, int port) throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var key = new io.openregistry.api.SoftAuthenticator("http://localhost:" + port);
        HttpResponse<String> options = post(base + "/auth/passkeys/registration/options", "{\"username\":\"pk\"}");
        assertThat(options.statusCode()).as(options.body()).isEqualTo(200);
        var o = json.readTree(options.body());
        var body = json.createObjectNode().put("flow", o.path("flow").asText());
        body.set("credential", key.create(o.path("publicKey")));
        HttpResponse<String> created = post(base + "/auth/passkeys/registration", body.toString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        HttpResponse<String> signIn = post(base + "/auth/passkeys/authentication/options", "{}");
        var s = json.readTree(signIn.body());
        var answer = json.createObjectNode().put("flow", s.path("flow").asText());
        answer.set("credential", key.get(s.path("publicKey")));
        HttpResponse<String> in = post(base + "/auth/passkeys/authentication", answer.toString());
        assertThat(in.statusCode()).as(in.body()).isEqualTo(200);
        assertThat(json.readTree(in.body()).path("username").asText()).isEqualTo("pk");
    }

    private HttpResponse<String> post(String url, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private String token(String base) throws Exception {
        String basic = Base64.getEncoder().encodeToString("admin:correct-horse-battery".getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = get(base + "/token?service=openregistry&scope=repository:admin/app:pull,push", "Basic " + basic);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        Matcher m = TOKEN.matcher(r.body());
        assertThat(m.find()).as(r.body()).isTrue();
        return m.group(1);
    }

    private HttpResponse<String> get(String url, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}

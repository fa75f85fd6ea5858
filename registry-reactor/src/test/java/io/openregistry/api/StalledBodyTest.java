package io.openregistry.api;

import io.openregistry.LogCapture;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A request body that stops arriving is the client's problem: after {@code http.bodyTimeoutSeconds}
 * without a byte the request is answered 408 with the OCI error JSON and the connection closed
 * (or, for a streamed upload chunk, the connection is closed quietly), never a 500 with an ERROR
 * log line (as it was with the token endpoint, sign-in and manifest PUT).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StalledBodyTest {
    private static final String ADMIN = AuthFixture.ADMIN;
    private static final String PASSWORD = AuthFixture.ADMIN_PASSWORD;
    private TunedRegistry registry;
    private TestClient client;
    private LogCapture logged;

    @BeforeAll
    void start() {
        // a body timeout of 1 s; header and idle timeouts long enough not to interfere
        registry = TunedRegistry.start(30, 1, 60, dir -> AuthFixture.auth(dir, true, 100_000, 100_000));
        client = new TestClient(registry.baseUrl(), registry.port());
    }

    @AfterAll
    void stop() {
        registry.close();
    }

    @BeforeEach
    void watchLog() {
        logged = LogCapture.all();
    }

    @AfterEach
    void unwatchLog() {
        logged.close();
    }

    @Test
    void aStalledTokenRequest() throws IOException {
        assertTimedOut(stall("POST", "/token", "Content-Type: application/x-www-form-urlencoded\r\n"));
    }

    @Test
    void aStalledSignIn() throws IOException {
        assertTimedOut(stall("POST", "/auth/signin", "Content-Type: application/json\r\n"));
    }

    @Test
    void aStalledManifestPut() throws IOException {
        String repo = "stall/manifest";
        String token = token("repository:" + repo + ":pull,push");
        assertTimedOut(stall("PUT", "/v2/" + repo + "/manifests/v1",
                "Content-Type: " + Oci.OCI_MANIFEST + "\r\nAuthorization: Bearer " + token + "\r\n"));
    }

    /** Refused before its body is read: the error answer waits for the body (to keep the connection), which stalls. */
    @Test
    void aStalledBodyOfARefusedRequest() throws IOException {
        String response = stall("PUT", "/v2/stall/refused/manifests/v1", "Content-Type: " + Oci.OCI_MANIFEST + "\r\n");
        assertThat(response).startsWith("HTTP/1.1 401 ");
        assertNoErrorLogged();
    }

    @Test
    void aStalledUploadChunk() throws IOException {
        String repo = "stall/upload";
        String token = token("repository:" + repo + ":pull,push");
        HttpResponse<byte[]> started = client.post("/v2/" + repo + "/blobs/uploads/", null,
                "Authorization", "Bearer " + token);
        assertThat(started.statusCode()).isEqualTo(202);
        String location = started.headers().firstValue("Location").orElseThrow();
        String response = stall("PATCH", location, "Content-Type: application/octet-stream\r\n"
                + "Content-Range: 0-99\r\nAuthorization: Bearer " + token + "\r\n");
        // A streamed chunk rolls back before its error is answered, and by then the timeout has
        // closed the connection: the client sees it closed, without a response (never a 500).
        if (!response.isEmpty()) {
            assertTimedOut(response);
        }
        assertNoErrorLogged();
        // the chunk was rolled back: the session is still at offset 0
        HttpResponse<byte[]> status = client.get(location, "Authorization", "Bearer " + token);
        assertThat(status.statusCode()).isEqualTo(204);
        assertThat(status.headers().firstValue("Range")).hasValue("0-0");
    }

    private String token(String scope) {
        String basic = Base64.getEncoder().encodeToString((ADMIN + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        HttpResponse<byte[]> r = client.get("/token?service=" + AuthFixture.SERVICE + "&scope=" + scope,
                "Authorization", "Basic " + basic);
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
        return Oci.json(r).path("token").asText();
    }

    /**
     * Sends a head announcing 100 body bytes, then 10 of them, then nothing; returns all the
     * server sends until it closes the connection.
     */
    private String stall(String method, String path, String headers) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", registry.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write((method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers
                    + "Content-Length: 100\r\n\r\n0123456789").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            try {
                in.transferTo(received);
            } catch (java.net.SocketException reset) {
                // a reset after the response still leaves the response in hand
            }
            return received.toString(StandardCharsets.UTF_8);
        }
    }

    private void assertTimedOut(String response) throws IOException {
        assertThat(response).startsWith("HTTP/1.1 408 ");
        assertThat(response.toLowerCase(java.util.Locale.ROOT)).contains("connection: close");
        JsonNode error = Oci.JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4)).path("errors").path(0);
        assertThat(error.path("code").asText()).isNotEmpty();
        assertThat(error.path("message").asText()).contains("body");
        assertNoErrorLogged();
    }

    private void assertNoErrorLogged() {
        List<ILoggingEvent> errors = logged.atLeast(Level.ERROR);
        assertThat(errors).as("ERROR log lines").isEmpty();
    }
}

package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.openregistry.RegistryServer;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Request-level checks made before routing, on raw requests no well-behaved client sends. */
class RequestChecksTest extends ApiTestBase {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2;
    }

    @Test
    void twoHostHeadersAre400() throws IOException {
        for (String path : new String[] {"/v2/", "/v2/_catalog", "/v2/a/manifests/latest", "/nosuch", "/token"}) {
            String response = exchange("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n"
                    + "Connection: close\r\n\r\n");
            assertBadRequest(response);
        }
        // the same host twice is still two header lines
        assertBadRequest(exchange("GET /v2/ HTTP/1.1\r\nHost: a\r\nHost: a\r\nConnection: close\r\n\r\n"));
        assertBadRequest(exchange("HEAD /v2/ HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n"));
    }

    @Test
    void aMissingOrMalformedHostIs400() throws IOException {
        assertBadRequest(exchange("GET /v2/ HTTP/1.1\r\nConnection: close\r\n\r\n"));
        assertBadRequest(exchange("GET /v2/ HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n"));
        assertBadRequest(exchange("GET /v2/ HTTP/1.1\r\nHost: user@host\r\nConnection: close\r\n\r\n"));
        assertBadRequest(exchange("GET /v2/ HTTP/1.1\r\nHost: host/path\r\nConnection: close\r\n\r\n"));
        // what clients send is fine; HTTP/1.0 needs no Host
        for (String host : new String[] {"127.0.0.1", "127.0.0.1:5000", "registry.example.com", "[::1]:5000", ""}) {
            assertThat(exchange("GET /v2/ HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n"))
                    .as(host).startsWith("HTTP/1.1 200");
        }
        assertThat(exchange("GET /v2/ HTTP/1.0\r\n\r\n")).startsWith("HTTP/1.0 200");
    }

    @Test
    void conflictingContentLengthsAre400() throws IOException {
        // Netty's decoder refuses these before any handler runs (RFC 9112 6.3): a 400 with an empty
        // body (Reactor Netty answers decoding failures itself), and the connection is closed
        String body = "{}";
        for (String lengths : new String[] {"Content-Length: 2\r\nContent-Length: 3\r\n", "Content-Length: 2, 3\r\n"}) {
            String response = exchange("PUT /v2/a/manifests/t HTTP/1.1\r\nHost: a\r\n" + lengths
                    + "Content-Type: application/vnd.oci.image.manifest.v1+json\r\nConnection: close\r\n\r\n" + body);
            assertThat(response).as(lengths).startsWith("HTTP/1.1 400");
        }
    }

    private static void assertBadRequest(String response) {
        assertThat(response).startsWith("HTTP/1.1 400");
        if (response.contains("\r\n\r\n{")) {
            JsonNode body = json(response);
            assertThat(body.path("errors").path(0).path("code").asText()).isEqualTo("UNSUPPORTED");
            assertThat(body.path("errors").path(0).path("message").asText()).isNotEmpty();
        } else {
            // HEAD: headers only
            assertThat(response.toLowerCase(java.util.Locale.ROOT)).contains("content-type: application/json");
        }
    }

    private static JsonNode json(String response) {
        try {
            return Oci.JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
        } catch (IOException e) {
            throw new AssertionError(response, e);
        }
    }

    /** Writes {@code request} as is and reads everything until the server closes the connection. */
    private String exchange(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", registry.server().port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}

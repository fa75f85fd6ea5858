package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.RegistryServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A keep-alive connection keeps being read after a request that was queued behind an unfinished
 * one (pipelined, or sent the moment the previous response arrived) is answered at once, on the API
 * and on the admin listener. Reactor Netty 1.3.7 stops reading there unless requests run in a task
 * of their own ({@code http.OwnTask}).
 */
class KeepAliveTest extends ApiTestBase {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2;
    }

    @Test
    void aQueuedRequestAnsweredAtOnceDoesNotStallTheConnection() throws IOException {
        // the catalog finishes on a database thread; /v2/ is answered without waiting for anything
        assertKeepsReading(registry.server().port(), "/v2/_catalog", "/v2/");
    }

    @Test
    void theAdminListenerToo() throws IOException {
        // readiness asks the database; /healthz is answered at once
        assertKeepsReading(registry.server().adminPort(), "/readyz", "/healthz");
    }

    /**
     * Sends {@code slow} and {@code immediate} pipelined on one connection, reads both answers,
     * then sends {@code immediate} again: it must be answered too. Ten rounds, new connections.
     */
    private static void assertKeepsReading(int port, String slow, String immediate) throws IOException {
        for (int round = 0; round < 10; round++) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setSoTimeout(10_000);
                OutputStream out = socket.getOutputStream();
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                send(out, get(slow) + get(immediate));
                assertThat(TestClient.readResponse(in)).as("round %d, %s", round, slow).startsWith("HTTP/1.1 200");
                assertThat(TestClient.readResponse(in)).as("round %d, %s", round, immediate).startsWith("HTTP/1.1 200");
                send(out, get(immediate));
                assertThat(TestClient.readResponse(in)).as("round %d, the next request", round).startsWith("HTTP/1.1 200");
            }
        }
    }

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
    }

    private static void send(OutputStream out, String requests) throws IOException {
        out.write(requests.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }
}

package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.RegistryServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * A keep-alive connection keeps being read after a request that was queued behind an unfinished
 * one (pipelined, or sent the moment the previous response arrived) is answered at once. Reactor
 * Netty 1.3.7 stops reading there unless requests run in a task of their own (RegistryHttpHandler).
 */
class KeepAliveTest extends ApiTestBase {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2;
    }

    @Test
    void aQueuedRequestAnsweredAtOnceDoesNotStallTheConnection() throws IOException {
        for (int round = 0; round < 10; round++) {
            try (Socket socket = new Socket("127.0.0.1", registry.server().port())) {
                socket.setSoTimeout(10_000);
                OutputStream out = socket.getOutputStream();
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                // the catalog finishes on a database thread; /v2/ is answered without waiting for anything
                send(out, "GET /v2/_catalog HTTP/1.1\r\nHost: x\r\n\r\nGET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(readResponse(in)).as("round %d, catalog", round).startsWith("HTTP/1.1 200");
                assertThat(readResponse(in)).as("round %d, /v2/", round).startsWith("HTTP/1.1 200");
                send(out, "GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(readResponse(in)).as("round %d, the next request", round).startsWith("HTTP/1.1 200");
            }
        }
    }

    private static void send(OutputStream out, String requests) throws IOException {
        out.write(requests.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** The status line; the rest of the head and the Content-Length body are consumed. */
    private static String readResponse(BufferedReader in) throws IOException {
        String status = in.readLine();
        int length = 0;
        for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        assertThat(in.skip(length)).isEqualTo(length);
        return status;
    }
}

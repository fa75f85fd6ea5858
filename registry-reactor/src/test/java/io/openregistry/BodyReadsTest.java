package io.openregistry;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.upload.DigestingPipeline;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * Request bodies reach the handler in reads of more than 8 KiB (Reactor Netty's decoder cut every
 * body, and every chunk of a chunked one, into 8 KiB pieces: the upload pipeline's prefetch then
 * held 64 KiB and paid a thread hand-off and a file write per 8 KiB, single-stream pushes ran at a
 * third of their speed), and never in more than {@link DigestingPipeline#MAX_READ}.
 */
class BodyReadsTest {
    private static final int BODY = 4 << 20;
    private final AtomicInteger largest = new AtomicInteger();
    private final AtomicLong received = new AtomicLong();
    private DisposableServer server;

    @BeforeEach
    void start() {
        server = Registry.bodyReads(HttpServer.create())
                .host("127.0.0.1")
                .port(0)
                .handle((request, response) -> request.receive()
                        .doOnNext(buf -> {
                            largest.accumulateAndGet(buf.readableBytes(), Math::max);
                            received.addAndGet(buf.readableBytes());
                        })
                        .then(Mono.defer(() -> response.status(204).send())))
                .bindNow();
    }

    @AfterEach
    void stop() {
        server.disposeNow();
    }

    @Test
    void aBodyOfKnownLengthArrivesInWholeReads() throws Exception {
        byte[] head = ("PUT /blob HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + BODY + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        send(head, new byte[BODY], new byte[0]);
        assertReads();
    }

    @Test
    void aChunkedBodyArrivesInWholeReads() throws Exception {
        byte[] head = ("PATCH /blob HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(BODY) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        send(head, new byte[BODY], "\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertReads();
    }

    private void assertReads() {
        assertThat(received.get()).isEqualTo(BODY);
        assertThat(largest.get()).as("the largest body buffer").isGreaterThan(8192)
                .isLessThanOrEqualTo(DigestingPipeline.MAX_READ);
    }

    /** Head, body and trailer in one stream, then waits for the response's status line. */
    private void send(byte[] head, byte[] body, byte[] end) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(head);
            out.write(body);
            out.write(end);
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] status = in.readNBytes(12);
            assertThat(new String(status, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 204");
        }
    }
}

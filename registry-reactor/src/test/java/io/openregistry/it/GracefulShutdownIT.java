package io.openregistry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM against the packaged jar while ten uploads are in flight: five finish their bodies just
 * after the signal and must be committed (201, pullable after a restart); five trickle far longer
 * than {@code http.shutdownTimeoutSeconds} and must be cut without leaving a blob. Meanwhile the
 * listener refuses new connections, /readyz says 503 and /healthz 200; the process exits 0.
 *
 * <p>The steps are ordered by handshakes, not sleeps: the registry's own in-flight gauge says all
 * ten requests are being served before the signal, and its "listener closed" log line says the
 * drain has begun before the fast uploads send the rest of their bodies.
 */
class GracefulShutdownIT {
    private static final int SHUTDOWN_TIMEOUT_SECONDS = 5;
    /** How long the exit may take beyond the deadline on a slow, busy machine (closing the stores is well under 1 s). */
    private static final int EXIT_MARGIN_SECONDS = 30;
    private static final String REPO = "shutdown/it";
    private static final int FAST_SIZE = 256 * 1024;
    /** At {@link #TRICKLE_CHUNK} per {@link #TRICKLE_PAUSE_MS} this takes minutes, far past the deadline. */
    private static final int SLOW_SIZE = 8 * 1024 * 1024;
    private static final int FIRST_CHUNK = 64 * 1024;
    private static final int TRICKLE_CHUNK = 4096;
    private static final long TRICKLE_PAUSE_MS = 50;

    @TempDir
    Path data;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    /** How an upload's in-flight request carries its (last) bytes. */
    enum Kind {
        /** {@code POST …/uploads/?digest=}: the whole blob in one request */
        MONOLITHIC,
        /** a first chunk PATCHed before, then {@code PUT …?digest=} with the rest */
        PUT_LAST_CHUNK,
        /** a first chunk PATCHed before, then a streamed (chunked transfer encoding) PATCH with the rest, never finished */
        STREAMED_PATCH
    }

    @Test
    void sigtermDrainsFinishingUploadsCutsSlowOnesAndExitsZero() throws Exception {
        List<Upload> fast = new ArrayList<>();
        List<Upload> slow = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            fast.add(new Upload(i, i % 2 == 0 ? Kind.MONOLITHIC : Kind.PUT_LAST_CHUNK, true));
        }
        Kind[] slowKinds = {Kind.MONOLITHIC, Kind.PUT_LAST_CHUNK, Kind.STREAMED_PATCH, Kind.MONOLITHIC, Kind.PUT_LAST_CHUNK};
        for (int i = 0; i < 5; i++) {
            slow.add(new Upload(100 + i, slowKinds[i], false));
        }
        ExecutorService clients = Executors.newCachedThreadPool();
        try (RegistryProcess registry = RegistryProcess.start(data,
                Map.of("OPENREGISTRY_HTTP_SHUTDOWN_TIMEOUT_SECONDS", String.valueOf(SHUTDOWN_TIMEOUT_SECONDS)))) {
            String base = "http://127.0.0.1:" + registry.port();
            String admin = "http://127.0.0.1:" + registry.adminPort();
            for (Upload u : concat(fast, slow)) {
                u.prepare(base);
                u.open(registry.port());
            }
            awaitUploadsInFlight(admin, 10);

            CountDownLatch drainBegan = new CountDownLatch(1);
            List<Future<Integer>> fastResults = new ArrayList<>();
            for (Upload u : fast) {
                fastResults.add(clients.submit(() -> u.finishAfter(drainBegan)));
            }
            List<Future<String>> slowResults = new ArrayList<>();
            for (Upload u : slow) {
                slowResults.add(clients.submit(u::trickle));
            }

            long signalled = System.nanoTime();
            registry.terminate();
            assertThat(registry.awaitOutput("shutdown: listener closed", 60)).as("drain began").isTrue();

            // The drain is running (the fast uploads are held until after these checks).
            assertThatThrownBy(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", registry.port()), 5000);
                }
            }).as("a new connection during the drain").isInstanceOf(ConnectException.class);
            assertThat(get(admin + "/readyz").statusCode()).isEqualTo(503);
            assertThat(get(admin + "/healthz").statusCode()).isEqualTo(200);
            drainBegan.countDown();

            for (Future<Integer> r : fastResults) {
                assertThat(r.get(60, TimeUnit.SECONDS)).as("a fast upload's status").isEqualTo(201);
            }
            Integer status = registry.awaitExit(SHUTDOWN_TIMEOUT_SECONDS + EXIT_MARGIN_SECONDS);
            double seconds = (System.nanoTime() - signalled) / 1e9;
            assertThat(status).as("exit status (null: still running)").isEqualTo(0);
            for (Future<String> r : slowResults) {
                assertThat(r.get(60, TimeUnit.SECONDS)).as("a slow upload's outcome").startsWith("failed");
            }
            System.out.printf("[shutdown] SIGTERM to exit: %.1f s (deadline %d s)%n", seconds, SHUTDOWN_TIMEOUT_SECONDS);
            assertThat(registry.output()).anyMatch(l -> l.contains("deadline of " + SHUTDOWN_TIMEOUT_SECONDS
                    + " s hit with 5 requests still active"));
            assertThat(registry.output()).anyMatch(l -> l.contains("shutdown: closed"));
        } finally {
            clients.shutdownNow();
        }

        try (RegistryProcess registry = RegistryProcess.start(data)) {
            String base = "http://127.0.0.1:" + registry.port();
            for (Upload u : fast) {
                HttpResponse<byte[]> pulled = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/" + REPO + "/blobs/"
                        + u.digest)).build(), HttpResponse.BodyHandlers.ofByteArray());
                assertThat(pulled.statusCode()).isEqualTo(200);
                assertThat(pulled.headers().firstValue("Docker-Content-Digest")).hasValue(u.digest);
                assertThat(Arrays.equals(pulled.body(), u.content)).as("pulled bytes of " + u.digest).isTrue();
            }
            for (Upload u : slow) {
                HttpResponse<String> pulled = get(base + "/v2/" + REPO + "/blobs/" + u.digest);
                assertThat(pulled.statusCode()).isEqualTo(404);
                assertThat(pulled.body()).contains("BLOB_UNKNOWN");
                if (u.kind == Kind.STREAMED_PATCH) {
                    // the cut chunk was rolled back: the session holds exactly the first chunk
                    HttpResponse<String> session = get(base + u.location);
                    assertThat(session.statusCode()).isEqualTo(204);
                    assertThat(session.headers().firstValue("Range")).hasValue("0-" + (FIRST_CHUNK - 1));
                }
            }
        }
        try (Stream<Path> files = Files.walk(data.resolve("storage/blobs"))) {
            assertThat(files.filter(Files::isRegularFile).count()).as("blob files: only the committed ones").isEqualTo(5);
        }
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Polls the registry's own gauge until {@code n} upload requests hold their sessions. */
    private void awaitUploadsInFlight(String admin, int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        double seen = -1;
        while (System.nanoTime() < deadline) {
            seen = get(admin + "/metrics").body().lines()
                    .filter(l -> l.startsWith("openregistry_uploads_in_flight "))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1).trim()))
                    .findFirst().orElse(-1);
            if (seen == n) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("uploads in flight: " + seen + ", expected " + n);
    }

    private static List<Upload> concat(List<Upload> a, List<Upload> b) {
        List<Upload> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** One blob upload whose last request is held open on a raw socket, so the test decides when its body ends. */
    private final class Upload {
        final Kind kind;
        final boolean fast;
        final byte[] content;
        final String digest;
        String location;
        private Socket socket;
        private int sent;

        Upload(long seed, Kind kind, boolean fast) throws Exception {
            this.kind = kind;
            this.fast = fast;
            this.content = new byte[fast ? FAST_SIZE : SLOW_SIZE];
            new Random(seed).nextBytes(content);
            this.digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        }

        /** The requests before the in-flight one: open a session and PATCH a first chunk. */
        void prepare(String base) throws Exception {
            if (kind == Kind.MONOLITHIC) {
                return;
            }
            HttpResponse<String> started = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/" + REPO + "/blobs/uploads/"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(started.statusCode()).isEqualTo(202);
            HttpResponse<String> patched = http.send(HttpRequest.newBuilder(URI.create(base
                            + started.headers().firstValue("Location").orElseThrow()))
                    .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(content, 0, FIRST_CHUNK))
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Range", "0-" + (FIRST_CHUNK - 1)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(patched.statusCode()).as(patched.body()).isEqualTo(202);
            location = patched.headers().firstValue("Location").orElseThrow();
            sent = FIRST_CHUNK;
        }

        /** Sends the in-flight request's head and a first part of its body. */
        void open(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(60_000);
            String target = switch (kind) {
                case MONOLITHIC -> "POST /v2/" + REPO + "/blobs/uploads/?digest=" + digest;
                case PUT_LAST_CHUNK -> "PUT " + location + "?digest=" + digest;
                case STREAMED_PATCH -> "PATCH " + location;
            };
            String framing = kind == Kind.STREAMED_PATCH ? "Transfer-Encoding: chunked"
                    : "Content-Length: " + (content.length - sent);
            socket.getOutputStream().write((target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nContent-Type: application/octet-stream\r\n" + framing + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            send(fast ? (content.length - sent) / 2 : TRICKLE_CHUNK);
        }

        /** Fast: once the drain began, sends the rest of the body; the response status. */
        int finishAfter(CountDownLatch drainBegan) throws Exception {
            Socket connection = socket;
            try (connection) {
                assertThat(drainBegan.await(120, TimeUnit.SECONDS)).isTrue();
                send(content.length - sent);
                return status(connection.getInputStream());
            }
        }

        /** Slow: trickles the body until the server cuts the connection; "failed: …" or the status it answered. */
        String trickle() {
            Socket connection = socket;
            try (connection) {
                while (sent < content.length) {
                    send(Math.min(TRICKLE_CHUNK, content.length - sent));
                    Thread.sleep(TRICKLE_PAUSE_MS);
                }
                return "status " + status(connection.getInputStream());
            } catch (IOException e) {
                return "failed: " + e;
            } catch (InterruptedException e) {
                return "interrupted";
            }
        }

        private void send(int n) throws IOException {
            OutputStream out = socket.getOutputStream();
            if (kind == Kind.STREAMED_PATCH) {
                out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(content, sent, n);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            } else {
                out.write(content, sent, n);
            }
            out.flush();
            sent += n;
        }

        /** The status code of the response's status line; an IOException when the connection ends first. */
        private static int status(InputStream in) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != '\n') {
                if (b < 0) {
                    throw new IOException("connection closed before a response");
                }
                line.write(b);
            }
            String statusLine = line.toString(StandardCharsets.US_ASCII);
            return Integer.parseInt(statusLine.split(" ")[1]);
        }
    }
}

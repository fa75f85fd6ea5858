package io.openregistry.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streams a 2 GiB blob into and out of the packaged registry running with a 96 MiB heap: proof
 * that nothing buffers a whole blob. Prints the registry's peak RSS.
 */
class LargeBlobMemoryIT {
    private static final long SIZE = 2L * 1024 * 1024 * 1024;

    @TempDir
    Path data;

    @Test
    void twoGibibytesThroughA96MibHeap() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (RegistryProcess registry = RegistryProcess.start(data, "-Xmx96m")) {
            String base = "http://127.0.0.1:" + registry.port();
            HttpResponse<String> start = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/big/blob/blobs/uploads/"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(start.statusCode()).isEqualTo(202);
            String location = start.headers().firstValue("Location").orElseThrow();

            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            long t0 = System.nanoTime();
            HttpResponse<String> patch = http.send(HttpRequest.newBuilder(URI.create(base + location))
                    .timeout(Duration.ofMinutes(10))
                    .method("PATCH", HttpRequest.BodyPublishers.ofInputStream(() -> new Generated(SIZE, sent)))
                    .header("Content-Type", "application/octet-stream").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(patch.statusCode()).as(patch.body()).isEqualTo(202);
            assertThat(patch.headers().firstValue("Range")).hasValue("0-" + (SIZE - 1));
            String digest = "sha256:" + HexFormat.of().formatHex(sent.digest());
            HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(base
                            + patch.headers().firstValue("Location").orElseThrow() + "?digest=" + digest))
                    .timeout(Duration.ofMinutes(10))
                    .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
            double pushSeconds = (System.nanoTime() - t0) / 1e9;

            long t1 = System.nanoTime();
            HttpResponse<InputStream> get = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/big/blob/blobs/" + digest))
                    .timeout(Duration.ofMinutes(10)).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(get.statusCode()).isEqualTo(200);
            MessageDigest received = MessageDigest.getInstance("SHA-256");
            long count = 0;
            try (InputStream in = get.body()) {
                byte[] buf = new byte[1 << 20];
                int n;
                while ((n = in.read(buf)) > 0) {
                    received.update(buf, 0, n);
                    count += n;
                }
            }
            double pullSeconds = (System.nanoTime() - t1) / 1e9;
            assertThat(count).isEqualTo(SIZE);
            assertThat("sha256:" + HexFormat.of().formatHex(received.digest())).isEqualTo(digest);
            assertThat(registry.isAlive()).isTrue();
            long peakRss = registry.procStatusKib("VmHWM");
            System.out.printf("[memory] 2 GiB blob with -Xmx96m: push %.1f s (%.0f MB/s), pull %.1f s (%.0f MB/s), "
                            + "registry peak RSS %d MiB%n", pushSeconds, SIZE / 1e6 / pushSeconds, pullSeconds,
                    SIZE / 1e6 / pullSeconds, peakRss / 1024);
            assertThat(registry.output()).noneMatch(l -> l.contains("OutOfMemoryError"));
            assertThat(Files.size(data.resolve("storage/blobs/sha256/" + digest.substring(7, 9) + "/" + digest.substring(7))))
                    .isEqualTo(SIZE);
        }
    }

    /** Deterministic pseudo-random bytes of a given length, hashed as they are produced. */
    private static final class Generated extends InputStream {
        private final byte[] block = new byte[1 << 20];
        private final MessageDigest digest;
        private long remaining;

        Generated(long size, MessageDigest digest) {
            new Random(42).nextBytes(block);
            this.remaining = size;
            this.digest = digest;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (remaining == 0) {
                return -1;
            }
            long position = SIZE - remaining;
            int start = (int) (position % block.length);
            int n = (int) Math.min(Math.min(len, block.length - start), remaining);
            System.arraycopy(block, start, b, off, n);
            // vary each block so that the content is not periodic
            if (start == 0 && n >= 8) {
                long index = position / block.length;
                for (int i = 0; i < 8; i++) {
                    b[off + i] ^= (byte) (index >>> (8 * i));
                }
            }
            digest.update(b, off, n);
            remaining -= n;
            return n;
        }

        @Override
        public void close() throws IOException {
            remaining = 0;
        }
    }
}

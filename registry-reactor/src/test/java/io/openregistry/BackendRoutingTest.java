package io.openregistry;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Blobs stay readable when {@code storage.driver} changes: registries on one database and one data
 * directory, started in turn with another driver, read each blob from the backend recorded for it
 * (real filesystem and S3 through S3Proxy), and a blob whose backend is no longer configured
 * answers 503 with a log line naming the settings, not a 500.
 */
class BackendRoutingTest {
    private StorageBackends backends;

    @BeforeEach
    void start() {
        backends = new StorageBackends(null, false);
    }

    @AfterEach
    void stop() throws Exception {
        backends.close();
    }

    @Test
    void blobsAreReadFromTheBackendRecordedForThem() throws Exception {
        byte[] old = StorageBackends.random(300_000);
        byte[] big = StorageBackends.random(6_000_000);
        String oldDigest = StorageBackends.digest(old);
        String bigDigest = StorageBackends.digest(big);
        try (Registry fs = Registry.start(backends.config("filesystem", false, false))) {
            assertThat(backends.push(fs, "app", old)).isEqualTo(201);
        }
        assertThat(backends.file(oldDigest)).exists();

        // the driver becomes s3: the old blob is still read from the filesystem, new ones go to S3
        try (Registry s3 = Registry.start(backends.config("s3", true, false))) {
            assertThat(backends.get(s3, "app", oldDigest).body()).isEqualTo(old);
            assertThat(backends.push(s3, "app", big)).isEqualTo(201);
            assertThat(backends.get(s3, "app", bigDigest).body()).isEqualTo(big);
            assertThat(backends.get(s3, "app", oldDigest).body()).isEqualTo(old);
        }
        assertThat(backends.file(bigDigest)).as("the new blob went to S3").doesNotExist();

        // back to filesystem with the S3 settings kept: both readable, from their own backends
        try (Registry back = Registry.start(backends.config("filesystem", true, false))) {
            assertThat(backends.get(back, "app", bigDigest).body()).isEqualTo(big);
            assertThat(backends.get(back, "app", oldDigest).body()).isEqualTo(old);
            HttpResponse<byte[]> range = backends.send(back, "GET", "/v2/app/blobs/" + bigDigest, null,
                    "Range", "bytes=5000000-5000009");
            assertThat(range.statusCode()).isEqualTo(206);
            assertThat(range.body()).isEqualTo(java.util.Arrays.copyOfRange(big, 5_000_000, 5_000_010));
        }

        // and without them: the S3 blob is a clear 503 (GET and HEAD), the filesystem one still served
        try (LogCapture logs = LogCapture.all();
             Registry bare = Registry.start(backends.config("filesystem", false, false))) {
            HttpResponse<byte[]> get = backends.get(bare, "app", bigDigest);
            assertThat(get.statusCode()).isEqualTo(503);
            String body = new String(get.body(), StandardCharsets.UTF_8);
            assertThat(body).contains("\"code\":\"UNAVAILABLE\"").contains("'s3' backend");
            assertThat(backends.head(bare, "app", bigDigest).statusCode()).isEqualTo(503);
            assertThat(backends.get(bare, "app", oldDigest).body()).isEqualTo(old);
            assertThat(logs.at(Level.WARN)).anySatisfy(line -> assertThat(line)
                    .contains("storage.s3.bucket").contains("sha256:" + bigDigest.substring(7)));
            assertThat(logs.at(Level.WARN)).anySatisfy(line -> assertThat(line)
                    .contains("backends that are not configured").contains("s3=1"));
            assertThat(logs.at(Level.ERROR)).isEmpty();
        }
        assertThat(Files.exists(backends.file(oldDigest))).isTrue();
    }
}

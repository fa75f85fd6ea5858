package io.openregistry;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.config.Config;
import io.openregistry.metadata.BlobRecord;
import io.openregistry.metadata.r2dbc.R2dbcMetadata;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code openregistry storage scrub} against real backends: a blob on the filesystem with a
 * flipped byte and a blob whose S3 object was deleted are both reported, and the exit status is 1;
 * a sound store scrubs clean with 0. Bad arguments exit with 2 and a message.
 */
class StorageScrubTest {
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
    void aCorruptFileAndAMissingObjectAreReported() throws Exception {
        byte[] onS3 = StorageBackends.random(200_000);
        byte[] corrupt = StorageBackends.random(150_000);
        byte[] sound = StorageBackends.random(1_000);
        try (Registry s3 = Registry.start(backends.config("s3", true, false))) {
            assertThat(backends.push(s3, "app", onS3)).isEqualTo(201);
        }
        Config config = backends.config("filesystem", true, false);
        try (Registry fs = Registry.start(config)) {
            assertThat(backends.push(fs, "app", corrupt)).isEqualTo(201);
            assertThat(backends.push(fs, "app", sound)).isEqualTo(201);
        }
        Result clean = run(config, "scrub", "--all");
        assertThat(clean.status).as(clean.out).isZero();
        assertThat(clean.out).contains("3 blobs checked: 3 ok, 0 missing, 0 corrupt");

        Path file = backends.file(StorageBackends.digest(corrupt));
        byte[] rotten = Files.readAllBytes(file);
        rotten[12_345] ^= 1;
        Files.write(file, rotten);
        Files.delete(backends.s3.objectFile("registry", locationOf(config, StorageBackends.digest(onS3))));

        Result bad = run(config, "scrub", "--all");
        assertThat(bad.status).as(bad.out + bad.err).isEqualTo(1);
        assertThat(bad.out).contains("MISSING " + StorageBackends.digest(onS3))
                .contains("CORRUPT " + StorageBackends.digest(corrupt))
                .doesNotContain(StorageBackends.digest(sound))
                .contains("3 blobs checked: 1 ok, 1 missing, 1 corrupt");
        Result sampled = run(config, "scrub", "--sample", "10");
        assertThat(sampled.status).isEqualTo(1);
        assertThat(sampled.out).contains("3 blobs checked: 1 ok, 1 missing, 1 corrupt");
    }

    /** The scrub inside the server (storage.scrub.*) counts what it finds in its metrics. */
    @Test
    void theServersScrubCountsInItsMetrics() throws Exception {
        byte[] corrupt = StorageBackends.random(150_000);
        byte[] sound = StorageBackends.random(1_000);
        try (Registry fs = Registry.start(backends.config("filesystem", false, false))) {
            assertThat(backends.push(fs, "app", corrupt)).isEqualTo(201);
            assertThat(backends.push(fs, "app", sound)).isEqualTo(201);
            Path file = backends.file(StorageBackends.digest(corrupt));
            byte[] rotten = Files.readAllBytes(file);
            rotten[0] ^= 1;
            Files.write(file, rotten);
            assertThat(fs.scrubOnce().block(java.time.Duration.ofMinutes(1))).isTrue();
            java.net.http.HttpResponse<String> metrics = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + fs.adminPort()
                            + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.body()).contains("openregistry_storage_scrub_blobs_total{result=\"corrupt\"} 1.0")
                    .contains("openregistry_storage_scrub_blobs_total{result=\"ok\"} 1.0")
                    .contains("openregistry_storage_scrub_blobs_total{result=\"missing\"} 0.0");
        }
    }

    @Test
    void badArgumentsExitWithTwoAndSayWhy() {
        Config config = backends.config("filesystem", false, false);
        for (List<String> args : List.<List<String>>of(List.of(), List.of("bogus"), List.of("scrub", "--sample", "x"),
                List.of("scrub", "--sample"), List.of("scrub", "--to", "s3"), List.of("migrate"),
                List.of("migrate", "--to", "ftp"), List.of("migrate", "--to", "s3", "--all"))) {
            Result r = run(config, args.toArray(String[]::new));
            assertThat(r.status).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err).as(String.join(" ", args)).isNotBlank();
        }
        // a target that is not configured is a readable error too, not a stack trace
        Result unconfigured = run(config, "migrate", "--to", "ipfs");
        assertThat(unconfigured.status).isEqualTo(2);
        assertThat(unconfigured.err).contains("--to ipfs: that backend is not configured").contains("storage.ipfs.api");
    }

    @Test
    void helpListsTheStorageCommands() {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            Main.main(new String[] {"--help"});
        } finally {
            System.setOut(saved);
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("openregistry storage scrub")
                .contains("openregistry storage migrate --to");
    }

    private static String locationOf(Config config, String digest) {
        try (R2dbcMetadata metadata = R2dbcMetadata.open(config.database())) {
            BlobRecord blob = metadata.placements().page(null, null, 100)
                    .filter(b -> b.digest().toString().equals(digest)).blockFirst();
            assertThat(blob.backend()).isEqualTo("s3");
            return blob.location();
        }
    }

    record Result(int status, String out, String err) {
    }

    static Result run(Config config, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = StorageCommand.run(args, config, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}

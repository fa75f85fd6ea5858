package io.openregistry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.openregistry.config.Config;
import io.openregistry.maintenance.Reconciler;
import io.openregistry.metadata.r2dbc.R2dbcMetadata;
import io.openregistry.oci.Digest;
import io.openregistry.storage.BackendRouter;
import io.openregistry.storage.fs.FilesystemBlobStore;
import io.openregistry.storage.s3.S3ProxyServer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import io.netty.buffer.Unpooled;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * {@code openregistry storage reconcile} against the real filesystem store and database: an old
 * file no row names is removed and a pushed blob kept; a file whose digest a commit is committing
 * (a live intent) is kept; a file that is not of the store's layout is never touched; a staged
 * upload without a session is removed and one with a session kept; a dry run removes nothing and
 * reports the same; the grace period keeps young files.
 */
class StorageReconcileTest {
    private static final FileTime OLD = FileTime.from(Instant.now().minus(Duration.ofDays(3)));
    private StorageBackends backends;

    @BeforeEach
    void start() {
        backends = new StorageBackends(null, false);
    }

    @AfterEach
    void stop() throws Exception {
        backends.close();
    }

    /**
     * On H2 and on PostgreSQL. The commit in progress only on PostgreSQL: an H2 file is open in one
     * process at a time, and opening it drops every intent (their commits ended with that process).
     */
    @ParameterizedTest(name = "postgres={0}")
    @ValueSource(booleans = {false, true})
    void unnamedFilesAndSessionlessUploadsAreRemovedNamedOnesKept(boolean postgres) throws Exception {
        if (postgres) {
            backends.close();
            backends = new StorageBackends(null, true);
        }
        byte[] pushed = StorageBackends.random(10_000);
        Config config = backends.config("filesystem", false, false);
        String session;
        try (Registry fs = Registry.start(config)) {
            assertThat(backends.push(fs, "app", pushed)).isEqualTo(201);
            HttpResponse<byte[]> post = backends.send(fs, "POST", "/v2/app/blobs/uploads/", null);
            assertThat(post.statusCode()).isEqualTo(202);
            String location = post.headers().firstValue("Location").orElseThrow();
            session = location.substring(location.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
            assertThat(backends.send(fs, "PATCH", location.replaceFirst("^https?://[^/]+", ""), new byte[] {1, 2, 3},
                    "Content-Type", "application/octet-stream").statusCode()).isEqualTo(202);
        }
        Path named = backends.file(StorageBackends.digest(pushed));
        Files.setLastModifiedTime(named, OLD);
        byte[] orphan = StorageBackends.random(5_000);
        Path unnamed = plant(StorageBackends.digest(orphan), orphan);
        byte[] committing = StorageBackends.random(3_000);
        Path intended = postgres ? plant(StorageBackends.digest(committing), committing) : named;
        Path foreign = backends.dir.resolve("storage/blobs/notes.txt");
        Files.writeString(foreign, "not the registry's");
        Files.setLastModifiedTime(foreign, OLD);
        Path uploads = backends.dir.resolve("storage/uploads");
        Path live = uploads.resolve(session);
        assertThat(live).exists();
        Files.setLastModifiedTime(live, OLD);
        Path abandoned = uploads.resolve("abandoned-upload");
        Files.write(abandoned, new byte[700]);
        Files.setLastModifiedTime(abandoned, OLD);
        if (postgres) {
            try (R2dbcMetadata metadata = R2dbcMetadata.open(config.database())) {
                assertThat(metadata.blobs().intend(Digest.parse(StorageBackends.digest(committing)), "test-commit",
                        Duration.ofMinutes(10)).block()).isTrue();
            }
        }

        StorageScrubTest.Result dry = StorageScrubTest.run(config, "reconcile", "--dry-run");
        assertThat(dry.status()).as(dry.out() + dry.err()).isZero();
        assertThat(dry.out()).contains("would remove blob filesystem " + location(orphan) + " (5000 bytes)")
                .contains("would remove staged upload filesystem abandoned-upload (700 bytes)")
                .contains("1 unnamed blobs (5000 bytes), 1 staged uploads without a session (700 bytes)")
                .doesNotContain(location(pushed)).doesNotContain(location(committing)).doesNotContain(session);
        assertThat(List.of(named, unnamed, intended, foreign, live, abandoned)).allMatch(Files::exists);

        StorageScrubTest.Result run = StorageScrubTest.run(config, "reconcile");
        assertThat(run.status()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("removed blob filesystem " + location(orphan) + " (5000 bytes)")
                .contains("removed staged upload filesystem abandoned-upload (700 bytes)")
                .contains("1 unnamed blobs (5000 bytes), 1 staged uploads without a session (700 bytes), 0 multipart uploads without a session, "
                        + (postgres ? 2 : 1) + " kept, 0 failed");
        assertThat(unnamed).doesNotExist();
        assertThat(abandoned).doesNotExist();
        assertThat(List.of(named, intended, foreign, live)).allMatch(Files::exists);
        // nothing parked aside is left behind
        try (var aside = Files.list(backends.dir.resolve("storage/reconcile"))) {
            assertThat(aside).isEmpty();
        }
        try (Registry fs = Registry.start(config)) {
            assertThat(backends.get(fs, "app", StorageBackends.digest(pushed)).body()).isEqualTo(pushed);
        }
        StorageScrubTest.Result again = StorageScrubTest.run(config, "reconcile");
        assertThat(again.out()).contains("0 unnamed blobs (0 bytes), 0 staged uploads without a session (0 bytes)");
    }

    /** Young files and uploads stay, however unnamed: the grace period is the commit's window. */
    @Test
    void theGracePeriodKeepsYoungObjects() throws Exception {
        Config config = backends.config("filesystem", false, false);
        byte[] orphan = StorageBackends.random(2_000);
        Path young = plant(StorageBackends.digest(orphan), orphan);
        Files.setLastModifiedTime(young, FileTime.from(Instant.now()));
        Path staged = backends.dir.resolve("storage/uploads/young-upload");
        Files.createDirectories(staged.getParent());
        Files.write(staged, new byte[10]);
        Scheduler io = Schedulers.newBoundedElastic(2, 100, "reconcile-test");
        try (R2dbcMetadata metadata = R2dbcMetadata.open(config.database())) {
            BackendRouter stores = new BackendRouter(new FilesystemBlobStore(backends.dir.resolve("storage"), io),
                    List.of());
            Reconciler reconciler = new Reconciler(metadata.placements(), stores, new SimpleMeterRegistry());
            Instant hourAgo = Instant.now().minus(Duration.ofHours(1));
            List<String> lines = new ArrayList<>();
            Reconciler.Report kept = reconciler.reconcile(hourAgo, hourAgo, false, lines::add)
                    .block(Duration.ofMinutes(1));
            assertThat(kept.blobs()).isZero();
            assertThat(kept.staged()).isZero();
            assertThat(lines).isEmpty();
            assertThat(young).exists();
            assertThat(staged).exists();
            // zero grace: the same files go
            Instant later = Instant.now().plusSeconds(1);
            Reconciler.Report removed = reconciler.reconcile(later, later, false, lines::add).block(Duration.ofMinutes(1));
            assertThat(removed.blobs()).isEqualTo(1);
            assertThat(removed.staged()).isEqualTo(1);
            assertThat(young).doesNotExist();
            assertThat(staged).doesNotExist();
        } finally {
            io.dispose();
        }
    }

    /**
     * S3: an unnamed content-addressed object and an unnamed per-upload object are removed, the
     * pushed blobs (one of each kind) and objects outside the registry's layout kept; the multipart
     * upload of an upload whose session is gone is aborted with its helper objects, a live
     * session's one survives. Zero grace (the cutoffs are a second ahead) instead of waiting.
     */
    @Test
    void s3ObjectsAndMultipartUploads() throws Exception {
        Config config = backends.config("s3", true, false);
        byte[] small = StorageBackends.random(2_000);
        byte[] big = StorageBackends.random(6 << 20);
        String gone;
        String live;
        try (Registry s3 = Registry.start(config)) {
            assertThat(backends.push(s3, "app", small)).isEqualTo(201);
            assertThat(backends.push(s3, "app", big)).isEqualTo(201);
            gone = multipartUpload(s3);
            live = multipartUpload(s3);
        }
        String goneMultipart = marker(gone);
        String liveMultipart = marker(live);
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:h2:file:" + backends.dir.resolve("db/registry"),
                "sa", "");
             java.sql.PreparedStatement st = c.prepareStatement("DELETE FROM uploads WHERE id = ?")) {
            st.setString(1, gone);
            assertThat(st.executeUpdate()).isOne();
        }
        try (S3AsyncClient raw = S3AsyncClient.builder().endpointOverride(backends.s3.endpoint()).region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(() -> AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED).build()) {
            byte[] orphan = StorageBackends.random(3_000);
            String orphanKey = "blobs/sha256/" + StorageBackends.digest(orphan).substring(7);
            String strayKey = "blobs/uploads/crashed-upload/1";
            for (String key : List.of(orphanKey, strayKey, "other/thing", "blobs/notes.txt")) {
                raw.putObject(b -> b.bucket("registry").key(key), AsyncRequestBody.fromBytes(orphan)).join();
            }
            List<String> before = keys(raw);
            assertThat(before).contains("uploads/" + gone + "/multipart", "uploads/" + live + "/multipart");

            Scheduler io = Schedulers.newBoundedElastic(4, 100, "reconcile-test");
            List<AutoCloseable> closeables = new ArrayList<>();
            try (R2dbcMetadata metadata = R2dbcMetadata.open(config.database())) {
                BackendRouter stores = StorageWiring.open(config.storage(), io, new SimpleMeterRegistry(), closeables);
                Reconciler reconciler = new Reconciler(metadata.placements(), stores, new SimpleMeterRegistry());
                Instant later = Instant.now().plusSeconds(1);
                List<String> dryLines = new ArrayList<>();
                Reconciler.Report dry = reconciler.reconcile(later, later, true, dryLines::add).block(Duration.ofMinutes(1));
                assertThat(keys(raw)).isEqualTo(before);
                List<String> lines = new ArrayList<>();
                Reconciler.Report report = reconciler.reconcile(later, later, false, lines::add)
                        .block(Duration.ofMinutes(1));
                assertThat(report).isEqualTo(dry);
                assertThat(lines).isEqualTo(dryLines.stream().map(l -> l.replace("would remove", "removed")).toList());
                assertThat(report.blobs()).as(lines.toString()).isEqualTo(2);
                assertThat(report.blobBytes()).isEqualTo(6_000);
                assertThat(report.multipart()).as(lines.toString()).isEqualTo(1);
                assertThat(report.failed()).isZero();
                assertThat(lines).contains("removed blob s3 " + orphanKey + " (3000 bytes)",
                        "removed blob s3 " + strayKey + " (3000 bytes)");
                assertThat(lines).anyMatch(l -> l.startsWith("removed multipart upload s3 " + gone + " "));
            } finally {
                for (AutoCloseable c : closeables) {
                    c.close();
                }
                io.dispose();
            }
            List<String> after = keys(raw);
            assertThat(after).doesNotContain(orphanKey, strayKey).contains("other/thing", "blobs/notes.txt")
                    .contains("uploads/" + live + "/multipart")
                    .noneMatch(k -> k.contains(gone))
                    .noneMatch(k -> k.startsWith("reconcile/"));
            assertThat(raw.listParts(b -> b.bucket("registry").key("blobs/uploads/" + live + "/1")
                    .uploadId(liveMultipart)).join().parts()).isNotEmpty();
            // S3Proxy answers ListParts of an aborted upload with no parts (AWS: NoSuchUpload)
            assertThat(raw.listParts(b -> b.bucket("registry").key("blobs/uploads/" + gone + "/1")
                    .uploadId(goneMultipart)).handle((r, e) -> e != null || r.parts().isEmpty()).join()).isTrue();
        }
        try (Registry s3 = Registry.start(config)) {
            assertThat(backends.get(s3, "app", StorageBackends.digest(small)).body()).isEqualTo(small);
            assertThat(backends.get(s3, "app", StorageBackends.digest(big)).body()).isEqualTo(big);
        }
    }

    /** An upload with a multipart upload open: a small first PATCH, then a part's worth. @return its id */
    private String multipartUpload(Registry registry) {
        HttpResponse<byte[]> post = backends.send(registry, "POST", "/v2/app/blobs/uploads/", null);
        assertThat(post.statusCode()).isEqualTo(202);
        String location = post.headers().firstValue("Location").orElseThrow().replaceFirst("^https?://[^/]+", "");
        assertThat(backends.send(registry, "PATCH", location, new byte[1000], "Content-Type", "application/octet-stream",
                "Content-Range", "0-999").statusCode()).isEqualTo(202);
        assertThat(backends.send(registry, "PATCH", location, new byte[6 << 20], "Content-Type",
                "application/octet-stream", "Content-Range", "1000-" + (1000 + (6 << 20) - 1)).statusCode()).isEqualTo(202);
        return location.substring(location.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
    }

    /** The S3 upload id the marker of an upload names. */
    private String marker(String uploadId) throws Exception {
        String[] fields = Files.readString(backends.s3.objectFile("registry", "uploads/" + uploadId + "/multipart"))
                .trim().split(" ");
        assertThat(fields).hasSize(2);
        assertThat(fields[1]).isNotEqualTo("-");
        return fields[1];
    }

    private static List<String> keys(S3AsyncClient raw) {
        List<String> keys = new ArrayList<>();
        raw.listObjectsV2Paginator(b -> b.bucket("registry")).contents().subscribe(o -> keys.add(o.key())).join();
        return keys;
    }

    /** The reconciliation inside the server (storage.reconcile.*) counts what it removes in its metrics. */
    @Test
    void theServersReconcileCountsInItsMetrics() throws Exception {
        Config config = backends.config("filesystem", false, false);
        try (Registry fs = Registry.start(config)) {
            byte[] orphan = StorageBackends.random(4_321);
            Path unnamed = plant(StorageBackends.digest(orphan), orphan);
            assertThat(fs.reconcileOnce().block(Duration.ofMinutes(1))).isTrue();
            assertThat(unnamed).doesNotExist();
            HttpResponse<String> metrics = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + fs.adminPort()
                            + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.body()).contains("openregistry_storage_reconcile_objects_total{kind=\"blob\"} 1.0")
                    .contains("openregistry_storage_reconcile_objects_total{kind=\"multipart\"} 0.0")
                    .contains("openregistry_storage_reconcile_bytes_total{kind=\"blob\"} 4321.0");
        }
    }

    /**
     * The move-aside protocol of {@code removeUnnamed}, on the filesystem and on S3: the object is
     * out of reach while the second check runs (a commit of the same content then stores fresh
     * bytes, as one does here inside the check), and a check answering "named" puts it back, or
     * leaves the fresh copy; only an "unnamed" answer removes it. Nothing stays aside.
     */
    @Test
    void removeUnnamedMovesAsideChecksAndPutsBack() throws Exception {
        Config config = backends.config("filesystem", true, false);
        Scheduler io = Schedulers.newBoundedElastic(4, 100, "reconcile-test");
        List<AutoCloseable> closeables = new ArrayList<>();
        try {
            BackendRouter stores = StorageWiring.open(config.storage(), io, new SimpleMeterRegistry(), closeables);
            for (String backend : List.of("filesystem", "s3")) {
                io.openregistry.storage.BlobStore store = stores.storeFor(backend);
                byte[] content = StorageBackends.random(4_000);
                Digest digest = Digest.parse(StorageBackends.digest(content));
                String location = commit(store, "first-" + backend, content, digest);
                if (backend.equals("s3")) {
                    // the per-upload key of small blobs is the content-addressed one
                    assertThat(location).startsWith("blobs/sha256/");
                }
                // named at the second check: put back
                assertThat(store.removeUnnamed(location, Mono.just(false)).block()).isFalse();
                assertThat(read(store, location, content.length)).isEqualTo(content);
                // a commit of the same content while the object is aside: it finds it absent and
                // stores its own copy; the check then sees its row (here: answers "named")
                Mono<Boolean> commitMeanwhile = Mono.defer(() -> Mono.fromCallable(() -> {
                    assertThat(commit(store, "second-" + backend, content, digest)).isEqualTo(location);
                    return false;
                }).subscribeOn(Schedulers.boundedElastic()));
                assertThat(store.removeUnnamed(location, commitMeanwhile).block()).isFalse();
                assertThat(read(store, location, content.length)).isEqualTo(content);
                // the check fails, or the removal is cancelled (shutdown): put back
                assertThatThrownBy(() -> store.removeUnnamed(location,
                        Mono.error(new IllegalStateException("died"))).block()).hasMessageContaining("died");
                assertThat(read(store, location, content.length)).isEqualTo(content);
                assertThat(store.removeUnnamed(location, Mono.never()).timeout(Duration.ofSeconds(2),
                        Mono.just(false)).block()).isFalse();
                assertThat(store.list().map(o -> o.location()).collectList().block()).contains(location);
                assertThat(read(store, location, content.length)).isEqualTo(content);
                // a process that died while the object was aside (moved there behind the store's
                // back, as the store names it): the next listing puts it back
                Path file = backend.equals("s3") ? backends.s3.objectFile("registry", location)
                        : backends.dir.resolve("storage").resolve(location);
                String[] parts = location.split("/");
                Path aside = backend.equals("s3")
                        ? backends.s3.objectFile("registry", "reconcile/" + location.substring(6) + "/crashed")
                        : backends.dir.resolve("storage/reconcile/" + parts[1] + "-" + parts[3] + ".crashed");
                Files.createDirectories(aside.getParent());
                Files.move(file, aside);
                assertThat(store.list().map(o -> o.location()).collectList().block()).contains(location);
                assertThat(read(store, location, content.length)).isEqualTo(content);
                assertThat(aside).doesNotExist();
                // unnamed: gone
                assertThat(store.removeUnnamed(location, Mono.just(true)).block()).isTrue();
                assertThat(store.list().map(o -> o.location()).collectList().block()).doesNotContain(location);
                // already gone: nothing to remove
                assertThat(store.removeUnnamed(location, Mono.just(true)).block()).isFalse();
            }
            try (var aside = Files.list(backends.dir.resolve("storage/reconcile"))) {
                assertThat(aside).isEmpty();
            }
        } finally {
            for (AutoCloseable c : closeables) {
                c.close();
            }
            io.dispose();
        }
    }

    private static String commit(io.openregistry.storage.BlobStore store, String uploadId, byte[] content, Digest digest) {
        store.append(uploadId, 0, Flux.just(Unpooled.wrappedBuffer(content))).block(Duration.ofMinutes(1));
        return store.commit(uploadId, digest, content.length).block(Duration.ofMinutes(1));
    }

    private static byte[] read(io.openregistry.storage.BlobStore store, String location, int length) {
        return store.read(location, 0, length).collectList().map(buffers -> {
            byte[] out = new byte[length];
            int at = 0;
            for (var b : buffers) {
                int n = b.readableBytes();
                b.readBytes(out, at, n);
                at += n;
                b.release();
            }
            return out;
        }).block(Duration.ofMinutes(1));
    }

    @Test
    void reconcileArgumentsAndHelp() {
        Config config = backends.config("filesystem", false, false);
        StorageScrubTest.Result bad = StorageScrubTest.run(config, "reconcile", "--all");
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err()).contains("unexpected argument '--all' for storage reconcile");
        StorageScrubTest.Result none = StorageScrubTest.run(config, "reconcile");
        assertThat(none.status()).as(none.err()).isZero();
        assertThat(StorageCommand.USAGE).contains("openregistry storage reconcile [--dry-run]");
    }

    private String location(byte[] content) {
        return backends.dir.resolve("storage").relativize(backends.file(StorageBackends.digest(content))).toString()
                .replace('\\', '/');
    }

    /** A blob file in the store's layout, as a commit whose database transaction failed leaves it. */
    private Path plant(String digest, byte[] content) throws Exception {
        Path file = backends.file(digest);
        Files.createDirectories(file.getParent());
        Files.write(file, content);
        Files.setLastModifiedTime(file, OLD);
        return file;
    }
}

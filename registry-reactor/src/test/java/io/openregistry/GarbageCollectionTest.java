package io.openregistry;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.config.Config;
import io.openregistry.maintenance.GarbageCollector;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Online garbage collection against a whole registry (HTTP pushes and pulls, real database and
 * filesystem), on H2 and PostgreSQL: each step, the untagged-manifest rules, the grace of links,
 * the dry run, the admin endpoint and the command, and a client re-pushing a blob while
 * collections with a zero grace sweep it.
 */
class GarbageCollectionTest {
    private static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private static final String INDEX = "application/vnd.oci.image.index.v1+json";
    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    /** Collect untagged manifests older than a second, and links and orphans at once. */
    private static final Config.Gc EAGER = new Config.Gc(Duration.ZERO, Duration.ZERO, Duration.ofSeconds(1), 3);
    /** Everything young is kept. */
    private static final Config.Gc PATIENT = new Config.Gc(Duration.ZERO, Duration.ofHours(1), Duration.ofHours(1), 3);

    private final HttpClient http = HttpClient.newHttpClient();

    enum Db { H2, POSTGRES }

    @BeforeAll
    static void blockHound() {
        RegistryServer.installBlockHound();
    }

    /** A registry on a fresh data directory (and a fresh PostgreSQL); closes both. */
    static final class Server implements AutoCloseable {
        final Path dir;
        final EmbeddedPostgres pg;
        final Config config;
        final Registry registry;

        Server(Db db, Config.Gc gc) {
            try {
                dir = Files.createTempDirectory("openregistry-gc");
                pg = db == Db.POSTGRES ? EmbeddedPostgres.builder().start() : null;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Config.Database database = pg != null
                    ? new Config.Database("r2dbc:postgresql://localhost:" + pg.getPort() + "/postgres", "postgres",
                            "postgres", 10)
                    : new Config.Database("r2dbc:h2:file:///" + dir.resolve("db/registry"), null, null, 10);
            config = new Config(new Config.Http(InetSocketAddress.createUnresolved("127.0.0.1", 0)),
                    new Config.Storage("filesystem", dir), database, new Config.Manifests(256 * 1024),
                    new Config.Uploads(1024 * 1024, Duration.ofDays(1), Config.Uploads.DEFAULT_MAX_BLOB_BYTES, 100_000,
                            100_000),
                    new Config.Log("INFO"), new Config.Admin(InetSocketAddress.createUnresolved("127.0.0.1", 0)))
                    .withGc(gc);
            registry = Registry.start(config);
        }

        String url(String path) {
            return "http://127.0.0.1:" + registry.port() + path;
        }

        String admin(String path) {
            return "http://127.0.0.1:" + registry.adminPort() + path;
        }

        GarbageCollector.Report gc(boolean dryRun, Config.Gc settings) {
            GarbageCollector.Report report = registry.collectGarbage(dryRun, settings).block(TIMEOUT);
            // one caller at a time here: a run of this replica has always ended when the next begins
            assertThat(report).as("the previous run had not ended").isNotNull();
            return report;
        }

        /** The stored blob files (the filesystem backend's layout). */
        long blobFiles() throws IOException {
            Path blobs = dir.resolve("storage/blobs");
            if (!Files.exists(blobs)) {
                return 0;
            }
            try (Stream<Path> files = Files.walk(blobs)) {
                return files.filter(Files::isRegularFile).count();
            }
        }

        @Override
        public void close() throws IOException {
            registry.close();
            if (pg != null) {
                pg.close();
            }
            RegistryServer.deleteTree(dir);
        }
    }

    @ParameterizedTest
    @EnumSource(Db.class)
    void untaggedManifestRulesAndTheThreeSteps(Db db) throws Exception {
        try (Server s = new Server(db, Config.Gc.defaults())) {
            byte[] config = json("{\"architecture\":\"amd64\",\"os\":\"linux\"}");
            byte[] shared = random(3000);
            byte[] onlyB = random(4000);
            byte[] onlyY = random(5000);
            for (byte[] b : List.of(config, shared, onlyB, onlyY)) {
                assertThat(pushBlob(s, "app", b, 0)).isEqualTo(201);
            }
            byte[] a = image(config, null, "a", shared);
            byte[] b = image(config, null, "b", onlyB);
            byte[] x = image(config, null, "x", shared);
            byte[] y = image(config, null, "y", onlyY);
            byte[] index = index(x);
            byte[] j = index(y);
            byte[] ofA = image(config, a, "referrer of a");
            byte[] ofB = image(config, b, "referrer of b");
            assertThat(putManifest(s, "app", "a", MANIFEST, a)).isEqualTo(201);
            assertThat(putManifest(s, "app", digest(b), MANIFEST, b)).isEqualTo(201);
            assertThat(putManifest(s, "app", digest(x), MANIFEST, x)).isEqualTo(201);
            assertThat(putManifest(s, "app", digest(y), MANIFEST, y)).isEqualTo(201);
            assertThat(putManifest(s, "app", "idx", INDEX, index)).isEqualTo(201);
            assertThat(putManifest(s, "app", digest(j), INDEX, j)).isEqualTo(201);
            assertThat(putManifest(s, "app", digest(ofA), MANIFEST, ofA)).isEqualTo(201);
            assertThat(putManifest(s, "app", digest(ofB), MANIFEST, ofB)).isEqualTo(201);
            long filesBefore = s.blobFiles();

            // young: nothing goes
            GarbageCollector.Report young = s.gc(false, PATIENT);
            assertThat(young.manifests() + young.links() + young.blobs()).isZero();
            Thread.sleep(1200); // the manifests are now older than EAGER's second

            // the dry run counts and changes nothing: b and j (their dependants only in later
            // passes of a real run), and no links or blobs yet
            GarbageCollector.Report dry = s.gc(true, EAGER);
            assertThat(dry.dryRun()).isTrue();
            assertThat(dry.manifests()).isEqualTo(2);
            assertThat(dry.manifestBytes()).isEqualTo(b.length + j.length);
            for (byte[] m : List.of(a, b, x, y, index, j, ofA, ofB)) {
                assertThat(getManifest(s, "app", digest(m))).isEqualTo(200);
            }
            for (byte[] blob : List.of(config, shared, onlyB, onlyY)) {
                assertThat(getBlob(s, "app", blob)).isTrue();
            }
            assertThat(s.blobFiles()).isEqualTo(filesBefore);

            GarbageCollector.Report run = s.gc(false, EAGER);
            assertThat(run.dryRun()).isFalse();
            // b, its referrer, the untagged index j and then its child y
            assertThat(run.manifests()).isEqualTo(4);
            assertThat(run.links()).isEqualTo(2);
            assertThat(run.linkBytes()).isEqualTo(onlyB.length + onlyY.length);
            assertThat(run.blobs()).isEqualTo(2);
            assertThat(run.blobBytes()).isEqualTo(onlyB.length + onlyY.length);
            for (byte[] kept : List.of(a, x, index, ofA)) {
                assertThat(getManifest(s, "app", digest(kept))).as("kept").isEqualTo(200);
            }
            for (byte[] gone : List.of(b, ofB, j, y)) {
                assertThat(getManifest(s, "app", digest(gone))).as("deleted").isEqualTo(404);
            }
            assertThat(getManifest(s, "app", "a")).isEqualTo(200);
            assertThat(getManifest(s, "app", "idx")).isEqualTo(200);
            assertThat(getBlob(s, "app", config)).isTrue();
            assertThat(getBlob(s, "app", shared)).isTrue();
            assertThat(getBlob(s, "app", onlyB)).isFalse();
            assertThat(getBlob(s, "app", onlyY)).isFalse();
            assertThat(s.blobFiles()).isEqualTo(filesBefore - 2);

            // nothing left to do
            GarbageCollector.Report again = s.gc(false, EAGER);
            assertThat(again.manifests() + again.links() + again.blobs()).isZero();
            String metrics = get(s.admin("/metrics")).body();
            assertThat(metrics).contains("openregistry_gc_manifests_deleted_total 4.0")
                    .contains("openregistry_gc_links_removed_total 2.0")
                    .contains("openregistry_gc_blobs_swept_total 2.0")
                    .contains("openregistry_gc_bytes_freed_bytes_total " + (onlyB.length + onlyY.length) + ".0")
                    .contains("openregistry_gc_runs_total{outcome=\"dry-run\"} 1.0")
                    .contains("openregistry_gc_runs_total{outcome=\"success\"} 3.0");
        }
    }

    /** A blob no manifest names keeps its link for the grace; after it, link and bytes go. */
    @ParameterizedTest
    @EnumSource(Db.class)
    void aLinkWithoutAManifestGoesOnlyAfterTheGrace(Db db) throws Exception {
        try (Server s = new Server(db, Config.Gc.defaults())) {
            byte[] lonely = random(10_000);
            byte[] used = random(2_000);
            byte[] config = json("{}");
            assertThat(pushBlob(s, "one", lonely, 0)).isEqualTo(201);
            assertThat(pushBlob(s, "two", lonely, 1)).isEqualTo(201);
            assertThat(pushBlob(s, "one", used, 2)).isEqualTo(201);
            assertThat(pushBlob(s, "one", config, 0)).isEqualTo(201);
            // "two" names lonely in a manifest; "one" does not
            assertThat(pushBlob(s, "two", config, 0)).isEqualTo(201);
            assertThat(putManifest(s, "two", "t", MANIFEST, image(config, null, "t", lonely))).isEqualTo(201);
            assertThat(putManifest(s, "one", "u", MANIFEST, image(config, null, "u", used))).isEqualTo(201);

            GarbageCollector.Report within = s.gc(false, PATIENT);
            assertThat(within.links()).isZero();
            assertThat(getBlob(s, "one", lonely)).isTrue();

            GarbageCollector.Report after = s.gc(false, EAGER);
            assertThat(after.links()).isEqualTo(1);
            assertThat(after.blobs()).isZero(); // "two" still links and names it
            assertThat(getBlob(s, "one", lonely)).isFalse();
            assertThat(getBlob(s, "two", lonely)).isTrue();
            assertThat(getBlob(s, "one", used)).isTrue();

            // a push refreshes the link's time: the grace counts from it again
            assertThat(pushBlob(s, "one", lonely, 0)).isEqualTo(201);
            assertThat(s.gc(false, PATIENT).links()).isZero();
            assertThat(getBlob(s, "one", lonely)).isTrue();
        }
    }

    @Test
    void theAdminEndpointRunsItAndTheDryRunDeletesNothing() throws Exception {
        try (Server s = new Server(Db.H2, EAGER)) {
            byte[] lonely = random(7_000);
            assertThat(pushBlob(s, "app", lonely, 0)).isEqualTo(201);
            HttpResponse<String> dry = post(s.admin("/gc?dryRun=true"));
            assertThat(dry.statusCode()).isEqualTo(200);
            assertThat(dry.headers().firstValue("content-type")).hasValue("application/json");
            assertThat(dry.body()).contains("\"dryRun\":true").contains("\"links\":{")
                    .contains("\"removed\":1");
            assertThat(getBlob(s, "app", lonely)).isTrue();
            // a mistyped dry run is a 400, never a real run
            HttpResponse<String> typo = post(s.admin("/gc?dryRun=yes"));
            assertThat(typo.statusCode()).isEqualTo(400);
            assertThat(typo.body()).contains("dryRun must be true or false");
            assertThat(getBlob(s, "app", lonely)).isTrue();
            HttpResponse<String> run = post(s.admin("/gc"));
            assertThat(run.statusCode()).isEqualTo(200);
            assertThat(run.body()).contains("\"dryRun\":false").contains("\"bytesFreed\":7000");
            assertThat(getBlob(s, "app", lonely)).isFalse();
            assertThat(get(s.admin("/gc")).statusCode()).isEqualTo(404);
            // without access control the API listener has no /auth/gc
            assertThat(post(s.url("/auth/gc")).statusCode()).isEqualTo(404);
        }
    }

    @Test
    void theCommandRunsItDryOrNotAndRefusesBadArguments() throws Exception {
        Config config;
        byte[] lonely = random(6_000);
        try (Server s = new Server(Db.H2, EAGER)) {
            assertThat(pushBlob(s, "app", lonely, 0)).isEqualTo(201);
            config = s.config;
            // (another process would find the H2 file locked; in this JVM H2 shares the open database)
            s.registry.close();
            Result dry = run(config, "--dry-run");
            assertThat(dry.status).as(dry.err).isZero();
            assertThat(dry.out).contains("dry run").contains("gc: links 1 (6000 bytes)").contains("would delete");
            Result real = run(config);
            assertThat(real.status).as(real.err).isZero();
            assertThat(real.out).contains("gc: links 1 (6000 bytes)").contains("gc: blobs 1 (6000 bytes)");
            Result nothing = run(config);
            assertThat(nothing.out).contains("gc: blobs 0 (0 bytes)");
            Result bad = run(config, "--bogus");
            assertThat(bad.status).isEqualTo(2);
            assertThat(bad.err).contains("unexpected argument '--bogus'").contains(GcCommand.USAGE);
            assertThat(s.blobFiles()).isZero();
        }
    }

    /**
     * A client pushes the same blob again and again (monolithic, POST+PUT, POST+PATCH+PUT) while
     * collections with a zero grace unlink and sweep it: every push succeeds or fails cleanly
     * with an OCI error, and whenever the blob answers it answers whole; never a row without bytes.
     */
    @ParameterizedTest
    @EnumSource(Db.class)
    void aBlobRepushedWhileTheCollectorSweepsItIsNeverHalfThere(Db db) throws Exception {
        int rounds = db == Db.H2 ? 1000 : 200;
        try (Server s = new Server(db, EAGER)) {
            byte[] blob = random(20_000);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong collections = new AtomicLong();
            AtomicLong swept = new AtomicLong();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread collector = collector(stop, failed, () -> {
                GarbageCollector.Report r = s.gc(false, EAGER);
                collections.incrementAndGet();
                swept.addAndGet(r.blobs());
            });
            collector.start();
            int pushed = 0;
            try {
                for (int i = 0; i < rounds; i++) {
                    int status = pushBlob(s, "race", blob, i % 3);
                    if (status == 201) {
                        pushed++;
                    } else {
                        // only a commit that waited out a deletion longer than BlobCollector.DELETION_WAIT may
                        // fail, and it says "try again" (503); a 500 would be a bug
                        assertThat(status).as("a failed push is a retryable 503").isEqualTo(503);
                    }
                    HttpResponse<byte[]> got = http.send(HttpRequest.newBuilder(URI.create(
                            s.url("/v2/race/blobs/" + digest(blob)))).build(), HttpResponse.BodyHandlers.ofByteArray());
                    assertThat(got.statusCode()).isIn(200, 404);
                    if (got.statusCode() == 200) {
                        assertThat(got.body()).as("round " + i).isEqualTo(blob);
                    }
                }
            } finally {
                stop.set(true);
                collector.join();
            }
            assertThat(failed.get()).as("a collection failed").isNull();
            assertThat(pushed).isPositive();
            assertThat(swept.get()).as("the collector swept the blob at times").isPositive();
            // once the collections stop, a push stores it whole
            assertThat(pushBlob(s, "race", blob, 0)).isEqualTo(201);
            assertThat(getBlob(s, "race", blob)).isTrue();
            System.out.printf("gc race %s: %d rounds, %d pushed, %d collections, %d sweeps%n", db, rounds, pushed,
                    collections.get(), swept.get());
        }
    }

    /**
     * A thread running {@code collection} until {@code stop}; the first failure ends it and is kept
     * in {@code failed} for the test to assert (a dying thread alone would fail nothing).
     */
    private static Thread collector(AtomicBoolean stop, AtomicReference<Throwable> failed, Runnable collection) {
        return new Thread(() -> {
            try {
                while (!stop.get()) {
                    collection.run();
                }
            } catch (Throwable t) {
                failed.set(t);
            }
        }, "gc-loop");
    }

    /**
     * A client tags a stored untagged manifest while collections that delete every untagged
     * manifest at once run: each tag PUT that answered 201 pulls by that tag right after (the
     * collection saw the tag, or deleted the manifest first and the put stored it again).
     */
    @ParameterizedTest
    @EnumSource(Db.class)
    void aTagPutWhileTheCollectorDeletesItsUntaggedManifestKeepsIt(Db db) throws Exception {
        int rounds = db == Db.H2 ? 500 : 150;
        Config.Gc untaggedAtOnce = new Config.Gc(Duration.ZERO, Duration.ofHours(1), Duration.ofNanos(1), 10);
        try (Server s = new Server(db, Config.Gc.defaults())) {
            byte[] config = json("{\"tagged\":\"race\"}");
            byte[] layer = random(3000);
            assertThat(pushBlob(s, "tags", config, 0)).isEqualTo(201);
            assertThat(pushBlob(s, "tags", layer, 0)).isEqualTo(201);
            byte[] m = image(config, null, "tag race", layer);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong deleted = new AtomicLong();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread collector = collector(stop, failed, () -> deleted.addAndGet(s.gc(false, untaggedAtOnce).manifests()));
            collector.start();
            try {
                for (int i = 0; i < rounds; i++) {
                    assertThat(putManifest(s, "tags", "t", MANIFEST, m)).isEqualTo(201);
                    HttpResponse<String> got = send(HttpRequest.newBuilder(URI.create(s.url("/v2/tags/manifests/t")))
                            .header("Accept", MANIFEST));
                    assertThat(got.statusCode()).as("round " + i).isEqualTo(200);
                    assertThat(got.body().getBytes(StandardCharsets.UTF_8)).isEqualTo(m);
                    // untagged again: the collector's to delete
                    assertThat(send(HttpRequest.newBuilder(URI.create(s.url("/v2/tags/manifests/t"))).DELETE())
                            .statusCode()).isEqualTo(202);
                }
            } finally {
                stop.set(true);
                collector.join();
            }
            assertThat(failed.get()).as("a collection failed").isNull();
            assertThat(deleted.get()).as("the collector deleted the untagged manifest at times").isPositive();
            System.out.printf("gc tag race %s: %d rounds, %d deletions%n", db, rounds, deleted.get());
        }
    }


    // --- HTTP ---

    /** Pushes a blob: 0 monolithic POST, 1 POST + PUT, 2 POST + PATCH + PUT. @return the final status */
    private int pushBlob(Server s, String repo, byte[] blob, int style) throws Exception {
        String digest = digest(blob);
        if (style == 0) {
            return send(HttpRequest.newBuilder(URI.create(s.url("/v2/" + repo + "/blobs/uploads/?digest=" + digest)))
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(blob))).statusCode();
        }
        HttpResponse<String> start = send(HttpRequest.newBuilder(URI.create(s.url("/v2/" + repo + "/blobs/uploads/")))
                .POST(HttpRequest.BodyPublishers.noBody()));
        if (start.statusCode() != 202) {
            return start.statusCode();
        }
        String location = start.headers().firstValue("Location").orElseThrow();
        URI upload = URI.create(s.url("")).resolve(location);
        if (style == 2) {
            HttpResponse<String> patch = send(HttpRequest.newBuilder(upload)
                    .header("Content-Type", "application/octet-stream")
                    .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(blob)));
            if (patch.statusCode() != 202) {
                return patch.statusCode();
            }
            upload = URI.create(s.url("")).resolve(patch.headers().firstValue("Location").orElseThrow());
        }
        String sep = upload.toString().contains("?") ? "&" : "?";
        return send(HttpRequest.newBuilder(URI.create(upload + sep + "digest=" + digest))
                .header("Content-Type", "application/octet-stream")
                .PUT(style == 2 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(blob)))
                .statusCode();
    }

    private int putManifest(Server s, String repo, String reference, String type, byte[] manifest) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(s.url("/v2/" + repo + "/manifests/" + reference)))
                .header("Content-Type", type).PUT(HttpRequest.BodyPublishers.ofByteArray(manifest))).statusCode();
    }

    private int getManifest(Server s, String repo, String reference) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(s.url("/v2/" + repo + "/manifests/" + reference)))
                .header("Accept", MANIFEST + ", " + INDEX)).statusCode();
    }

    /** Whether the blob is served from the repository, byte-exact (it fails if served otherwise). */
    private boolean getBlob(Server s, String repo, byte[] blob) throws Exception {
        HttpResponse<byte[]> got = http.send(HttpRequest.newBuilder(URI.create(s.url("/v2/" + repo + "/blobs/"
                + digest(blob)))).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(got.statusCode()).isIn(200, 404);
        if (got.statusCode() == 200) {
            assertThat(got.body()).isEqualTo(blob);
        }
        return got.statusCode() == 200;
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 400) {
            // every refusal is an OCI error body
            assertThat(r.body()).as(r.statusCode() + " " + r.body()).contains("\"errors\"");
        }
        return r;
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    // --- content ---

    private static byte[] image(byte[] config, byte[] subject, String note, byte[]... layers) {
        StringBuilder sb = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MANIFEST + "\",\"config\":"
                + descriptor("application/vnd.oci.image.config.v1+json", config) + ",\"layers\":[");
        for (int i = 0; i < layers.length; i++) {
            sb.append(i == 0 ? "" : ",").append(descriptor("application/vnd.oci.image.layer.v1.tar", layers[i]));
        }
        sb.append("]");
        if (subject != null) {
            sb.append(",\"subject\":").append(descriptor(MANIFEST, subject));
        }
        sb.append(",\"annotations\":{\"note\":\"").append(note).append("\"}}");
        return json(sb.toString());
    }

    private static byte[] index(byte[]... children) {
        StringBuilder sb = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + INDEX + "\",\"manifests\":[");
        for (int i = 0; i < children.length; i++) {
            sb.append(i == 0 ? "" : ",").append(descriptor(MANIFEST, children[i]));
        }
        return json(sb.append("]}").toString());
    }

    private static String descriptor(String type, byte[] content) {
        return "{\"mediaType\":\"" + type + "\",\"digest\":\"" + digest(content) + "\",\"size\":" + content.length + "}";
    }

    private static byte[] json(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    static String digest(byte[] content) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    record Result(int status, String out, String err) {
    }

    static Result run(Config config, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = GcCommand.run(args, config, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}

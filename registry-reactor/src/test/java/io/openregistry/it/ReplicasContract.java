package io.openregistry.it;

import static io.openregistry.it.ReplicaHttp.assertBlob;
import static io.openregistry.it.ReplicaHttp.digest;
import static io.openregistry.it.ReplicaHttp.patch;
import static io.openregistry.it.ReplicaHttp.pushMonolithic;
import static io.openregistry.it.ReplicaHttp.random;
import static io.openregistry.it.ReplicaHttp.send;
import static io.openregistry.it.ReplicaHttp.sendStreamed;
import static io.openregistry.it.ReplicaHttp.startUpload;
import static io.openregistry.it.ReplicaHttp.text;
import static io.openregistry.it.ReplicaHttp.withDigest;
import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.metadata.PostgresSupport;
import io.openregistry.storage.s3.S3ProxyServer;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two replicas of the packaged jar on one PostgreSQL and one storage, and a client that sends
 * each request of an upload to the other replica: uploads, concurrent commits, cancels, tags and
 * expiry must not care which replica serves a request. One subclass per storage; the two replicas
 * serve every case of a class (starting JVMs is the slow part). The kill test starts its own pair.
 *
 * <p>Upload expiry needs a session idle for {@code upload.ttlSeconds} (at least 60), so it begins
 * first and is checked last, and the other cases run while it waits.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class ReplicasContract {
    private static final int TTL_SECONDS = 60;
    private PostgresSupport postgres;
    private S3ProxyServer s3;
    private ReplicaCluster cluster;
    private RegistryProcess a;
    private RegistryProcess b;
    private String expiring;

    /** The shared storage under test. */
    abstract ReplicaCluster.Storage storage();

    /** The IPFS node's API, for {@link ReplicaCluster.Storage#IPFS}. */
    URI ipfsApi() {
        return null;
    }

    @BeforeAll
    void startReplicas() throws Exception {
        postgres = PostgresSupport.start();
        s3 = storage() == ReplicaCluster.Storage.S3 ? S3ProxyServer.start() : null;
        cluster = newCluster();
        Map<String, String> config = Map.of("OPENREGISTRY_UPLOAD_TTL_SECONDS", String.valueOf(TTL_SECONDS));
        a = cluster.start(config);
        b = cluster.start(config);
    }

    private ReplicaCluster newCluster() throws Exception {
        return ReplicaCluster.create(storage(), postgres, s3, ipfsApi());
    }

    @AfterAll
    void stopReplicas() throws Exception {
        try {
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            if (s3 != null) {
                s3.close();
            }
            if (postgres != null) {
                postgres.close();
            }
        }
    }

    @Test
    @Order(0)
    void expiryBegins() {
        expiring = patch(b, startUpload(a, "replicas/expiry"), random(70, 1_500_000), 0, 1_500_000);
    }

    @Test
    @Order(1)
    void monolithicUploadPostedOnOneReplicaAndPutOnTheOther() {
        byte[] content = random(1, 7_340_033);
        pushMonolithic(a, b, "replicas/mono", content);
        byte[] other = random(2, 1_048_583);
        pushMonolithic(b, a, "replicas/mono", other);
        for (RegistryProcess r : List.of(a, b)) {
            assertBlob(r, "replicas/mono", content);
            assertBlob(r, "replicas/mono", other);
        }
    }

    @Test
    @Order(1)
    void chunkedUploadAlternatingReplicas() {
        // 12 MB in chunks that are not block-, part- or MiB-aligned: POST A, PATCH B, PATCH A,
        // PATCH B, PATCH A, PUT B (with the last bytes in the PUT)
        byte[] content = random(3, 12_000_007);
        int[] cuts = {0, 3_000_001, 5_500_003, 8_000_000, 10_900_001, content.length};
        List<RegistryProcess> order = List.of(b, a, b, a);
        String location = startUpload(a, "replicas/chunked");
        for (int i = 0; i < order.size(); i++) {
            location = patch(order.get(i), location, content, cuts[i], cuts[i + 1]);
        }
        HttpResponse<byte[]> put = send(b, "PUT", withDigest(location, digest(content)),
                Arrays.copyOfRange(content, cuts[4], cuts[5]), "Content-Type", "application/octet-stream",
                "Content-Range", cuts[4] + "-" + (cuts[5] - 1));
        assertThat(put.statusCode()).as(text(put)).isEqualTo(201);
        assertThat(put.headers().firstValue("Docker-Content-Digest")).hasValue(digest(content));
        assertBlob(a, "replicas/chunked", content);
        assertBlob(b, "replicas/chunked", content);
        // every replica that took a request resumed the digest from the state stored with the
        // offset, never by re-reading the staged bytes
        assertThat(metric(a, REREAD) + metric(b, REREAD)).isZero();
        assertThat(metric(a, RESTORED) + metric(b, RESTORED)).isGreaterThanOrEqualTo(4);
    }

    private static final String REREAD = "openregistry_upload_digest_rebuilds_total{outcome=\"reread\"}";
    private static final String RESTORED = "openregistry_upload_digest_rebuilds_total{outcome=\"restored\"}";

    @Test
    @Order(1)
    void streamedUploadAlternatingReplicas() {
        // PATCH bodies without Content-Range or Content-Length (chunked transfer-encoding)
        byte[] content = random(4, 9_000_011);
        int[] cuts = {0, 2_999_999, 6_100_000, content.length};
        String location = startUpload(a, "replicas/streamed");
        List<RegistryProcess> order = List.of(b, a, b);
        for (int i = 0; i < order.size(); i++) {
            HttpResponse<byte[]> r = sendStreamed(order.get(i), "PATCH", location,
                    Arrays.copyOfRange(content, cuts[i], cuts[i + 1]), "Content-Type", "application/octet-stream");
            assertThat(r.statusCode()).as(text(r)).isEqualTo(202);
            assertThat(r.headers().firstValue("Range")).hasValue("0-" + (cuts[i + 1] - 1));
            location = r.headers().firstValue("Location").orElseThrow();
        }
        HttpResponse<byte[]> put = send(a, "PUT", withDigest(location, digest(content)), null);
        assertThat(put.statusCode()).as(text(put)).isEqualTo(201);
        assertBlob(a, "replicas/streamed", content);
        assertBlob(b, "replicas/streamed", content);
    }

    @Test
    @Order(1)
    void theSameBlobPushedToBothReplicasAtOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 3; round++) {
                byte[] content = random(10 + round, 6_000_001 + round);
                String digest = digest(content);
                // both uploads are staged, then both commits are released together
                CyclicBarrier commit = new CyclicBarrier(2);
                List<CompletableFuture<HttpResponse<byte[]>>> puts = new ArrayList<>();
                for (RegistryProcess[] pair : List.of(new RegistryProcess[] {a, b}, new RegistryProcess[] {b, a})) {
                    String repo = "replicas/same";
                    puts.add(CompletableFuture.supplyAsync(() -> {
                        String location = startUpload(pair[0], repo);
                        location = patch(pair[1], location, content, 0, 4_000_000);
                        await(commit);
                        return send(pair[0], "PUT", withDigest(location, digest),
                                Arrays.copyOfRange(content, 4_000_000, content.length),
                                "Content-Type", "application/octet-stream",
                                "Content-Range", "4000000-" + (content.length - 1));
                    }, pool));
                }
                for (CompletableFuture<HttpResponse<byte[]>> put : puts) {
                    HttpResponse<byte[]> r = put.get(5, TimeUnit.MINUTES);
                    assertThat(r.statusCode()).as(text(r)).isEqualTo(201);
                    assertThat(r.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
                }
                assertBlob(a, "replicas/same", content);
                assertBlob(b, "replicas/same", content);
                assertThat(cluster.count("SELECT count(*) FROM blobs WHERE digest = ?", digest)).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(2, TimeUnit.MINUTES);
        } catch (Exception e) {
            throw new IllegalStateException("the other upload did not reach its commit", e);
        }
    }

    @Test
    @Order(1)
    void cancelOnOneReplicaOfAnUploadBegunOnTheOther() {
        byte[] content = random(5, 2_000_003);
        String location = startUpload(a, "replicas/cancel");
        location = patch(a, location, content, 0, 1_000_000);
        String id = uploadId(location);
        HttpResponse<byte[]> delete = send(b, "DELETE", location, null);
        assertThat(delete.statusCode()).as(text(delete)).isEqualTo(204);
        for (RegistryProcess r : List.of(a, b)) {
            HttpResponse<byte[]> status = send(r, "GET", location, null);
            assertThat(status.statusCode()).as(text(status)).isEqualTo(404);
            assertThat(new String(status.body(), StandardCharsets.UTF_8)).contains("BLOB_UPLOAD_UNKNOWN");
        }
        HttpResponse<byte[]> more = send(a, "PATCH", location, Arrays.copyOfRange(content, 1_000_000, content.length),
                "Content-Type", "application/octet-stream", "Content-Range", "1000000-" + (content.length - 1));
        assertThat(more.statusCode()).as(text(more)).isEqualTo(404);
        assertThat(cluster.filesContaining(id)).as("staged bytes of the cancelled upload").isEmpty();
    }

    @Test
    @Order(1)
    void aTagMovedOnOneReplicaIsReadOnTheOtherWithinOneSecond() throws Exception {
        String repo = "replicas/tags";
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        byte[] layer = random(6, 10_007);
        pushMonolithic(a, b, repo, config);
        pushMonolithic(b, a, repo, layer);
        byte[] first = manifest(config, layer, "first");
        byte[] second = manifest(config, layer, "second");
        putManifest(a, repo, "moving", first);
        // both replicas have read (and may have cached) the tag at its first manifest
        for (RegistryProcess r : List.of(a, b)) {
            assertThat(manifestDigest(r, repo, "moving")).isEqualTo(digest(first));
        }
        putManifest(a, repo, "moving", second);
        long moved = System.nanoTime();
        long deadline = moved + TimeUnit.SECONDS.toNanos(1);
        String seen = manifestDigest(b, repo, "moving");
        while (!seen.equals(digest(second)) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            seen = manifestDigest(b, repo, "moving");
        }
        assertThat(seen).as("the tag on the other replica %d ms after it moved",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - moved)).isEqualTo(digest(second));
        assertThat(manifestDigest(a, repo, "moving")).isEqualTo(digest(second));
    }

    private static byte[] manifest(byte[] config, byte[] layer, String note) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + ReplicaHttp.OCI_MANIFEST + "\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + digest(config)
                + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
                + "\"digest\":\"" + digest(layer) + "\",\"size\":" + layer.length + "}],"
                + "\"annotations\":{\"note\":\"" + note + "\"}}").getBytes(StandardCharsets.UTF_8);
    }

    private static void putManifest(RegistryProcess r, String repo, String tag, byte[] manifest) {
        HttpResponse<byte[]> put = send(r, "PUT", "/v2/" + repo + "/manifests/" + tag, manifest,
                "Content-Type", ReplicaHttp.OCI_MANIFEST);
        assertThat(put.statusCode()).as(text(put)).isEqualTo(201);
    }

    private static String manifestDigest(RegistryProcess r, String repo, String tag) {
        HttpResponse<byte[]> get = send(r, "GET", "/v2/" + repo + "/manifests/" + tag, null,
                "Accept", ReplicaHttp.OCI_MANIFEST);
        assertThat(get.statusCode()).as(text(get)).isEqualTo(200);
        assertThat(get.headers().firstValue("Docker-Content-Digest")).hasValue(digest(get.body()));
        return digest(get.body());
    }

    static String uploadId(String location) {
        String path = location.contains("?") ? location.substring(0, location.indexOf('?')) : location;
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /**
     * Four chunked uploads and two streamed PUTs are in flight on A when A gets {@code kill -9}.
     * The chunked uploads continue on B from the offset B reports (the last one A acknowledged)
     * and finish with the right digests; the PUTs left nothing: no blob, no blob row.
     */
    @Test
    @Order(2)
    void uploadsInFlightOnAKilledReplicaContinueOnTheOther() throws Exception {
        try (ReplicaCluster own = newCluster()) {
            RegistryProcess victim = own.start(Map.of());
            RegistryProcess survivor = own.start(Map.of());
            String repo = "replicas/kill";
            int acked = 2_000_003;
            int inFlight = 1_500_000;
            List<byte[]> chunked = new ArrayList<>();
            List<String> locations = new ArrayList<>();
            List<ReplicaHttp.InFlight> open = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    byte[] content = random(100 + i, 6_000_011 + i);
                    String location = patch(victim, startUpload(victim, repo), content, 0, acked);
                    chunked.add(content);
                    locations.add(location);
                    open.add(ReplicaHttp.InFlight.patch(victim, location, content, acked, 4_500_000, inFlight));
                }
                List<byte[]> streamed = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    byte[] content = random(200 + i, 3_000_017 + i);
                    streamed.add(content);
                    open.add(ReplicaHttp.InFlight.streamedPut(victim, startUpload(victim, repo), digest(content),
                            content, inFlight));
                }
                // the bytes in flight have reached the registry (hashed, so handed to the store)
                // before it dies: the upload must ignore what was written past its offset
                double expected = 4.0 * (acked + inFlight) + 2.0 * inFlight;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (bytesPushed(victim) < expected && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(bytesPushed(victim)).as("bytes the victim received before the kill").isEqualTo(expected);
                victim.kill();
                for (ReplicaHttp.InFlight request : open) {
                    assertThat(request.answer()).as("answer of a killed replica").isEmpty();
                }

                for (int i = 0; i < 4; i++) {
                    String location = continueOn(survivor, locations.get(i), chunked.get(i), acked);
                    HttpResponse<byte[]> put = send(survivor, "PUT", withDigest(location, digest(chunked.get(i))), null);
                    assertThat(put.statusCode()).as(text(put)).isEqualTo(201);
                    assertBlob(survivor, repo, chunked.get(i));
                }
                for (byte[] content : streamed) {
                    HttpResponse<byte[]> head = send(survivor, "HEAD", "/v2/" + repo + "/blobs/" + digest(content), null);
                    assertThat(head.statusCode()).as(text(head)).isEqualTo(404);
                    assertThat(own.count("SELECT count(*) FROM blobs WHERE digest = ?", digest(content))).isZero();
                }
            } finally {
                for (ReplicaHttp.InFlight request : open) {
                    request.close();
                }
            }
        }
    }

    /**
     * Sends the rest of an upload to {@code replica}, from the offset it reports. A PATCH that the
     * registry refuses because another request still holds the upload (416 "another request|replica
     * is writing to this upload", or a 429/503 with Retry-After: the killed holder's database lease,
     * upload.leaseSeconds, has to run out first) is asked again after a pause, until a deadline. That is
     * the protocol's answer to a busy upload, which a client is meant to retry; it is not a retry
     * of a flaky test. Any other answer fails at once.
     */
    private static String continueOn(RegistryProcess replica, String location, byte[] content, int acked)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            HttpResponse<byte[]> status = send(replica, "GET", location, null);
            assertThat(status.statusCode()).as(text(status)).isEqualTo(204);
            assertThat(status.headers().firstValue("Range")).as("the acknowledged offset")
                    .hasValue("0-" + (acked - 1));
            HttpResponse<byte[]> rest = send(replica, "PATCH", location, Arrays.copyOfRange(content, acked, content.length),
                    "Content-Type", "application/octet-stream", "Content-Range", acked + "-" + (content.length - 1));
            if (rest.statusCode() == 202) {
                assertThat(rest.headers().firstValue("Range")).hasValue("0-" + (content.length - 1));
                return rest.headers().firstValue("Location").orElseThrow();
            }
            String body = new String(rest.body(), StandardCharsets.UTF_8);
            boolean busy = rest.statusCode() == 416 && body.contains("is writing to this upload")
                    || (rest.statusCode() == 429 || rest.statusCode() == 503)
                    && rest.headers().firstValue("Retry-After").isPresent();
            assertThat(busy && System.nanoTime() < deadline).as("continuing an upload of a killed replica: %s", text(rest))
                    .isTrue();
            Thread.sleep(500);
        }
    }

    private static double bytesPushed(RegistryProcess r) {
        return metric(r, "openregistry_blob_bytes_pushed_total");
    }

    /** A sample of the replica's Prometheus metrics, by its name with labels. */
    private static double metric(RegistryProcess r, String sample) {
        HttpResponse<byte[]> metrics = ReplicaHttp.sendAdmin(r, "/metrics");
        String prefix = sample + " ";
        for (String line : new String(metrics.body(), StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith(prefix)) {
                return Double.parseDouble(line.substring(prefix.length()).trim());
            }
        }
        throw new AssertionError("no " + prefix + "in the metrics of port " + r.adminPort());
    }

    @Test
    @Order(3)
    void expiryEndsTheUploadOnBothReplicasAndRemovesItsBytes() throws InterruptedException {
        assertThat(expiring).as("the upload begun by expiryBegins").isNotNull();
        // swept every tenth of the TTL once idle for the TTL; a GET does not make it less idle
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TTL_SECONDS * 2L + 30);
        HttpResponse<byte[]> status = send(a, "GET", expiring, null);
        while (status.statusCode() == 204 && System.nanoTime() < deadline) {
            Thread.sleep(1000);
            status = send(a, "GET", expiring, null);
        }
        for (RegistryProcess r : List.of(a, b)) {
            HttpResponse<byte[]> gone = send(r, "GET", expiring, null);
            assertThat(gone.statusCode()).as(text(gone)).isEqualTo(404);
        }
        assertThat(cluster.count("SELECT count(*) FROM uploads WHERE id = ?", uploadId(expiring))).isZero();
        // the sweep deletes the session's row first (from then on it is 404), then its staged bytes;
        // on S3 that is a listing and some deletes, which may still be running now
        while (!cluster.filesContaining(uploadId(expiring)).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(cluster.filesContaining(uploadId(expiring))).as("staged bytes of the expired upload").isEmpty();
    }
}

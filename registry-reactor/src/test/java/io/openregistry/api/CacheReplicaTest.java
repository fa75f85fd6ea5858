package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.Registry;
import io.openregistry.TwoReplicas;
import io.openregistry.config.Config;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two registries on one PostgreSQL database, as two replicas, each with its metadata cache on:
 * what one replica changes, the other stops serving from its cache within a second (the change
 * is announced through LISTEN/NOTIFY), and when the listening connection is killed the cache is
 * cleared and listening resumes.
 *
 * <p>Every check on B first warms B's cache (and proves it: the hit counter moves), so that an
 * announcement that did not arrive would leave B serving the old answer for the TTL (a minute).
 * The waits are bounded polls: "within 1 s" is the requirement, not a measurement.
 */
class CacheReplicaTest {
    /** How long another replica may take to see a change: the requirement. */
    private static final Duration WITHIN = Duration.ofSeconds(1);
    /** Time for a replica to (re)connect its listener: backoff and heartbeat included, generous. */
    private static final Duration RECONNECT = Duration.ofSeconds(30);

    private TwoReplicas replicas;
    private Registry a;
    private Registry b;
    private TestClient onA;
    private TestClient onB;

    @BeforeEach
    void start() throws Exception {
        replicas = TwoReplicas.start("cache-replicas", new Config.Uploads(1024 * 1024, Duration.ofDays(1)));
        a = replicas.a;
        b = replicas.b;
        onA = new TestClient("http://127.0.0.1:" + a.port(), a.port());
        onB = new TestClient("http://127.0.0.1:" + b.port(), b.port());
        // nothing is cached before a replica listens; checks on a cache that is not used prove nothing
        await(RECONNECT, () -> gauge(a, "openregistry_cache_listening") == 1
                && gauge(b, "openregistry_cache_listening") == 1, "both replicas listen");
    }

    @AfterEach
    void stop() {
        if (replicas != null) {
            replicas.close();
        }
    }

    @Test
    void aTagMovedThroughAIsServedByBWithTheNewDigestWithinOneSecond() {
        String repo = "cache/" + UUID.randomUUID().toString().substring(0, 8);
        String first = pushImage(onA, repo, "latest");
        warm(b, onB, "/v2/" + repo + "/manifests/latest", first);
        warm(a, onA, "/v2/" + repo + "/manifests/latest", first);

        String second = pushImage(onA, repo, "latest");

        // the writer reads its own write at once: it invalidated before it answered
        assertThat(digestOf(onA.get("/v2/" + repo + "/manifests/latest"))).isEqualTo(second);
        await(WITHIN, () -> second.equals(digestOf(onB.get("/v2/" + repo + "/manifests/latest"))),
                "B serves the moved tag");
        assertThat(counter(b, "openregistry_cache_notifications_total")).isPositive();
        // a HEAD is served from the same entry
        assertThat(onB.head("/v2/" + repo + "/manifests/latest").headers().firstValue("Docker-Content-Digest"))
                .hasValue(second);
    }

    @Test
    void aManifestDeletedOnAIsNotFoundOnB() {
        String repo = "cache/" + UUID.randomUUID().toString().substring(0, 8);
        String digest = pushImage(onA, repo, "v1");
        warm(b, onB, "/v2/" + repo + "/manifests/" + digest, digest);
        warm(b, onB, "/v2/" + repo + "/manifests/v1", digest);

        assertThat(onA.delete("/v2/" + repo + "/manifests/" + digest).statusCode()).isEqualTo(202);

        await(WITHIN, () -> onB.get("/v2/" + repo + "/manifests/" + digest).statusCode() == 404
                && onB.head("/v2/" + repo + "/manifests/v1").statusCode() == 404, "B forgets the manifest and its tag");
        Oci.assertError(onB.get("/v2/" + repo + "/manifests/v1"), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void aBlobUnlinkedOnAIsNotFoundOnB() {
        String repo = "cache/" + UUID.randomUUID().toString().substring(0, 8);
        String digest = pushBlob(onA, repo, Oci.random(1000));
        double hits = cacheHits(b, "blob-links");
        assertThat(onB.head("/v2/" + repo + "/blobs/" + digest).statusCode()).isEqualTo(200);
        assertThat(onB.head("/v2/" + repo + "/blobs/" + digest).statusCode()).isEqualTo(200);
        assertThat(cacheHits(b, "blob-links")).as("B serves the link from its cache").isGreaterThan(hits);

        assertThat(onA.delete("/v2/" + repo + "/blobs/" + digest).statusCode()).isEqualTo(202);

        await(WITHIN, () -> onB.head("/v2/" + repo + "/blobs/" + digest).statusCode() == 404, "B forgets the link");
        Oci.assertError(onB.get("/v2/" + repo + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
    }

    @Test
    void aKilledListenerClearsTheCacheAndListensAgain() throws Exception {
        String repo = "cache/" + UUID.randomUUID().toString().substring(0, 8);
        String first = pushImage(onA, repo, "latest");
        String second = pushImage(onA, repo, "other");
        warm(b, onB, "/v2/" + repo + "/manifests/latest", first);

        assertThat(terminateListeners()).as("listening connections killed").isEqualTo(2);
        await(RECONNECT, () -> counter(b, "openregistry_cache_listener_lost_total") >= 1
                && gauge(b, "openregistry_cache_listening") == 1, "B noticed the loss and listens again");

        // A change nobody hears of (triggers off, as for announcements lost while B was not
        // listening): B must not answer from before the loss.
        moveTagSilently(repo, "latest", second);
        assertThat(digestOf(onB.get("/v2/" + repo + "/manifests/latest"))).isEqualTo(second);

        // and B hears announcements again: a later move through A is seen
        assertThat(putManifest(onA, repo, "latest", onA.get("/v2/" + repo + "/manifests/" + first).body()))
                .isEqualTo(first);
        await(WITHIN, () -> first.equals(digestOf(onB.get("/v2/" + repo + "/manifests/latest"))),
                "B serves the tag moved after the reconnect");
    }

    @Test
    void aBurstOfAnnouncementsIsAppliedWhole() throws Exception {
        String repo = "cache/" + UUID.randomUUID().toString().substring(0, 8);
        String first = pushImage(onA, repo, "t0");
        String second = pushImage(onA, repo, "other");
        int tags = 3000;
        try (Connection c = DriverManager.getConnection(replicas.postgres.jdbcUrl(replicas.database));
             PreparedStatement s = c.prepareStatement("INSERT INTO tags (repository, name, digest) VALUES (?, ?, ?)")) {
            for (int i = 1; i < tags; i++) {
                s.setString(1, repo);
                s.setString(2, "t" + i);
                s.setString(3, first);
                s.addBatch();
            }
            s.executeBatch();
        }
        double before = counter(b, "openregistry_cache_notifications_total");

        // one commit, thousands of announcements at once: none may be dropped on the way
        try (Connection c = DriverManager.getConnection(replicas.postgres.jdbcUrl(replicas.database));
             PreparedStatement s = c.prepareStatement("UPDATE tags SET digest = ? WHERE repository = ? AND digest = ?")) {
            s.setString(1, second);
            s.setString(2, repo);
            s.setString(3, first);
            assertThat(s.executeUpdate()).isEqualTo(tags);
        }
        await(RECONNECT, () -> counter(b, "openregistry_cache_notifications_total") >= before + tags,
                "B applied every announcement");
        assertThat(counter(b, "openregistry_cache_listener_lost_total")).isZero();
    }

    /**
     * A push or mount of a blob already linked to the repository refreshes only the link's time (an
     * UPDATE of its row): no announcement, since no cached answer changed (V12). An unlink, and an
     * UPDATE that moves the link to another repository, still announce. Observed on a listening
     * connection of the test's own: notifications arrive in commit order, so once the unlink's has
     * arrived, any of the pushes before it would have too.
     */
    @Test
    void aRepushOrMountOfALinkedBlobAnnouncesNothingWhileAnUnlinkDoes() throws Exception {
        String repo = "cache/" + UUID.randomUUID().toString().substring(0, 8);
        String from = repo + "-from";
        byte[] blob = Oci.random(1000);
        String digest = pushBlob(onA, repo, blob);
        String other = pushBlob(onA, repo, Oci.random(1000));
        pushBlob(onA, from, blob);
        try (Connection c = DriverManager.getConnection(replicas.postgres.jdbcUrl(replicas.database));
             Statement s = c.createStatement()) {
            s.execute("LISTEN openregistry_cache");
            pushBlob(onA, repo, blob);
            pushBlob(onB, repo, blob);
            HttpResponse<byte[]> mount = onB.post("/v2/" + repo + "/blobs/uploads/?mount=" + digest + "&from=" + from,
                    new byte[0]);
            assertThat(mount.statusCode()).as("mounted over the existing link").isEqualTo(201);
            // the link's time did move (what the upsert is for)
            try (ResultSet rs = s.executeQuery("SELECT created_at > (SELECT created_at FROM repository_blobs"
                    + " WHERE repository = '" + from + "' AND digest = '" + digest + "') FROM repository_blobs"
                    + " WHERE repository = '" + repo + "' AND digest = '" + digest + "'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getBoolean(1)).as("link time refreshed").isTrue();
            }
            // an unlink elsewhere is announced: the first announcement that arrives is the unlink's
            assertThat(onA.delete("/v2/" + from + "/blobs/" + digest).statusCode()).isEqualTo(202);
            assertThat(notificationsUntil(c, "blob:" + from + ":" + digest))
                    .as("only the unlink is announced").containsExactly("blob:" + from + ":" + digest);

            // an UPDATE of a link's time alone is not; one that changes its identity is (under the old one)
            s.executeUpdate("UPDATE repository_blobs SET created_at = created_at WHERE repository = '" + repo
                    + "' AND digest = '" + other + "'");
            assertThat(s.executeUpdate("UPDATE repository_blobs SET repository = '" + from + "' WHERE repository = '"
                    + repo + "' AND digest = '" + digest + "'")).isEqualTo(1);
            assertThat(notificationsUntil(c, "blob:" + repo + ":" + digest))
                    .containsExactly("blob:" + repo + ":" + digest);
        }
    }

    /** The payloads on {@code c} up to and including {@code last} (bounded by RECONNECT). */
    private static java.util.List<String> notificationsUntil(Connection c, String last) throws Exception {
        org.postgresql.PGConnection pg = c.unwrap(org.postgresql.PGConnection.class);
        java.util.List<String> seen = new java.util.ArrayList<>();
        long deadline = System.nanoTime() + RECONNECT.toNanos();
        while (!seen.contains(last)) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            assertThat(left).as("announcement " + last + " arrived; seen " + seen).isPositive();
            org.postgresql.PGNotification[] got = pg.getNotifications((int) Math.min(left, 1000));
            if (got != null) {
                for (org.postgresql.PGNotification n : got) {
                    seen.add(n.getParameter());
                }
            }
        }
        return seen;
    }

    /** Reads {@code path} on {@code r} twice, expects {@code digest}, and checks the second read was a cache hit. */
    private static void warm(Registry r, TestClient client, String path, String digest) {
        assertThat(digestOf(client.get(path))).isEqualTo(digest);
        double hits = cacheHits(r, "manifests");
        assertThat(digestOf(client.get(path))).isEqualTo(digest);
        assertThat(cacheHits(r, "manifests")).as("served from the cache: " + path).isGreaterThan(hits);
    }

    private int terminateListeners() throws Exception {
        try (Connection c = DriverManager.getConnection(replicas.postgres.jdbcUrl("postgres"));
             PreparedStatement s = c.prepareStatement("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                     + " WHERE application_name = 'openregistry-cache-listener' AND datname = ?")) {
            s.setString(1, replicas.database);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private void moveTagSilently(String repo, String tag, String digest) throws Exception {
        try (Connection c = DriverManager.getConnection(replicas.postgres.jdbcUrl(replicas.database));
             Statement off = c.createStatement();
             PreparedStatement s = c.prepareStatement("UPDATE tags SET digest = ? WHERE repository = ? AND name = ?")) {
            // replica mode skips ordinary triggers, the announcing ones included
            off.execute("SET session_replication_role = replica");
            s.setString(1, digest);
            s.setString(2, repo);
            s.setString(3, tag);
            assertThat(s.executeUpdate()).isEqualTo(1);
        }
    }

    private static String pushImage(TestClient client, String repo, String tag) {
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"n\":\"" + UUID.randomUUID() + "\"}").getBytes();
        byte[] layer = Oci.random(1000);
        pushBlob(client, repo, config);
        pushBlob(client, repo, layer);
        return putManifest(client, repo, tag, Oci.imageManifest(Oci.OCI_MANIFEST, config, layer));
    }

    private static String putManifest(TestClient client, String repo, String tag, byte[] manifest) {
        HttpResponse<byte[]> r = client.put("/v2/" + repo + "/manifests/" + tag, manifest, "Content-Type", Oci.OCI_MANIFEST);
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(201);
        return r.headers().firstValue("Docker-Content-Digest").orElseThrow();
    }

    private static String pushBlob(TestClient client, String repo, byte[] content) {
        String digest = Oci.digest(content);
        HttpResponse<byte[]> r = client.post("/v2/" + repo + "/blobs/uploads/?digest=" + digest, content,
                "Content-Type", "application/octet-stream");
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(201);
        return digest;
    }

    private static String digestOf(HttpResponse<byte[]> r) {
        return r.statusCode() == 200 ? r.headers().firstValue("Docker-Content-Digest").orElse(null) : null;
    }

    /** Polls {@code condition} until it holds or {@code bound} passed; then asserts it once more. */
    private static void await(Duration bound, BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                assertThat(condition.getAsBoolean()).as(what + " within " + bound.toMillis() + " ms").isTrue();
                return;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private static double cacheHits(Registry r, String cache) {
        return sample(r, "cache_gets_total{cache=\"" + cache + "\",result=\"hit\"}");
    }

    private static double counter(Registry r, String name) {
        return sample(r, name);
    }

    private static double gauge(Registry r, String name) {
        return sample(r, name);
    }

    /** The value of one Prometheus sample (name with its labels as exposed), 0 when absent. */
    private static double sample(Registry r, String series) {
        TestClient admin = new TestClient("http://127.0.0.1:" + r.adminPort(), r.adminPort());
        for (String line : new String(admin.get("/metrics").body()).split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return 0;
    }
}

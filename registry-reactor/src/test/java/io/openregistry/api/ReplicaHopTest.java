package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.Registry;
import io.openregistry.TwoReplicas;
import io.openregistry.config.Config;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two registries on one PostgreSQL database and one storage root, as two replicas: a chunked
 * upload whose requests alternate between them completes with the right digest, and the replica
 * that did not hold the running digest restored it from the state stored with the offset instead
 * of re-reading the staged bytes (the {@code openregistry.upload.digest.rebuilds} counter says
 * which).
 */
class ReplicaHopTest {
    private TwoReplicas replicas;
    private Registry a;
    private Registry b;

    @BeforeEach
    void start() throws Exception {
        replicas = TwoReplicas.start("replicas", new Config.Uploads(1024 * 1024, Duration.ofDays(1), Config.Uploads.DEFAULT_MAX_BLOB_BYTES, 1000, 1000));
        a = replicas.a;
        b = replicas.b;
    }

    @AfterEach
    void stop() {
        if (replicas != null) {
            replicas.close();
        }
    }

    private static TestClient client(Registry r) {
        return new TestClient("http://127.0.0.1:" + r.port(), r.port());
    }

    @Test
    void aChunkedUploadHoppingBetweenReplicasRestoresTheHashState() {
        TestClient onA = client(a);
        TestClient onB = client(b);
        byte[] content = Oci.random(1_000_003);
        String digest = Oci.digest(content);

        HttpResponse<byte[]> post = onA.post("/v2/hop/app/blobs/uploads/", null);
        assertThat(post.statusCode()).isEqualTo(202);
        String location = post.headers().firstValue("Location").orElseThrow();
        // not block-aligned, so the stored state carries a buffered tail
        assertThat(onA.patch(location, Arrays.copyOfRange(content, 0, 300_001), "Content-Range", "0-300000")
                .statusCode()).isEqualTo(202);
        HttpResponse<byte[]> onOther = onB.patch(location, Arrays.copyOfRange(content, 300_001, 700_013),
                "Content-Range", "300001-700012");
        assertThat(onOther.statusCode()).as(new String(onOther.body())).isEqualTo(202);
        assertThat(onOther.headers().firstValue("Range")).hasValue("0-700012");
        HttpResponse<byte[]> put = onA.put(location + (location.contains("?") ? "&" : "?") + "digest=" + digest,
                Arrays.copyOfRange(content, 700_013, content.length), "Content-Range", "700013-1000002");
        assertThat(put.statusCode()).as(new String(put.body())).isEqualTo(201);
        assertThat(onB.get("/v2/hop/app/blobs/" + digest).body()).isEqualTo(content);

        // B restored the state A stored; A, whose digest was left behind at 300,001, restored B's
        assertThat(rebuilds(b, "restored")).isEqualTo(1);
        assertThat(rebuilds(a, "restored")).isEqualTo(1);
        assertThat(rebuilds(a, "reread") + rebuilds(b, "reread")).isZero();
    }

    private static double rebuilds(Registry r, String outcome) {
        TestClient admin = new TestClient("http://127.0.0.1:" + r.adminPort(), r.adminPort());
        String text = new String(admin.get("/metrics").body());
        String prefix = "openregistry_upload_digest_rebuilds_total{outcome=\"" + outcome + "\"} ";
        for (String line : text.split("\n")) {
            if (line.startsWith(prefix)) {
                return Double.parseDouble(line.substring(prefix.length()).trim());
            }
        }
        throw new AssertionError("no sample " + prefix + " in:\n" + text);
    }
}

package io.openregistry;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.config.Config;
import io.openregistry.metadata.BlobRecord;
import io.openregistry.metadata.r2dbc.R2dbcMetadata;
import io.openregistry.storage.ipfs.IpfsNodeExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.io.ByteArrayOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * IPFS pins under {@code storage reconcile}: a pin no blob row names is reported and kept (a pin
 * has no owner, and this node is shared with the other tests: exactly the case that makes
 * removing them unsafe); the pinned blob of a push is not reported; a dry run says the same.
 */
class StorageReconcileIpfsTest {
    @RegisterExtension
    static final IpfsNodeExtension IPFS = new IpfsNodeExtension();
    private StorageBackends backends;

    @AfterEach
    void stop() throws Exception {
        if (backends != null) {
            backends.close();
        }
    }

    @Test
    void unnamedPinsAreReportedNeverRemoved() throws Exception {
        backends = new StorageBackends(IPFS.api(), false);
        Config config = backends.config("ipfs", false, true);
        byte[] pushed = StorageBackends.random(1_500);
        try (Registry ipfs = Registry.start(config)) {
            assertThat(backends.push(ipfs, "app", pushed)).isEqualTo(201);
        }
        String named;
        try (R2dbcMetadata metadata = R2dbcMetadata.open(config.database())) {
            BlobRecord blob = metadata.placements().page(null, null, 10).blockFirst();
            assertThat(blob.backend()).isEqualTo("ipfs");
            named = blob.location();
        }
        String foreign = addPinned(StorageBackends.random(777));

        for (String[] args : new String[][] {{"reconcile", "--dry-run"}, {"reconcile"}}) {
            StorageScrubTest.Result r = StorageScrubTest.run(config, args);
            assertThat(r.status()).as(r.out() + r.err()).isZero();
            assertThat(r.out()).contains("unnamed pin ipfs " + foreign + " (reported, not removed)")
                    .doesNotContain(named).contains("unnamed IPFS pins reported (never removed)");
        }
        assertThat(pinned(foreign)).isTrue();
        assertThat(pinned(named)).isTrue();
        assertThat(pinned("bafkreiaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")).isFalse();
    }

    private static String addPinned(byte[] content) throws Exception {
        String boundary = "reconcile-test-boundary";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"blob\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        body.write(content);
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        HttpResponse<String> added = rpc("add?pin=true&cid-version=1&raw-leaves=true&cid-base=base32",
                HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()), "multipart/form-data; boundary=" + boundary);
        assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
        Matcher hash = Pattern.compile("\"Hash\"\\s*:\\s*\"([^\"]+)\"").matcher(added.body());
        assertThat(hash.find()).as(added.body()).isTrue();
        return hash.group(1);
    }

    private static boolean pinned(String cid) throws Exception {
        // the node answers an error for a CID that is not pinned
        HttpResponse<String> r = rpc("pin/ls?type=recursive&arg=" + cid, HttpRequest.BodyPublishers.noBody(), null);
        return r.statusCode() == 200 && r.body().contains("recursive");
    }

    private static HttpResponse<String> rpc(String call, HttpRequest.BodyPublisher body, String type) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(IPFS.api() + "/api/v0/" + call)).POST(body);
        if (type != null) {
            request.header("Content-Type", type);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}

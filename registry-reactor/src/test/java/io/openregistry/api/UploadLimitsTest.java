package io.openregistry.api;

import static io.openregistry.api.Oci.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.RegistryServer;
import io.openregistry.config.Config;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The upload limits: the largest blob (known from Content-Length, enforced while a body of unknown
 * length streams, and across the chunks of a session) and the open sessions per account (here: per
 * client address, as the caller is anonymous) and per repository. Each test gets a registry of its
 * own with small limits, since sessions count against them.
 */
class UploadLimitsTest {
    private static final int MAX_BLOB = 100_000;
    private static final int PER_ACCOUNT = 3;
    private static final int PER_REPOSITORY = 2;
    private RegistryServer registry;
    private TestClient client;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void start() {
        registry = RegistryServer.start(RegistryServer.Backend.H2, null, null, dir -> Config.Auth.disabled(),
                new Config.Uploads(1024, Duration.ofDays(1), MAX_BLOB, PER_ACCOUNT, PER_REPOSITORY));
        client = new TestClient(registry.baseUrl(), registry.port());
    }

    @AfterEach
    void stop() {
        registry.close();
    }

    @Test
    void aMonolithicUploadOverTheLimitIsRefusedFromItsContentLength() throws Exception {
        byte[] content = Oci.random(MAX_BLOB + 1);
        String digest = Oci.digest(content);
        HttpResponse<byte[]> r = client.post("/v2/big/blobs/uploads/?digest=" + digest, content);
        assertError(r, 413, "BLOB_UPLOAD_INVALID");
        assertThat(Oci.json(r).path("errors").path(0).path("detail").path("maxBlobBytes").asLong()).isEqualTo(MAX_BLOB);
        // refused before a byte was hashed, and no session was opened for it
        assertThat(bytesPushed()).isZero();
        assertThat(client.head("/v2/big/blobs/" + digest).statusCode()).isEqualTo(404);
        assertThat(sessionsAvailable("big-other")).isEqualTo(PER_ACCOUNT);

        byte[] exact = Oci.random(MAX_BLOB);
        assertThat(client.post("/v2/big/blobs/uploads/?digest=" + Oci.digest(exact), exact).statusCode()).isEqualTo(201);
    }

    @Test
    void aMonolithicUploadOfUnknownLengthIsStoppedAtTheLimit() throws Exception {
        byte[] content = Oci.random(MAX_BLOB + 10_000);
        String digest = Oci.digest(content);
        HttpResponse<byte[]> r = chunked("POST", "/v2/big-stream/blobs/uploads/?digest=" + digest, content);
        assertError(r, 413, "BLOB_UPLOAD_INVALID");
        assertThat(client.head("/v2/big-stream/blobs/" + digest).statusCode()).isEqualTo(404);
        assertThat(bytesPushed()).isLessThanOrEqualTo(MAX_BLOB);
        // the session it opened is gone with its bytes
        assertThat(sessionsAvailable("big-stream-other")).isEqualTo(PER_ACCOUNT);
        assertThat(stagedUploads()).isEmpty();
    }

    @Test
    void aStreamedChunkTakingTheBlobOverTheLimitIsRolledBackAndTheSessionResumes() throws Exception {
        byte[] content = Oci.random(MAX_BLOB);
        String location = startUpload("chunks");
        assertThat(client.patch(location, Arrays.copyOfRange(content, 0, 60_000)).statusCode()).isEqualTo(202);
        byte[] tooMuch = Oci.random(60_000);
        assertError(chunked("PATCH", location, tooMuch), 413, "BLOB_UPLOAD_INVALID");
        HttpResponse<byte[]> status = client.get(location);
        assertThat(status.statusCode()).isEqualTo(204);
        assertThat(status.headers().firstValue("Range")).hasValue("0-59999");

        // a chunk declared over the limit, with Content-Range or Content-Length, is refused up front
        assertError(client.patch(location, Oci.random(40_001), "Content-Range", "60000-100000"), 413,
                "BLOB_UPLOAD_INVALID");
        assertError(client.patch(location, Oci.random(40_001)), 413, "BLOB_UPLOAD_INVALID");
        assertError(client.put(location + "?digest=" + Oci.digest(content), Oci.random(40_001)), 413,
                "BLOB_UPLOAD_INVALID");
        assertThat(client.get(location).headers().firstValue("Range")).hasValue("0-59999");

        // up to the limit exactly is fine
        assertThat(client.patch(location, Arrays.copyOfRange(content, 60_000, MAX_BLOB), "Content-Range",
                "60000-99999").statusCode()).isEqualTo(202);
        assertThat(client.put(location + "?digest=" + Oci.digest(content), null).statusCode()).isEqualTo(201);
        assertThat(client.get("/v2/chunks/blobs/" + Oci.digest(content)).body()).isEqualTo(content);
    }

    @Test
    void openSessionsAreBoundedPerRepositoryAndPerCaller() {
        List<String> open = new ArrayList<>();
        open.add(startUpload("crowded"));
        open.add(startUpload("crowded"));
        HttpResponse<byte[]> refused = client.post("/v2/crowded/blobs/uploads/", null);
        assertError(refused, 429, "TOOMANYREQUESTS");
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("30");
        byte[] blob = Oci.random(10);
        assertError(client.post("/v2/crowded/blobs/uploads/?digest=" + Oci.digest(blob), blob), 429, "TOOMANYREQUESTS");

        open.add(startUpload("other"));
        // three open sessions: this caller is at its limit in any repository
        assertError(client.post("/v2/third/blobs/uploads/", null), 429, "TOOMANYREQUESTS");
        assertError(client.post("/v2/third/blobs/uploads/?mount=" + Oci.digest(blob) + "&from=crowded", null), 429,
                "TOOMANYREQUESTS");

        // finishing or cancelling a session makes room
        assertThat(client.delete(open.remove(0)).statusCode()).isEqualTo(204);
        String location = startUpload("third");
        assertThat(client.put(location + "?digest=" + Oci.digest(blob), blob).statusCode()).isEqualTo(201);
        assertThat(client.post("/v2/crowded/blobs/uploads/?digest=" + Oci.digest(blob), blob).statusCode()).isEqualTo(201);
        for (String l : open) {
            client.delete(l);
        }
        assertThat(sessionsAvailable("again")).isEqualTo(PER_ACCOUNT);
    }

    @Test
    void withAccessControlEachAccountHasItsOwnBudgetWhateverItsAddress() {
        registry.close();
        registry = RegistryServer.start(RegistryServer.Backend.H2, null, null,
                dir -> AuthFixture.auth(dir, true, 100_000, 100_000),
                new Config.Uploads(1024, Duration.ofDays(1), MAX_BLOB, PER_ACCOUNT, PER_REPOSITORY));
        AuthFixture auth = AuthFixture.of(registry);
        AuthFixture.Who alice = auth.signUp("alice");
        AuthFixture.Who bob = auth.signUp("bob");
        for (int i = 0; i < PER_ACCOUNT; i++) {
            String repo = alice.username() + "/r" + i;
            assertThat(auth.call(auth.token(alice, "repository:" + repo + ":pull,push"), "POST",
                    "/v2/" + repo + "/blobs/uploads/", null).statusCode()).isEqualTo(202);
        }
        String next = alice.username() + "/r" + PER_ACCOUNT;
        assertError(auth.call(auth.token(alice, "repository:" + next + ":pull,push"), "POST",
                "/v2/" + next + "/blobs/uploads/", null), 429, "TOOMANYREQUESTS");
        // bob, from the same address, is not affected
        String bobs = bob.username() + "/r";
        assertThat(auth.call(auth.token(bob, "repository:" + bobs + ":pull,push"), "POST",
                "/v2/" + bobs + "/blobs/uploads/", null).statusCode()).isEqualTo(202);
    }

    /** Opens sessions (each in a repository of its own) until refused, counts them, and cancels them again. */
    private int sessionsAvailable(String repo) {
        List<String> opened = new ArrayList<>();
        while (opened.size() <= PER_ACCOUNT) {
            HttpResponse<byte[]> r = client.post("/v2/" + repo + "/n" + opened.size() + "/blobs/uploads/", null);
            if (r.statusCode() == 429) {
                break;
            }
            assertThat(r.statusCode()).isEqualTo(202);
            opened.add(r.headers().firstValue("Location").orElseThrow());
        }
        opened.forEach(client::delete);
        return opened.size();
    }

    private String startUpload(String repo) {
        HttpResponse<byte[]> r = client.post("/v2/" + repo + "/blobs/uploads/", null);
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(202);
        return r.headers().firstValue("Location").orElseThrow();
    }

    /** A request whose body has no Content-Length (chunked transfer encoding). */
    private HttpResponse<byte[]> chunked(String method, String path, byte[] body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(registry.baseUrl() + path))
                .timeout(Duration.ofSeconds(60))
                .method(method, HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    private long bytesPushed() throws IOException, InterruptedException {
        String text = http.send(HttpRequest.newBuilder(URI.create(registry.adminUrl() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        for (String line : text.split("\n")) {
            if (line.startsWith("openregistry_blob_bytes_pushed_total ")) {
                return (long) Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim());
            }
        }
        throw new AssertionError("no openregistry_blob_bytes_pushed_total in:\n" + text);
    }

    private List<String> stagedUploads() throws IOException {
        java.nio.file.Path dir = registry.dataDir().resolve("storage/uploads");
        if (!java.nio.file.Files.isDirectory(dir)) {
            return List.of();
        }
        try (var files = java.nio.file.Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }
}

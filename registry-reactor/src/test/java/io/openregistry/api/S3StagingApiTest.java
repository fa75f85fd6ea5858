package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.RegistryServer;
import io.openregistry.oci.Digest;
import io.openregistry.storage.s3.S3ProxyServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pushes to the S3 store as a client makes them, checked in the bucket (S3Proxy on a directory,
 * 5 MiB parts): uploads in progress live in the bucket, not on the registry's disk; a commit
 * leaves only the blob; a blob pushed twice at once keeps one object.
 */
class S3StagingApiTest {
    private S3ProxyServer s3;
    private RegistryServer registry;
    private TestClient client;

    @BeforeEach
    void start() {
        RegistryServer.installBlockHound();
        s3 = S3ProxyServer.start();
        registry = RegistryServer.start(RegistryServer.Backend.H2_S3, null, s3);
        client = new TestClient(registry.baseUrl(), registry.port());
    }

    @AfterEach
    void stop() throws Exception {
        registry.close();
        s3.close();
    }

    @Test
    void aChunkedPushStagesInTheBucketNotOnLocalDiskAndLeavesOnlyTheBlob() throws IOException {
        byte[] content = Oci.random(11_000_000);
        String location = start("chunks");
        assertThat(client.patch(location, Arrays.copyOf(content, 6_000_000), "Content-Range", "0-5999999").statusCode())
                .isEqualTo(202);
        assertThat(localFiles(registry.dataDir().resolve("storage"))).as("nothing staged on local disk").isEmpty();
        assertThat(objects()).anyMatch(key -> key.startsWith("uploads/"));
        assertThat(client.patch(location, Arrays.copyOfRange(content, 6_000_000, content.length),
                "Content-Range", "6000000-" + (content.length - 1)).statusCode()).isEqualTo(202);
        String digest = Oci.digest(content);
        assertThat(client.put(location + "?digest=" + digest, null).statusCode()).isEqualTo(201);

        assertThat(objects()).singleElement().asString().startsWith("blobs/uploads/");
        assertThat(client.get("/v2/chunks/blobs/" + digest).body()).isEqualTo(content);
    }

    @Test
    void aSha512PushRereadsTheStagedBytesFromTheBucket() throws IOException {
        byte[] content = Oci.random(12_000_000);
        String location = start("sha512");
        assertThat(client.patch(location, Arrays.copyOf(content, 7_000_000)).statusCode()).isEqualTo(202);
        assertThat(client.patch(location, Arrays.copyOfRange(content, 7_000_000, content.length)).statusCode()).isEqualTo(202);
        Digest digest = Digest.Algorithm.SHA512.digestOf(sha512(content));
        assertThat(client.put(location + "?digest=" + digest, null).statusCode()).isEqualTo(201);

        assertThat(objects()).singleElement().asString().startsWith("blobs/uploads/");
        assertThat(client.get("/v2/sha512/blobs/" + digest).body()).isEqualTo(content);
    }

    @Test
    void aBlobPushedTwiceAtOnceKeepsOneObject() throws IOException {
        byte[] content = Oci.random(6_000_000);
        String digest = Oci.digest(content);
        String first = start("twice");
        String second = start("twice");
        // both uploads hold the whole blob before either commits: the second commit loses
        assertThat(client.patch(first, content).statusCode()).isEqualTo(202);
        assertThat(client.patch(second, content).statusCode()).isEqualTo(202);
        assertThat(client.put(first + "?digest=" + digest, null).statusCode()).isEqualTo(201);
        List<String> afterFirst = objects();
        assertThat(client.put(second + "?digest=" + digest, null).statusCode()).isEqualTo(201);

        // the first's blob, beside the second's staged object (a body of known length is stored
        // as one object under its upload's key: invisible to clients, it has no blob row)
        String firstId = first.replaceAll(".*/blobs/uploads/([^/?]+).*", "$1");
        List<String> blobs = afterFirst.stream().filter(key -> key.startsWith("blobs/uploads/" + firstId + "/")).toList();
        assertThat(blobs).singleElement();
        assertThat(afterFirst.stream().filter(key -> key.startsWith("blobs/"))).allMatch(key -> key.startsWith("blobs/uploads/"));
        assertThat(objects()).as("the loser's copy is deleted, its staging too").isEqualTo(blobs);
        assertThat(client.get("/v2/twice/blobs/" + digest).body()).isEqualTo(content);
    }

    private String start(String repository) {
        var started = client.post("/v2/" + repository + "/blobs/uploads/", null);
        assertThat(started.statusCode()).isEqualTo(202);
        return started.headers().firstValue("Location").orElseThrow();
    }

    private static java.security.MessageDigest sha512(byte[] content) {
        java.security.MessageDigest md = Digest.Algorithm.SHA512.newMessageDigest();
        md.update(content);
        return md;
    }

    /** Every object key in the registry's bucket (jclouds keeps multipart parts as objects too). */
    private List<String> objects() throws IOException {
        Path bucket = s3.objectFile("registry", "");
        return localFiles(bucket).stream().map(p -> bucket.relativize(p).toString()).sorted().toList();
    }

    private static List<Path> localFiles(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).toList();
        }
    }
}

package io.openregistry.storage.ipfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.openregistry.oci.Digest;
import io.openregistry.storage.BlobStore;
import io.openregistry.storage.BlobStoreContract;
import io.openregistry.storage.staging.LocalStaging;
import io.openregistry.storage.remote.RemoteBlobStore;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** The BlobStore contract, and what only IPFS promises, against a real (js-ipfs) node. */
class IpfsBlobStoreTest extends BlobStoreContract {

    @RegisterExtension
    static final IpfsNodeExtension NODE = new IpfsNodeExtension();

    private static final HttpClient RAW = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Scheduler io;

    @TempDir
    Path staging;

    private IpfsBackend backend;

    @BeforeAll
    static void startScheduler() {
        io = Schedulers.newBoundedElastic(8, 1000, "ipfs-store-test");
    }

    @AfterAll
    static void stopScheduler() {
        io.dispose();
    }

    @Override
    protected BlobStore createStore() {
        backend = new IpfsBackend(new IpfsSettings(NODE.api(), NODE.gateway(), true, Duration.ofSeconds(20)));
        return new RemoteBlobStore(RemoteBlobStore.stagedIn(new LocalStaging(staging.resolve("uploads"), io), backend), backend, false);
    }

    @AfterEach
    void closeBackend() {
        backend.close();
    }

    @Test
    void theCidOfACommittedBlobIsServedByTheNodeAndHashesToTheDigest() {
        byte[] content = random(700 * 1024, 11); // several blocks: the CID is a DAG root, not a hash
        String cid = commit(stage(content), content);
        assertThat(cid).as("a base32 CIDv1").matches("b[a-z2-7]{20,}");
        byte[] served = rpcBytes("cat", "arg=" + cid);
        assertThat(Digest.sha256(served)).isEqualTo(Digest.sha256(content));
    }

    @Test
    void aSmallBlobIsOneRawBlock() {
        byte[] content = bytes("raw leaves");
        String cid = commit(stage(content), content);
        assertThat(cid).startsWith("bafkrei"); // CIDv1, raw codec, sha2-256
        assertThat(rpc("block/stat", "arg=" + cid + "&timeout=10s").path("Size").asLong()).isEqualTo(content.length);
    }

    @Test
    void aWholeReadWithTheWrongDigestErrorsButARangedReadWorks() {
        byte[] content = random(300 * 1024, 12);
        String cid = commit(stage(content), content);
        Digest wrong = Digest.sha256(bytes("something else"));
        int size = content.length;

        assertThatThrownBy(() -> drain(store.read(cid, wrong, size, 0, size)))
                .hasMessageContaining("hashes to " + Digest.sha256(content));
        assertThat(drain(store.read(cid, wrong, size, 1, size - 1))).hasSize(size - 1);
        assertThat(drain(store.read(cid, Digest.sha256(content), size, 0, size))).isEqualTo(content);
    }

    @Test
    void deleteUnpins() {
        byte[] content = bytes("pinned, then not");
        String cid = commit(stage(content), content);
        assertThat(isPinned(cid)).isTrue();
        store.delete(cid).block(TIMEOUT);
        assertThat(isPinned(cid)).isFalse();
        // the blocks stay until garbage collection, but the registry no longer serves them
        assertThat(rpcBytes("cat", "arg=" + cid)).isEqualTo(content);
        StepVerifier.create(store.read(cid, 0, content.length)).expectError(IllegalStateException.class).verify(TIMEOUT);
        rpc("repo/gc", "");
        assertThat(isPinned(cid)).isFalse();
    }

    @Test
    void checkAgainstADeadPortFailsFastNamingTheUrl() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        URI dead = URI.create("http://127.0.0.1:" + port);
        try (IpfsBackend unreachable = new IpfsBackend(new IpfsSettings(dead, null, true, Duration.ofSeconds(30)))) {
            long started = System.nanoTime();
            StepVerifier.create(unreachable.check())
                    .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining(dead.toString()))
                    .verify(TIMEOUT);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void aPutWhoseContentFailsMidwayErrorsAndPinsNothing() {
        byte[] content = random(2 * 1024 * 1024, 13);
        Set<String> before = pins();
        IOException diskGone = new IOException("staging disk went away");
        Flux<ByteBuf> failing = Flux.concat(Flux.fromIterable(chunked(content, 64 * 1024)).take(10), Flux.error(diskGone));
        StepVerifier.create(backend.put(Digest.sha256(content), content.length, failing))
                .expectErrorSatisfies(e -> assertThat(e).isSameAs(diskGone))
                .verify(TIMEOUT);
        assertThat(pins()).isEqualTo(before);
        assertGarbageCollectionStillWorks();
    }

    @Test
    void aPutOfTheWrongSizeErrorsAndPinsNothing() {
        byte[] content = random(200 * 1024, 14);
        Set<String> before = pins();
        StepVerifier.create(backend.put(Digest.sha256(content), content.length + 1, Flux.fromIterable(chunked(content, 64 * 1024))))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("expected " + (content.length + 1)))
                .verify(TIMEOUT);
        assertThat(pins()).isEqualTo(before);
        assertGarbageCollectionStillWorks();
    }

    @Test
    void redirectPointsAtTheGateway() {
        byte[] content = bytes("fetched elsewhere");
        String cid = commit(stage(content), content);
        assertThat(backend.redirect(cid)).contains(URI.create(NODE.gateway() + "/ipfs/" + cid));
        assertThat(store.redirect(cid)).as("RemoteBlobStore built with redirect=false").isEmpty();
    }

    @Test
    void locationsThatAreNotCidsAreRejected() {
        for (String location : new String[] {"../x", "a&arg=b", "", "bafy?x"}) {
            StepVerifier.create(store.read(location, 0, 1)).expectError(IllegalArgumentException.class).verify(TIMEOUT);
            StepVerifier.create(store.delete(location)).expectError(IllegalArgumentException.class).verify(TIMEOUT);
        }
    }

    /** js-ipfs never releases its GC lock after an aborted add; then repo/gc, and adds after it, hang. */
    private static void assertGarbageCollectionStillWorks() {
        rpc("repo/gc", "");
    }

    private static boolean isPinned(String cid) {
        HttpResponse<byte[]> response = send("pin/ls", "type=recursive&cid-base=base32&arg=" + cid);
        String text = new String(response.body(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(response.statusCode() == 200 || text.contains("not pinned")).as(text).isTrue();
        return response.statusCode() == 200;
    }

    /** Every recursive pin, in the node's own encoding (js-ipfs: base58 unless asked; v0 pins refuse base32). */
    private static Set<String> pins() {
        Set<String> result = new HashSet<>();
        rpc("pin/ls", "type=recursive").path("Keys").fieldNames().forEachRemaining(result::add);
        return result;
    }

    /** A unary RPC call with a plain HTTP client: the last JSON line of the reply. */
    private static JsonNode rpc(String command, String query) {
        String text = new String(rpcBytes(command, query), java.nio.charset.StandardCharsets.UTF_8);
        JsonNode last = JSON.nullNode();
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                try {
                    last = JSON.readTree(line);
                } catch (IOException e) {
                    throw new AssertionError("not JSON from " + command + ": " + line, e);
                }
            }
        }
        return last;
    }

    private static byte[] rpcBytes(String command, String query) {
        HttpResponse<byte[]> response = send(command, query);
        assertThat(response.statusCode()).as(command + " answered " + new String(response.body())).isEqualTo(200);
        return response.body();
    }

    private static HttpResponse<byte[]> send(String command, String query) {
        URI uri = URI.create(NODE.api() + "/api/v0/" + command + (query.isEmpty() ? "" : "?" + query));
        try {
            return RAW.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new AssertionError(command + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}

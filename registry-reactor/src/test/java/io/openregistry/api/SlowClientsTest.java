package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.config.Config;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * 1,000 idle connections and 50 slow-header ("slowloris") clients, one header byte a second, do
 * not keep a normal client from pushing and pulling an image, and the registry sheds them all: the
 * idle ones after {@code http.idleTimeoutSeconds}, the slow ones after {@code http.headerTimeoutSeconds}
 * although they keep sending. Short timeouts keep the test fast; nothing is asserted about
 * durations beyond "closed by the server within a generous bound".
 *
 * <p>(Reactor Netty 1.3.7's idle timeout happens to count a trickled head as idle, since its idle
 * handler sits behind the codec and sees no message until the head is whole; so the header
 * timeout on its own is shown by a registry whose idle timeout is an hour.)
 *
 * <p>Needs about 2,200 file descriptors (both ends of every connection live in this JVM); the JVM
 * raises its soft limit to the hard one on Linux, and the test says so plainly when that is too low.
 */
class SlowClientsTest {
    private static final int IDLE = 1000;
    private static final int SLOW = 50;
    /** A head that never ends within the test: at one byte a second, minutes of bytes. */
    private static final byte[] SLOW_HEAD = ("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "a".repeat(400))
            .getBytes(StandardCharsets.US_ASCII);
    /** Generous: the timeouts are 1 to 4 s. */
    private static final long SHED_BOUND_NANOS = TimeUnit.SECONDS.toNanos(90);

    @Test
    void idleAndSlowHeaderConnectionsAreShedWhileANormalClientPushesAndPulls() throws Exception {
        long fds = ((com.sun.management.UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getMaxFileDescriptorCount();
        assertThat(fds).as("file descriptor limit of the test JVM (raise `ulimit -n`)").isGreaterThanOrEqualTo(4096);
        // header 2 s, body 2 s, idle 4 s: the normal client's back-to-back requests never sit idle that long
        try (TunedRegistry registry = TunedRegistry.start(2, 2, 4, dir -> Config.Auth.disabled());
             Selector selector = Selector.open()) {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", registry.port());
            List<Peer> peers = new ArrayList<>();
            for (int i = 0; i < IDLE + SLOW; i++) {
                SocketChannel channel = SocketChannel.open(address);
                channel.configureBlocking(false);
                Peer peer = new Peer(channel, i >= IDLE);
                channel.register(selector, SelectionKey.OP_READ, peer);
                peers.add(peer);
            }
            CompletableFuture<Void> shed = CompletableFuture.runAsync(() -> trickleUntilShed(selector, peers));

            pushAndPull(new TestClient(registry.baseUrl(), registry.port()));

            shed.get(SHED_BOUND_NANOS + TimeUnit.SECONDS.toNanos(10), TimeUnit.NANOSECONDS);
            assertThat(peers.stream().filter(p -> !p.closedByServer)).as("connections still open").isEmpty();
            assertThat(peers.stream().filter(p -> p.received > 0)).as("nobody got an answer").isEmpty();
        }
    }

    /**
     * A head trickled one byte a second is cut at the header timeout, on a fresh connection and
     * on a kept-alive one after a complete request, even though the idle timeout is an hour.
     */
    @Test
    void aTrickledHeadIsCutAtTheHeaderTimeoutWhateverTheIdleTimeout() throws Exception {
        try (TunedRegistry registry = TunedRegistry.start(1, 60, 3600, dir -> Config.Auth.disabled())) {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", registry.port());
            try (SocketChannel fresh = SocketChannel.open(address)) {
                assertThat(trickle(fresh)).as("bytes of the head sent before the cut").isLessThan(SLOW_HEAD.length);
            }
            try (SocketChannel keptAlive = SocketChannel.open(address)) {
                keptAlive.write(ByteBuffer.wrap("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII)));
                ByteBuffer response = ByteBuffer.allocate(4096);
                keptAlive.read(response); // blocking: the whole small response
                assertThat(new String(response.array(), 0, response.position(), StandardCharsets.US_ASCII))
                        .startsWith("HTTP/1.1 200");
                assertThat(trickle(keptAlive)).as("bytes of the next head sent before the cut").isLessThan(SLOW_HEAD.length);
            }
        }
    }

    /**
     * Sends {@link #SLOW_HEAD} one byte a second until the server closes the connection; returns
     * how many bytes went out. Fails when the server has not closed it within the bound.
     */
    private static int trickle(SocketChannel channel) throws IOException, InterruptedException {
        channel.configureBlocking(false);
        ByteBuffer sink = ByteBuffer.allocate(256);
        int sent = 0;
        long start = System.nanoTime();
        while (sent < SLOW_HEAD.length && System.nanoTime() - start < SHED_BOUND_NANOS) {
            try {
                sent += channel.write(ByteBuffer.wrap(SLOW_HEAD, sent, 1));
                sink.clear();
                if (channel.read(sink) < 0) {
                    return sent;
                }
            } catch (IOException reset) {
                return sent;
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("the server did not close a connection trickling its head (" + sent + " bytes sent)");
    }

    /** A normal client: a three-blob image pushed monolithically with its manifest, then pulled back. */
    private static void pushAndPull(TestClient client) {
        String repo = "slow/" + UUID.randomUUID().toString().substring(0, 8);
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"n\":\"" + UUID.randomUUID() + "\"}").getBytes();
        byte[] layer1 = Oci.random(1 << 20);
        byte[] layer2 = Oci.random(300_000);
        for (byte[] blob : List.of(config, layer1, layer2)) {
            HttpResponse<byte[]> r = client.post("/v2/" + repo + "/blobs/uploads/?digest=" + Oci.digest(blob), blob,
                    "Content-Type", "application/octet-stream");
            assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(201);
        }
        byte[] manifest = Oci.imageManifest(Oci.OCI_MANIFEST, config, layer1, layer2);
        HttpResponse<byte[]> put = client.put("/v2/" + repo + "/manifests/v1", manifest, "Content-Type", Oci.OCI_MANIFEST);
        assertThat(put.statusCode()).as(new String(put.body())).isEqualTo(201);

        HttpResponse<byte[]> pulled = client.get("/v2/" + repo + "/manifests/v1", "Accept", Oci.OCI_MANIFEST);
        assertThat(pulled.statusCode()).isEqualTo(200);
        assertThat(pulled.headers().firstValue("Docker-Content-Digest")).hasValue(Oci.digest(manifest));
        assertThat(Oci.digest(pulled.body())).isEqualTo(Oci.digest(manifest));
        for (byte[] blob : List.of(config, layer1, layer2)) {
            HttpResponse<byte[]> r = client.get("/v2/" + repo + "/blobs/" + Oci.digest(blob));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(Oci.digest(r.body())).isEqualTo(Oci.digest(blob));
        }
    }

    /**
     * Sends each slow client's next head byte every second and watches every connection until the
     * server has closed them all (or the bound passes).
     */
    private static void trickleUntilShed(Selector selector, List<Peer> peers) {
        long start = System.nanoTime();
        long nextByte = start;
        int open = peers.size();
        ByteBuffer sink = ByteBuffer.allocate(4096);
        try {
            while (open > 0 && System.nanoTime() - start < SHED_BOUND_NANOS) {
                if (System.nanoTime() >= nextByte) {
                    for (Peer p : peers) {
                        if (p.slow && !p.closedByServer && p.sent < SLOW_HEAD.length) {
                            try {
                                p.sent += p.channel.write(ByteBuffer.wrap(SLOW_HEAD, p.sent, 1));
                            } catch (IOException reset) {
                                p.closedByServer = true;
                                open--;
                                p.channel.close();
                            }
                        }
                    }
                    nextByte += TimeUnit.SECONDS.toNanos(1);
                }
                selector.select(100);
                for (SelectionKey key : selector.selectedKeys()) {
                    Peer p = (Peer) key.attachment();
                    if (p.closedByServer) {
                        continue;
                    }
                    int n;
                    try {
                        sink.clear();
                        n = p.channel.read(sink);
                    } catch (IOException reset) {
                        n = -1;
                    }
                    if (n > 0) {
                        p.received += n;
                    } else if (n < 0) {
                        p.closedByServer = true;
                        open--;
                        key.cancel();
                        p.channel.close();
                    }
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            for (Peer p : peers) {
                try {
                    p.channel.close();
                } catch (IOException ignored) {
                    // closing our end at the end of the test
                }
            }
        }
    }

    /** One held connection; touched only by the trickling thread until it ends. */
    private static final class Peer {
        final SocketChannel channel;
        final boolean slow;
        int sent;
        int received;
        boolean closedByServer;

        Peer(SocketChannel channel, boolean slow) {
            this.channel = channel;
            this.slow = slow;
        }
    }
}

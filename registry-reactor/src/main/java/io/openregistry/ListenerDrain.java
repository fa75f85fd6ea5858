package io.openregistry;

import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.channel.ChannelOperations;

/**
 * The graceful stop of the API listener: unbind, let the requests in flight finish until a
 * deadline, close each connection once its request is done (idle keep-alive connections at
 * once), then cut whatever is still running.
 *
 * <p>Why not {@code DisposableServer.disposeNow(Duration)}: given the same channel group it waits
 * the same way, but at its deadline it disposes the remaining requests' {@code ChannelOperations},
 * and Reactor Netty (1.3) then completes their request bodies quietly, as if they had arrived
 * whole: a streamed PATCH cut that way would append its partial chunk to the upload. Closing the
 * channel instead ends the body with an {@code AbortedException}, so the append rolls back. It
 * also lets the steps be logged.
 */
final class ListenerDrain {
    private static final Logger log = LoggerFactory.getLogger(ListenerDrain.class);
    private static final Duration UNBIND_TIMEOUT = Duration.ofSeconds(5);
    private static final long CLOSE_TIMEOUT_MILLIS = 5_000;
    private final DisposableServer server;
    private final ChannelGroup connections;

    /** @param connections the group given to the server's {@code channelGroup}: every connection it accepted */
    ListenerDrain(DisposableServer server, ChannelGroup connections) {
        this.server = server;
        this.connections = connections;
    }

    /** A group to collect a listener's connections in (closed connections leave it by themselves). */
    static ChannelGroup newConnectionGroup() {
        return new DefaultChannelGroup("api-connections", GlobalEventExecutor.INSTANCE);
    }

    /**
     * Blocks for at most {@code timeout} (plus a few seconds to unbind and close).
     *
     * @return how many requests were still running at the deadline and were cut
     */
    int drain(Duration timeout) {
        long start = System.nanoTime();
        server.dispose();
        try {
            server.onDispose().block(UNBIND_TIMEOUT);
        } catch (RuntimeException e) {
            log.warn("shutdown: the listener did not close within {} s", UNBIND_TIMEOUT.toSeconds(), e);
        }
        List<Mono<Void>> inFlight = new ArrayList<>();
        for (Channel connection : connections) {
            ChannelOperations<?, ?> request = ChannelOperations.get(connection);
            if (request == null) {
                // idle keep-alive, or a request not read yet: nothing to wait for
                connection.close();
            } else {
                // answered: close rather than wait for the client's next request on it
                inFlight.add(request.onTerminate().onErrorResume(e -> Mono.empty()).doOnTerminate(connection::close));
            }
        }
        log.info("shutdown: listener closed, no new connections; waiting up to {} s for {} requests in flight",
                timeout.toSeconds(), inFlight.size());
        int cut = 0;
        try {
            if (!inFlight.isEmpty()) {
                Mono.when(inFlight).block(timeout);
            }
            log.info("shutdown: in-flight requests drained in {} ms", (System.nanoTime() - start) / 1_000_000);
        } catch (IllegalStateException deadline) {
            cut = (int) connections.stream().filter(c -> ChannelOperations.get(c) != null).count();
            log.info("shutdown: deadline of {} s hit with {} requests still active; cutting them",
                    timeout.toSeconds(), cut);
        }
        if (!connections.close().awaitUninterruptibly(CLOSE_TIMEOUT_MILLIS)) {
            log.warn("shutdown: {} connections did not close within {} ms", connections.size(), CLOSE_TIMEOUT_MILLIS);
        }
        return cut;
    }
}

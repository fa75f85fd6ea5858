package io.openregistry.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.ChannelPipelineConfigurer;
import reactor.netty.NettyPipeline;

/**
 * Closes a connection whose request head (request line and headers) has not arrived whole within
 * a deadline counted from the head's first byte: the slow-header ("slowloris") client.
 *
 * <p>Why a handler of our own: Reactor Netty (1.3) has no such timeout. Its {@code readTimeout}
 * and {@code requestTimeout} start only once a head has been decoded, and its {@code idleTimeout}
 * restarts with every byte read, so a client trickling one header byte a second holds its
 * connection (and a file descriptor, and a slot in every per-connection structure) forever.
 *
 * <p>Two handlers share one state: one before the HTTP codec sees raw bytes (the first byte of a
 * head arms the deadline), one right after it sees the decoded head (which disarms it) and the
 * end of the request (after which the next byte starts a new head). Both run on the connection's
 * event loop. A head that arrives in one read never arms a timer: the codec decodes it within the
 * same read, before the deadline would be scheduled.
 */
public final class HeaderTimeout {
    private static final Logger log = LoggerFactory.getLogger(HeaderTimeout.class);
    private static final String RAW = "openregistry.headerTimeout.raw";
    private static final String DECODED = "openregistry.headerTimeout.decoded";

    private enum Phase { BETWEEN_REQUESTS, IN_HEAD, IN_REQUEST }

    private final long timeoutNanos;
    private Phase phase = Phase.BETWEEN_REQUESTS;
    private Future<?> deadline;

    private HeaderTimeout(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
    }

    /**
     * For the server's {@code doOnChannelInit}: installs the deadline on each new HTTP/1.1
     * connection, once the codec is in its pipeline and before its first byte is read. (Not
     * {@code doOnConnection}: Reactor Netty calls that once per request, after its head arrived.)
     */
    public static ChannelPipelineConfigurer installer(Duration timeout) {
        return (observer, channel, remoteAddress) -> install(channel.pipeline(), timeout);
    }

    static void install(ChannelPipeline pipeline, Duration timeout) {
        if (pipeline.get(NettyPipeline.HttpCodec) == null) {
            return; // not an HTTP/1.1 connection: nothing to watch (the listeners speak only HTTP/1.1)
        }
        HeaderTimeout state = new HeaderTimeout(timeout);
        pipeline.addBefore(NettyPipeline.HttpCodec, RAW, state.new Raw());
        pipeline.addAfter(NettyPipeline.HttpCodec, DECODED, state.new Decoded());
    }

    private void cancel() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    /** Before the codec: bytes as they arrive. */
    private final class Raw extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            boolean headStarts = phase == Phase.BETWEEN_REQUESTS && msg instanceof ByteBuf buf && buf.isReadable();
            if (headStarts) {
                phase = Phase.IN_HEAD;
            }
            ctx.fireChannelRead(msg);
            // still in the head after the codec had these bytes: the rest is late, start the clock
            if (headStarts && phase == Phase.IN_HEAD && deadline == null && ctx.channel().isActive()) {
                deadline = ctx.executor().schedule(() -> expire(ctx), timeoutNanos, TimeUnit.NANOSECONDS);
            }
        }

        private void expire(ChannelHandlerContext ctx) {
            deadline = null;
            if (phase == Phase.IN_HEAD) {
                log.debug("{}: the request head did not arrive whole within {} ms; closing the connection",
                        ctx.channel().remoteAddress(), TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
                ctx.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            cancel();
            ctx.fireChannelInactive();
        }
    }

    /** Right after the codec: decoded heads and body parts. */
    private final class Decoded extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest) {
                cancel();
                phase = Phase.IN_REQUEST;
            }
            if (msg instanceof LastHttpContent && phase == Phase.IN_REQUEST) {
                phase = Phase.BETWEEN_REQUESTS;
            }
            ctx.fireChannelRead(msg);
        }
    }
}

package io.openregistry.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import reactor.netty.http.server.HttpServerRequest;

/**
 * Closes a connection whose request body was not read to its end without destroying the response
 * on its way to the client ("lingering close", RFC 9112 section 9.6).
 *
 * <p>Why: closing a TCP socket while received data is still unread makes the kernel send a reset
 * instead of a FIN, and a reset that reaches the client before it has read the response discards
 * that response from the client's buffers: a client still sending a refused 5 MiB manifest saw
 * "connection reset" instead of the 413. So, once armed on a connection, the close that follows the
 * response (Reactor Netty closes after the last write of a {@code Connection: close} response)
 * becomes: half-close (the response, then a FIN), read and drop whatever the client still sends,
 * and close for good when the client closes its side, after {@link #MAX_DISCARD} bytes, or after
 * {@link #DEADLINE}, whichever comes first. Each bound caps what a client can make the registry do
 * after it was refused.
 */
public final class LingeringClose extends ChannelDuplexHandler {
    /** Longest wait for the client to finish sending and close. */
    static final Duration DEADLINE = Duration.ofSeconds(10);
    /** Most bytes read and dropped before giving up on the client. */
    static final long MAX_DISCARD = 64L * 1024 * 1024;
    private static final String NAME = "openregistry.lingeringClose";

    private boolean lingering;
    private long discarded;

    private LingeringClose() {
    }

    /**
     * Makes the coming close of the request's connection a lingering one. Call it when the
     * response is to close the connection while the request body may not have been read to its end.
     */
    public static void arm(HttpServerRequest request) {
        request.withConnection(connection -> arm(connection.channel()));
    }

    static void arm(Channel channel) {
        // Only a plain TCP connection can be half-closed; anything else closes as before.
        if (channel instanceof DuplexChannel && channel.isActive() && channel.pipeline().get(NAME) == null) {
            // First in the pipeline: every close and the raw bytes pass here before any HTTP handler.
            // Added at once from any thread: Netty orders its activation before later writes.
            try {
                channel.pipeline().addFirst(NAME, new LingeringClose());
            } catch (IllegalArgumentException armedMeanwhile) {
                // the name is taken: armed already
            }
        }
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        DuplexChannel channel = (DuplexChannel) ctx.channel();
        if (lingering) {
            // a second close (a timeout handler, say) waits for the one in progress
            channel.closeFuture().addListener(f -> promise.trySuccess());
            return;
        }
        if (!channel.isActive() || channel.isOutputShutdown() || channel.isInputShutdown()) {
            ctx.close(promise);
            return;
        }
        lingering = true;
        // however the connection ends (the client's FIN closes it inside Netty), the close is done then
        channel.closeFuture().addListener(f -> promise.trySuccess());
        channel.shutdownOutput().addListener(shutdown -> {
            if (!shutdown.isSuccess()) {
                finish(ctx);
                return;
            }
            ScheduledFuture<?> deadline = ctx.executor().schedule(() -> finish(ctx), DEADLINE.toMillis(),
                    TimeUnit.MILLISECONDS);
            channel.closeFuture().addListener(f -> deadline.cancel(false));
            // Reactor Netty reads on demand; from here on everything is read and dropped
            channel.config().setAutoRead(true);
            ctx.read();
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!lingering) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (msg instanceof ByteBuf buf) {
            discarded += buf.readableBytes();
        } else if (msg instanceof ByteBufHolder holder) {
            discarded += holder.content().readableBytes();
        }
        ReferenceCountUtil.release(msg);
        if (discarded > MAX_DISCARD) {
            finish(ctx);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!lingering) {
            ctx.fireChannelReadComplete();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!lingering) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        // the client reset or went away while we waited for it: nothing left to protect
        finish(ctx);
    }

    private static void finish(ChannelHandlerContext ctx) {
        if (ctx.channel().isOpen()) {
            ctx.close();
        }
    }
}

package io.openregistry.http;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.http.HttpRequest;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.SignalType;
import reactor.netty.Connection;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * One JSON line per API request on the logger {@value #LOGGER}: {@code time}, {@code requestId},
 * {@code client}, {@code method}, {@code route} (the template, as in the metrics), {@code repository},
 * {@code status} (null when no response began), {@code bytesIn} and {@code bytesOut} (body bytes
 * received and sent), {@code durationMs}, and {@code aborted} when the response did not go out
 * whole (client gone, or the transfer broke). Never the query string, headers or
 * bodies: nothing secret can reach it.
 */
public final class AccessLog {
    public static final String LOGGER = "openregistry.access";
    private static final Logger log = LoggerFactory.getLogger(LOGGER);
    private static final String COUNTER = "openregistry.bytes";
    private final boolean enabled;

    public AccessLog(boolean enabled) {
        this.enabled = enabled && log.isInfoEnabled();
    }

    /**
     * Installs the byte counter on a new connection (the server's {@code doOnConnection}), behind
     * Reactor Netty's HTTP codec, where it sees each request's head and body parts.
     */
    public static void countBytes(Connection connection) {
        connection.addHandlerFirst(COUNTER, new ByteCounter());
    }

    /** What is known when a request starts; null when the access log is off. */
    Mark start(HttpServerRequest request) {
        if (!enabled) {
            return null;
        }
        ByteCounter[] counter = new ByteCounter[1];
        request.withConnection(c -> counter[0] = (ByteCounter) c.channel().pipeline().get(COUNTER));
        ByteCounter bytes = counter[0];
        return new Mark(System.nanoTime(), bytes, bytes == null ? 0 : bytes.out);
    }

    /** Writes the line of a finished (or abandoned) request; {@code route} is its match, or null. */
    void finish(Mark mark, String requestId, HttpServerRequest request, HttpServerResponse response, RouteMatch route,
                SignalType end) {
        if (mark == null) {
            return;
        }
        long bytesOut = mark.counter == null ? -1 : mark.counter.out - mark.out;
        // written by hand: the only free-form values (client, repository) go through the JSON escaper
        StringBuilder line = new StringBuilder(256)
                .append("{\"time\":\"").append(Instant.now())
                .append("\",\"requestId\":\"").append(requestId)
                .append("\",\"client\":").append(quoted(address(request.remoteAddress())))
                .append(",\"method\":\"").append(request.method().name())
                .append("\",\"route\":\"").append(RouteTemplates.of(route))
                .append("\",\"repository\":").append(route == null ? "null" : quoted(route.name()))
                .append(",\"status\":").append(response.hasSentHeaders() ? String.valueOf(response.status().code()) : "null")
                .append(",\"bytesIn\":").append(mark.counter == null ? "null" : String.valueOf(mark.counter.in))
                .append(",\"bytesOut\":").append(bytesOut < 0 ? "null" : String.valueOf(bytesOut))
                .append(",\"durationMs\":").append((System.nanoTime() - mark.startNanos) / 100_000 / 10.0);
        if (aborted(request, response, end, bytesOut)) {
            line.append(",\"aborted\":true");
        }
        log.info(line.append('}').toString());
    }

    private static String quoted(String value) {
        if (value == null) {
            return "null";
        }
        return '"' + new String(JsonStringEncoder.getInstance().quoteAsString(value)) + '"';
    }

    /**
     * Whether the response did not go out whole: the transfer failed, or nothing or only part of
     * the declared body was written. (Reactor Netty may cancel a handler whose response it has
     * already completed, so a cancel signal alone says nothing.)
     */
    private static boolean aborted(HttpServerRequest request, HttpServerResponse response, SignalType end,
                                   long bytesOut) {
        if (end == SignalType.ON_ERROR || !response.hasSentHeaders()) {
            return true;
        }
        String declared = response.responseHeaders().get(io.netty.handler.codec.http.HttpHeaderNames.CONTENT_LENGTH);
        if (declared == null || bytesOut < 0 || request.method().equals(io.netty.handler.codec.http.HttpMethod.HEAD)) {
            return false;
        }
        try {
            return bytesOut < Long.parseLong(declared);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static String address(SocketAddress address) {
        return address instanceof InetSocketAddress inet && inet.getAddress() != null
                ? inet.getAddress().getHostAddress() : String.valueOf(address);
    }

    /** The start of one request. */
    record Mark(long startNanos, ByteCounter counter, long out) {}

    /**
     * Counts the body bytes a connection reads (per request: reset by each request head) and
     * writes (a running total). Written only by the connection's event loop; volatile because the
     * access log line may be written from the thread a handler finished on.
     */
    static final class ByteCounter extends ChannelDuplexHandler {
        volatile long in;
        volatile long out;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest) {
                in = 0;
            }
            if (msg instanceof ByteBufHolder holder) {
                in += holder.content().readableBytes();
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof ByteBuf buf) {
                out += buf.readableBytes();
            }
            if (msg instanceof ByteBufHolder holder) {
                out += holder.content().readableBytes();
            } else if (msg instanceof FileRegion region) {
                out += region.count();
            }
            ctx.write(msg, promise);
        }
    }
}

package io.openregistry.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.http.HttpRequest;
import io.openregistry.metrics.Meters;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
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
    private final ObjectMapper json;
    private final boolean enabled;

    public AccessLog(ObjectMapper json, boolean enabled) {
        this.json = json;
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

    /** Writes the line of a finished (or abandoned) request. */
    void finish(Mark mark, String requestId, HttpServerRequest request, HttpServerResponse response, SignalType end) {
        if (mark == null) {
            return;
        }
        String uri = request.uri();
        int q = uri.indexOf('?');
        RouteMatch route = PathRouter.route(q < 0 ? uri : uri.substring(0, q));
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("time", Instant.now().toString());
        line.put("requestId", requestId);
        line.put("client", address(request.remoteAddress()));
        line.put("method", request.method().name());
        line.put("route", Meters.uriTemplate(uri));
        line.put("repository", route == null ? null : route.name());
        long bytesOut = mark.counter == null ? -1 : mark.counter.out - mark.out;
        line.put("status", response.hasSentHeaders() ? response.status().code() : null);
        line.put("bytesIn", mark.counter == null ? null : mark.counter.in);
        line.put("bytesOut", bytesOut < 0 ? null : bytesOut);
        line.put("durationMs", (System.nanoTime() - mark.startNanos) / 100_000 / 10.0);
        if (aborted(request, response, end, bytesOut)) {
            line.put("aborted", true);
        }
        try {
            log.info(json.writeValueAsString(line));
        } catch (JsonProcessingException e) {
            log.warn("cannot write an access log line for request {}", requestId, e);
        }
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

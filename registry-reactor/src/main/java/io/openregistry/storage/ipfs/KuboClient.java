package io.openregistry.storage.ipfs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientResponse;
import reactor.netty.resources.ConnectionProvider;

/**
 * A small non-blocking client of the Kubo HTTP RPC API ({@code /api/v0/...}), which js-ipfs also
 * speaks. Every call is a POST with its arguments in the query string.
 *
 * <p>Timeouts: unary calls are bounded as a whole. Streaming calls ({@link #add}, {@link #cat})
 * carry bytes whose volume is not ours to bound, so they are bounded by idleness instead: the
 * node must answer, and keep reading or sending, within the timeout.
 */
final class KuboClient implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String api;
    private final Duration timeout;
    private final ConnectionProvider pool;
    private final HttpClient http;

    KuboClient(URI api, Duration timeout) {
        String base = api.toString();
        this.api = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.timeout = timeout;
        this.pool = ConnectionProvider.builder("ipfs-rpc")
                .maxConnections(64)
                .pendingAcquireTimeout(timeout)
                .maxIdleTime(Duration.ofSeconds(20))
                .build();
        this.http = HttpClient.create(pool)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(timeout.toMillis(), 10_000))
                // idle time allowed between reads, from the end of the request on
                .responseTimeout(timeout);
    }

    /** The API base URL, for messages. */
    String api() {
        return api;
    }

    /**
     * Adds {@code content} as one file, streamed as a chunked multipart body, and returns its
     * CIDv1 in base32. The content must be cold: it is subscribed once, with backpressure, and the
     * HTTP layer releases its buffers.
     *
     * <p>If the content errors, the add still ends with a well-formed body and the content's error
     * is returned instead of the CID. It is added with {@code pin=false} (callers pin afterwards), so a partial file is left unpinned for
     * the garbage collector. Aborting the request instead would be fine for Kubo, but js-ipfs then
     * never releases its GC lock, and the next {@code repo/gc} (and every add after it) hangs.
     */
    Mono<String> add(Flux<ByteBuf> content) {
        return Mono.defer(() -> {
            AtomicReference<Throwable> contentError = new AtomicReference<>();
            // any unlikely string will do; ThreadLocalRandom never blocks (UUID.randomUUID may read /dev/urandom)
            String boundary = "openregistry-" + Long.toHexString(ThreadLocalRandom.current().nextLong())
                    + Long.toHexString(ThreadLocalRandom.current().nextLong());
            String head = "--" + boundary + "\r\n"
                    + "Content-Disposition: form-data; name=\"file\"; filename=\"blob\"\r\n"
                    // js-ipfs rejects parts without a Content-Type
                    + "Content-Type: application/octet-stream\r\n\r\n";
            String tail = "\r\n--" + boundary + "--\r\n";
            Flux<ByteBuf> body = Flux.concat(
                    Mono.fromSupplier(() -> ascii(head)),
                    content.onErrorResume(e -> {
                                contentError.set(e);
                                return Flux.empty();
                            })
                            // a stuck node stops requesting, so no item comes: abort then
                            .timeout(timeout),
                    Mono.fromSupplier(() -> ascii(tail)));
            String query = "cid-version=1&raw-leaves=true&cid-base=base32&progress=false&pin=false";
            return http.headers(h -> h.set(HttpHeaderNames.CONTENT_TYPE, "multipart/form-data; boundary=" + boundary))
                    .post()
                    .uri(api + "/api/v0/add?" + query)
                    .send((request, out) -> out.send(body))
                    .response(KuboClient::reply)
                    .single()
                    .map(KuboClient::addedHash)
                    .onErrorMap(e -> contentError.get() == null ? wrap("add", e) : contentError.get())
                    .flatMap(cid -> contentError.get() == null ? Mono.just(cid) : Mono.error(contentError.get()));
        });
    }

    /**
     * Streams {@code length} bytes of the file {@code cid} from {@code offset}. Buffers are
     * handed on retained (the subscriber releases them) and read only as they are requested.
     */
    Flux<ByteBuf> cat(String cid, long offset, long length) {
        String query = "arg=" + encode(cid) + "&offset=" + offset + "&length=" + length;
        return http.post()
                .uri(api + "/api/v0/cat?" + query)
                .response((response, received) -> {
                    if (response.status().code() != 200) {
                        return reply(response, received).then(Mono.<ByteBuf>empty()); // errors with the node's message
                    }
                    // Kubo reports an error after the headers went out as a trailer
                    return received.retain().concatWith(response.trailerHeaders()
                            .flatMap(KuboClient::streamError));
                })
                .onErrorMap(e -> wrap("cat " + cid, e));
    }

    /** Pins {@code cid} recursively. */
    Mono<Void> pinAdd(String cid) {
        return call("pin/add", "arg=" + encode(cid)).then();
    }

    /** The size in bytes of the file {@code cid}. */
    Mono<Long> fileSize(String cid) {
        return call("files/stat", "arg=" + encode("/ipfs/" + cid)).map(json -> json.path("Size").asLong(-1));
    }

    /** Whether {@code cid} is pinned recursively: a quick local lookup, unlike fetching a missing block. */
    Mono<Boolean> pinned(String cid) {
        return call("pin/ls", "arg=" + encode(cid) + "&type=recursive")
                .map(json -> true)
                .onErrorResume(RpcException.class,
                        e -> e.getMessage().contains("not pinned") ? Mono.just(false) : Mono.error(e));
    }

    /**
     * The recursively pinned CIDs ({@code pin/ls?type=recursive}). The reply is one JSON object
     * ({@code {"Keys": {cid: {...}}}}), held whole: some tens of bytes per pin.
     */
    Flux<String> pins() {
        return call("pin/ls", "type=recursive")
                .flatMapIterable(json -> {
                    java.util.List<String> cids = new java.util.ArrayList<>();
                    json.path("Keys").fieldNames().forEachRemaining(cid -> cids.add(base32(cid)));
                    return cids;
                });
    }

    private static final String BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    private static final String BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

    /**
     * A CIDv1 in base32 (multibase prefix {@code b}), as {@code add} answers with
     * {@code cid-base=base32} and the registry records: pin/ls lists CIDv1 in the node's own base
     * (js-ipfs: base58btc, prefix {@code z}), and asking it for base32 fails when any CIDv0 is
     * pinned. Other forms (CIDv0 {@code Qm...}, other bases) are returned as they are.
     */
    static String base32(String cid) {
        if (cid.isEmpty() || cid.charAt(0) != 'z') {
            return cid;
        }
        java.math.BigInteger n = java.math.BigInteger.ZERO;
        int zeros = 0;
        boolean leading = true;
        for (char c : cid.substring(1).toCharArray()) {
            int digit = BASE58.indexOf(c);
            if (digit < 0) {
                return cid;
            }
            if (leading && digit == 0) {
                zeros++;
            } else {
                leading = false;
            }
            n = n.multiply(java.math.BigInteger.valueOf(58)).add(java.math.BigInteger.valueOf(digit));
        }
        byte[] magnitude = n.toByteArray();
        int skip = magnitude.length > 1 && magnitude[0] == 0 ? 1 : 0;
        byte[] bytes = new byte[zeros + magnitude.length - skip];
        System.arraycopy(magnitude, skip, bytes, zeros, magnitude.length - skip);
        StringBuilder out = new StringBuilder("b");
        int buffer = 0;
        int bits = 0;
        for (byte b : bytes) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                out.append(BASE32.charAt((buffer >> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        if (bits > 0) {
            out.append(BASE32.charAt((buffer << (5 - bits)) & 31));
        }
        return out.toString();
    }

    /** Unpins {@code cid}; completes normally when it was not pinned. */
    Mono<Void> pinRm(String cid) {
        return call("pin/rm", "arg=" + encode(cid))
                .then()
                .onErrorResume(RpcException.class,
                        e -> e.getMessage().contains("not pinned") ? Mono.empty() : Mono.error(e));
    }


    /** The node's version string, e.g. {@code 0.66.1}. */
    Mono<String> version() {
        return call("version", "").map(json -> json.path("Version").asText());
    }

    /** The node's peer id. */
    Mono<String> id() {
        return call("id", "").map(json -> json.path("ID").asText(json.path("id").asText()));
    }

    /** A unary call: POST, whole reply parsed as JSON, bounded by the timeout as a whole. */
    Mono<JsonNode> call(String command, String query) {
        return http.post()
                .uri(api + "/api/v0/" + command + (query.isEmpty() ? "" : "?" + query))
                .response(KuboClient::reply)
                .single()
                .map(KuboClient::lastJsonLine)
                .timeout(timeout, Mono.error(() -> new RpcException("no answer within " + timeout)))
                .onErrorMap(e -> wrap(command, e));
    }

    @Override
    public void close() {
        pool.dispose();
    }

    /** The aggregated reply text of a small response, or an error carrying the node's message. */
    private static Mono<String> reply(HttpClientResponse response, ByteBufFlux received) {
        Mono<String> text = received.aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("");
        if (response.status().code() != 200) {
            return text.flatMap(t -> Mono.error(failure(response, t)));
        }
        return text.flatMap(t -> response.trailerHeaders().flatMap(KuboClient::<String>streamError).thenReturn(t));
    }

    private static <T> Mono<T> streamError(HttpHeaders trailers) {
        String error = trailers.get("X-Stream-Error");
        return error == null || error.isEmpty() ? Mono.empty() : Mono.error(new RpcException(error));
    }

    private static RpcException failure(HttpClientResponse response, String text) {
        String message = text;
        try {
            JsonNode json = JSON.readTree(text);
            if (json != null && json.hasNonNull("Message")) {
                message = json.get("Message").asText();
            }
        } catch (IOException notJson) {
            // keep the raw text: a proxy or a 404 page says more than nothing
        }
        String shown = message.isBlank() ? response.status().toString() : message.strip();
        return new RpcException(shown + " (HTTP " + response.status().code() + ")");
    }

    /** Replies may hold several JSON values, one a line (Kubo streams them); the last one counts. */
    private static JsonNode lastJsonLine(String text) {
        JsonNode last = JSON.nullNode();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode json = JSON.readTree(line);
                if ("error".equals(json.path("Type").asText()) && json.has("Message")) {
                    throw new RpcException(json.get("Message").asText());
                }
                last = json;
            } catch (IOException e) {
                throw new RpcException("unreadable reply from the IPFS API: " + line);
            }
        }
        return last;
    }

    private static String addedHash(String text) {
        JsonNode json = lastJsonLine(text);
        // the CID may come as a string (Kubo, js-ipfs) or as {"/": cid} in some versions
        JsonNode hash = json.path("Hash");
        String cid = hash.isObject() ? hash.path("/").asText() : hash.asText();
        if (cid.isEmpty()) {
            throw new RpcException("the IPFS API answered add without a Hash: " + text.strip());
        }
        return cid;
    }

    private Throwable wrap(String what, Throwable e) {
        if (e instanceof RpcException) {
            return new RpcException("IPFS " + what + " failed at " + api + ": " + e.getMessage(), e);
        }
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new RpcException("IPFS " + what + " failed at " + api + ": " + message, e);
    }

    private static ByteBuf ascii(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** The node refused a call or could not be reached; the message is the node's own where it gave one. */
    static final class RpcException extends RuntimeException {
        RpcException(String message) {
            super(message);
        }

        RpcException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}

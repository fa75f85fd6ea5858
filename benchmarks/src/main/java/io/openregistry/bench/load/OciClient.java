package io.openregistry.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufMono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * The OCI distribution protocol as a client speaks it, on Reactor Netty's non-blocking client:
 * works against any registry (relative or absolute upload locations, with or without a query).
 */
final class OciClient implements AutoCloseable {
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private final List<String> bases;
    private final AtomicInteger turn = new AtomicInteger();
    private final ConnectionProvider provider;
    private final HttpClient http;

    record Reply(int status, HttpHeaders headers, String body) {
    }

    /**
     * @param bases one registry, or several replicas of one: then every request goes to the next
     *              one in turn, so each request of an upload lands on another replica than the last
     */
    OciClient(List<String> bases, int maxConnections) {
        this.bases = bases.stream().map(b -> b.endsWith("/") ? b.substring(0, b.length() - 1) : b).toList();
        this.provider = ConnectionProvider.builder("load").maxConnections(maxConnections)
                .pendingAcquireMaxCount(-1).pendingAcquireTimeout(Duration.ofMinutes(10)).build();
        this.http = HttpClient.create(provider).keepAlive(true).responseTimeout(Duration.ofMinutes(10));
    }

    /** The base URL for the next request. */
    private String base() {
        return bases.size() == 1 ? bases.get(0) : bases.get(Math.floorMod(turn.getAndIncrement(), bases.size()));
    }

    /**
     * An upload location as a path (a registry may answer it absolute), to be sent to the base of
     * the request that uses it.
     */
    private static String path(String location) {
        if (location.startsWith("http://") || location.startsWith("https://")) {
            int slash = location.indexOf('/', location.indexOf("//") + 2);
            return slash < 0 ? "/" : location.substring(slash);
        }
        return location;
    }

    private static String withQuery(String url, String query) {
        return url + (url.contains("?") ? "&" : "?") + query;
    }

    private static Mono<Reply> reply(reactor.netty.http.client.HttpClientResponse res, ByteBufMono body) {
        return body.asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                .map(text -> new Reply(res.status().code(), res.responseHeaders(), text));
    }

    private static Mono<Reply> expect(Mono<Reply> reply, int status, String what) {
        return reply.flatMap(r -> r.status() == status ? Mono.just(r)
                : Mono.error(new IllegalStateException(what + ": HTTP " + r.status() + " " + r.body())));
    }

    /** POST an upload session; returns its location as a path. */
    Mono<String> startUpload(String repo) {
        return Mono.defer(() -> expect(http.post().uri(base() + "/v2/" + repo + "/blobs/uploads/").send(Mono.empty())
                .responseSingle(OciClient::reply), 202, "start upload"))
                .map(r -> path(r.headers().get(HttpHeaderNames.LOCATION)));
    }

    /** POST then PUT with the whole blob as the body ("monolithic" in two requests, as clients do). */
    Mono<Void> pushMonolithic(String repo, Content content) {
        return startUpload(repo).flatMap(location -> expect(http
                .headers(h -> h.set(HttpHeaderNames.CONTENT_LENGTH, content.size)
                        .set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream"))
                .put().uri(withQuery(base() + location, "digest=" + content.digest)).send(content.stream())
                .responseSingle(OciClient::reply), 201, "put blob")).then();
    }

    /** A small blob (config) from memory, POST then PUT. */
    Mono<String> pushBytes(String repo, byte[] bytes) {
        String digest = Content.digestOf(bytes);
        return startUpload(repo).flatMap(location -> expect(http
                .headers(h -> h.set(HttpHeaderNames.CONTENT_LENGTH, bytes.length)
                        .set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream"))
                .put().uri(withQuery(base() + location, "digest=" + digest))
                .send(Mono.fromSupplier(() -> io.netty.buffer.Unpooled.wrappedBuffer(bytes)))
                .responseSingle(OciClient::reply), 201, "put small blob")).thenReturn(digest);
    }

    /** POST, then PATCH chunks with Content-Range, then PUT ?digest=. */
    Mono<Void> pushChunked(String repo, Content content, long chunk) {
        return startUpload(repo).flatMap(first -> Flux.range(0, (int) ((content.size + chunk - 1) / chunk))
                .reduce(Mono.just(first), (prev, i) -> prev.flatMap(location -> {
                    long from = i * chunk;
                    long n = Math.min(chunk, content.size - from);
                    return expect(http.headers(h -> h.set(HttpHeaderNames.CONTENT_LENGTH, n)
                                    .set(HttpHeaderNames.CONTENT_RANGE, from + "-" + (from + n - 1))
                                    .set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream"))
                            .patch().uri(base() + location).send(content.stream(from, n))
                            .responseSingle(OciClient::reply), 202, "patch chunk")
                            .map(r -> path(r.headers().get(HttpHeaderNames.LOCATION)));
                }))
                .flatMap(m -> m)
                .flatMap(location -> expect(http.headers(h -> h.set(HttpHeaderNames.CONTENT_LENGTH, 0))
                        .put().uri(withQuery(base() + location, "digest=" + content.digest)).send(Mono.empty())
                        .responseSingle(OciClient::reply), 201, "finish chunked"))).then();
    }

    /** HEAD a blob: whether the repository has it. */
    Mono<Boolean> hasBlob(String repo, String digest) {
        return http.head().uri(base() + "/v2/" + repo + "/blobs/" + digest)
                .responseSingle((res, body) -> body.then(Mono.just(res.status().code() == 200)));
    }

    /** GET a blob to nowhere; returns the bytes received. */
    Mono<Long> pullBlob(String repo, String digest) {
        return http.get().uri(base() + "/v2/" + repo + "/blobs/" + digest)
                .response((res, body) -> res.status().code() != 200
                        ? body.then(Mono.error(new IllegalStateException("pull blob: HTTP " + res.status().code())))
                        : body.map(buf -> (long) buf.readableBytes()).reduce(0L, Long::sum))
                .single();
    }

    Mono<Void> putManifest(String repo, String reference, byte[] manifest) {
        return expect(http.headers(h -> h.set(HttpHeaderNames.CONTENT_TYPE, OCI_MANIFEST)
                        .set(HttpHeaderNames.CONTENT_LENGTH, manifest.length))
                .put().uri(base() + "/v2/" + repo + "/manifests/" + reference)
                .send(Mono.fromSupplier(() -> io.netty.buffer.Unpooled.wrappedBuffer(manifest)))
                .responseSingle(OciClient::reply), 201, "put manifest").then();
    }

    /** GET a URL path and check for 200; returns the reply. */
    Mono<Reply> get(String pathAndQuery, String accept) {
        return expect(http.headers(h -> {
                    if (accept != null) {
                        h.set(HttpHeaderNames.ACCEPT, accept);
                    }
                }).get().uri(base() + pathAndQuery).responseSingle(OciClient::reply), 200, "GET " + pathAndQuery);
    }

    @Override
    public void close() {
        provider.disposeLater().block(Duration.ofSeconds(10));
    }

    static byte[] manifest(byte[] config, String configDigest, java.util.List<Content> layers, String note) {
        StringBuilder sb = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"").append(OCI_MANIFEST)
                .append("\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"")
                .append(configDigest).append("\",\"size\":").append(config.length).append("},\"layers\":[");
        for (int i = 0; i < layers.size(); i++) {
            sb.append(i > 0 ? "," : "").append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"")
                    .append(layers.get(i).digest).append("\",\"size\":").append(layers.get(i).size).append("}");
        }
        sb.append("],\"annotations\":{\"bench\":\"").append(note).append("\"}}");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}

package io.openregistry.bench.load;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The load scenarios S1–S6 (S7, cold start, needs to start processes and lives in scripts/bench).
 * Each is bounded in count and time and returns its figures; {@code bytes} is what crossed the
 * wire, so the caller can relate server CPU time to data moved.
 */
final class Scenarios {
    private static final double MB = 1e6;
    private static final Duration LIMIT = Duration.ofMinutes(10);
    private final OciClient client;
    private final boolean quick;
    private final String run;

    Scenarios(OciClient client, boolean quick, String run) {
        this.client = client;
        this.quick = quick;
        this.run = run;
    }

    private String repo(String name) {
        return "bench-" + run + "/" + name;
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static Map<String, Object> result(long bytes) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bytes", bytes);
        return m;
    }

    /** S1: one large blob pushed in one PUT, and another in 16 MiB PATCH chunks. */
    Map<String, Object> s1() {
        long size = quick ? 128L << 20 : 1L << 30;
        long chunk = quick ? 4L << 20 : 16L << 20;
        Content mono = new Content(101, size);
        Content chunked = new Content(102, size);
        long t0 = System.nanoTime();
        client.pushMonolithic(repo("s1"), mono).block(LIMIT);
        double monoSeconds = seconds(t0);
        long t1 = System.nanoTime();
        client.pushChunked(repo("s1"), chunked, chunk).block(LIMIT);
        double chunkSeconds = seconds(t1);
        Map<String, Object> m = result(2 * size);
        m.put("push_monolithic_MBps", size / MB / monoSeconds);
        m.put("push_chunked_MBps", size / MB / chunkSeconds);
        return m;
    }

    /**
     * P1: one blob in many small PATCH chunks, for the time per request; against replicas that
     * take turns, each chunk goes to another replica than the last, so the difference to one
     * replica is what a hop costs per request.
     */
    Map<String, Object> p1() {
        long size = quick ? 16L << 20 : 64L << 20;
        long chunk = 256L << 10;
        Content content = new Content(103, size);
        long t0 = System.nanoTime();
        client.pushChunked(repo("p1"), content, chunk).block(LIMIT);
        double seconds = seconds(t0);
        long requests = size / chunk + 2; // POST, the PATCHes, PUT
        Map<String, Object> m = result(size);
        m.put("requests", requests);
        m.put("ms_per_request", seconds * 1000 / requests);
        return m;
    }

    /** S2: the S1 blob pulled to nowhere, by one client and by 8 at once. */
    Map<String, Object> s2() {
        long size = quick ? 128L << 20 : 1L << 30;
        Content blob = new Content(101, size);
        if (!Boolean.TRUE.equals(client.hasBlob(repo("s1"), blob.digest).block(LIMIT))) {
            client.pushMonolithic(repo("s1"), blob).block(LIMIT);
        }
        long t0 = System.nanoTime();
        long got = client.pullBlob(repo("s1"), blob.digest).block(LIMIT);
        check(got == size, "pulled " + got + " of " + size + " bytes");
        double single = seconds(t0);
        long t1 = System.nanoTime();
        List<Long> all = Flux.range(0, 8).flatMap(i -> client.pullBlob(repo("s1"), blob.digest), 8).collectList().block(LIMIT);
        double parallel = seconds(t1);
        all.forEach(n -> check(n == size, "a parallel pull got " + n + " bytes"));
        Map<String, Object> m = result(9 * size);
        m.put("pull_MBps", size / MB / single);
        m.put("pull_8_MBps", 8 * size / MB / parallel);
        return m;
    }

    /** S3: a CI burst: many clients each pushing an image (shared base layers, most unique). */
    Map<String, Object> s3() {
        int clients = quick ? 16 : 64;
        int layers = quick ? 5 : 10;
        int shared = quick ? 2 : 3;
        long layerSize = quick ? 1L << 20 : 10L << 20;
        List<Content> base = new ArrayList<>();
        for (int i = 0; i < shared; i++) {
            base.add(new Content(300 + i, layerSize));
        }
        List<List<Content>> images = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            List<Content> image = new ArrayList<>(base);
            for (int i = shared; i < layers; i++) {
                image.add(new Content(1000L * (c + 1) + i, layerSize));
            }
            images.add(image);
        }
        Latencies perImage = new Latencies();
        AtomicLong bytes = new AtomicLong();
        long t0 = System.nanoTime();
        Flux.range(0, clients).flatMap(c -> pushImage(repo("s3-" + c), images.get(c), "c" + c, bytes)
                .elapsed().doOnNext(t -> perImage.add(t.getT1() * 1_000_000L)), clients).blockLast(LIMIT);
        double wall = seconds(t0);
        check(perImage.count() == clients, "only " + perImage.count() + " of " + clients + " images pushed");
        Map<String, Object> m = result(bytes.get());
        m.put("images", clients);
        m.put("wall_s", wall);
        m.put("images_per_s", clients / wall);
        m.put("image_p50_ms", perImage.millis(0.50));
        m.put("image_p99_ms", perImage.millis(0.99));
        return m;
    }

    /** Pushes an image as docker does: up to 3 layers at once, each skipped if the repository has it. */
    private Mono<Integer> pushImage(String repo, List<Content> layers, String note, AtomicLong bytes) {
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"bench\":\"" + note + run + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        return Flux.fromIterable(layers)
                .flatMap(layer -> client.hasBlob(repo, layer.digest).flatMap(has -> has ? Mono.empty()
                        : client.pushMonolithic(repo, layer).doOnSuccess(v -> bytes.addAndGet(layer.size))), 3)
                .then(client.pushBytes(repo, config))
                .flatMap(configDigest -> client.putManifest(repo, "v1", OciClient.manifest(config, configDigest, layers, note)))
                .thenReturn(1);
    }

    /** S4: manifest GET by tag from many connections for a fixed time. */
    Map<String, Object> s4() {
        int connections = quick ? 16 : 64;
        Duration duration = Duration.ofSeconds(quick ? 3 : 10);
        String repo = repo("s4");
        Content layer = new Content(400, 4096);
        pushImage(repo, List.of(layer), "s4", new AtomicLong()).block(LIMIT);
        client.get("/v2/" + repo + "/manifests/v1", OciClient.OCI_MANIFEST).block(LIMIT);
        Latencies latencies = new Latencies();
        AtomicLong bytes = new AtomicLong();
        long deadline = System.nanoTime() + duration.toNanos();
        long t0 = System.nanoTime();
        Flux.range(0, connections).flatMap(i -> Mono.defer(() -> {
            long start = System.nanoTime();
            return client.get("/v2/" + repo + "/manifests/v1", OciClient.OCI_MANIFEST).doOnNext(r -> {
                latencies.add(System.nanoTime() - start);
                bytes.addAndGet(r.body().length());
            });
        }).repeat(() -> System.nanoTime() < deadline), connections).blockLast(LIMIT);
        double wall = seconds(t0);
        Map<String, Object> m = result(bytes.get());
        m.put("requests", latencies.count());
        m.put("req_per_s", latencies.count() / wall);
        m.put("p50_ms", latencies.millis(0.50));
        m.put("p99_ms", latencies.millis(0.99));
        m.put("p999_ms", latencies.millis(0.999));
        return m;
    }

    /** S5: tags list and catalog pages over many repositories and tags. */
    Map<String, Object> s5() {
        int repos = quick ? 100 : 1000;
        int tagsPerRepo = 10;
        Duration duration = Duration.ofSeconds(quick ? 3 : 10);
        int connections = 16;
        long t0 = System.nanoTime();
        Flux.range(0, repos).flatMap(r -> {
            String repo = repo("s5/r" + String.format("%04d", r));
            byte[] config = ("{\"r\":" + r + "}").getBytes(StandardCharsets.UTF_8);
            return client.pushBytes(repo, config).flatMap(digest -> Flux.range(0, tagsPerRepo)
                    .concatMap(t -> client.putManifest(repo, "t" + t, OciClient.manifest(config, digest, List.of(), "t" + t)))
                    .then());
        }, 32).blockLast(LIMIT);
        double setup = seconds(t0);
        Map<String, Object> m = result(0);
        m.put("repositories", repos);
        m.put("tags", repos * tagsPerRepo);
        m.put("setup_s", setup);
        m.put("tags_list_req_per_s", rate(connections, duration, () -> client.get("/v2/" + repo("s5/r"
                + String.format("%04d", ThreadLocalRandom.current().nextInt(repos))) + "/tags/list", null)));
        m.put("catalog_page_req_per_s", rate(connections, duration, () -> client.get("/v2/_catalog?n=100&last="
                + repo("s5/r" + String.format("%04d", ThreadLocalRandom.current().nextInt(repos))), null)));
        return m;
    }

    private static double rate(int connections, Duration duration, java.util.function.Supplier<Mono<OciClient.Reply>> request) {
        AtomicLong done = new AtomicLong();
        long deadline = System.nanoTime() + duration.toNanos();
        long t0 = System.nanoTime();
        Flux.range(0, connections).flatMap(i -> Mono.defer(request).doOnNext(r -> done.incrementAndGet())
                .repeat(() -> System.nanoTime() < deadline), connections).blockLast(LIMIT);
        return done.get() / seconds(t0);
    }

    /** S6: many large pushes at once (same content: the disk would not hold distinct ones). */
    Map<String, Object> s6() {
        int pushes = quick ? 20 : 100;
        long size = quick ? 32L << 20 : 256L << 20;
        Content blob = new Content(600, size);
        AtomicLong ok = new AtomicLong();
        long t0 = System.nanoTime();
        Flux.range(0, pushes).flatMap(i -> client.pushMonolithic(repo("s6-" + i), blob).doOnSuccess(v -> ok.incrementAndGet()),
                pushes).blockLast(LIMIT);
        double wall = seconds(t0);
        check(ok.get() == pushes, ok.get() + " of " + pushes + " pushes succeeded");
        Map<String, Object> m = result(pushes * size);
        m.put("pushes", pushes);
        m.put("push_size_MiB", size >> 20);
        m.put("wall_s", wall);
        m.put("aggregate_MBps", pushes * size / MB / wall);
        return m;
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException(message);
        }
    }
}

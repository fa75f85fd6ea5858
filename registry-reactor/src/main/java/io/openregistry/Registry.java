package io.openregistry;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpMethod;
import io.openregistry.api.BaseHandler;
import io.openregistry.api.BlobHandlers;
import io.openregistry.api.ListingHandlers;
import io.openregistry.api.ManifestHandlers;
import io.openregistry.api.ReferrersHandler;
import io.openregistry.api.UploadHandlers;
import io.openregistry.config.Config;
import io.openregistry.config.ConfigException;
import io.openregistry.config.DatabaseUrls;
import io.openregistry.auth.AccessPolicy;
import io.openregistry.content.BlobService;
import io.openregistry.content.BrowseService;
import io.openregistry.content.PullCounts;
import io.openregistry.content.ListingService;
import io.openregistry.content.ManifestService;
import io.openregistry.http.AccessLog;
import io.openregistry.http.Endpoint;
import io.openregistry.http.OwnTask;
import io.openregistry.http.ErrorMapper;
import io.openregistry.http.HeaderTimeout;
import io.openregistry.http.RegistryHttpHandler;
import io.openregistry.web.WebApp;
import io.openregistry.http.Responses;
import io.openregistry.http.RouteTemplates;
import io.openregistry.metadata.cache.MetadataCache;
import io.openregistry.maintenance.GarbageCollector;
import io.openregistry.maintenance.Reconciler;
import io.openregistry.maintenance.RetiredSweep;
import io.openregistry.maintenance.Scrubber;
import io.openregistry.metadata.r2dbc.R2dbcMetadata;
import io.openregistry.storage.BackendRouter;
import io.micrometer.core.instrument.MeterRegistry;
import io.openregistry.admin.AdminHandler;
import io.openregistry.admin.Readiness;
import io.openregistry.metrics.Observability;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import io.openregistry.upload.BlobCollector;
import io.openregistry.upload.DigestingPipeline;
import io.openregistry.upload.UploadLimits;
import io.openregistry.upload.UploadService;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * The composition root: the only place that constructs stores, services and routes, and binds
 * the HTTP server.
 */
public final class Registry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Registry.class);
    /** Per call to a storage backend (and per idle period of a streamed transfer). */
    static final Duration BACKEND_TIMEOUT = Duration.ofSeconds(60);
    /** How long a presigned S3 URL handed to a client in a redirect stays valid. */
    static final Duration PRESIGN_TTL = Duration.ofMinutes(15);
    /** Per readiness probe (database, storage backend): a probe must answer well within a kubelet's period. */
    static final Duration READY_TIMEOUT = Duration.ofSeconds(2);
    /**
     * At shutdown, after the connections are closed, how long upload work still running detached
     * from them (a cut append rolling back, a fully received PUT committing) may take before the
     * stores close under it.
     */
    static final Duration UPLOAD_SETTLE_TIMEOUT = Duration.ofSeconds(5);
    private final DisposableServer server;
    private final ListenerDrain drain;
    private final Duration shutdownTimeout;
    private final Readiness readiness;
    private final UploadService uploads;
    private final DisposableServer admin;
    private final Observability observability;
    private final Disposable sweeper;
    private final List<AutoCloseable> closeables;
    private final R2dbcMetadata metadata;
    private final Scheduler io;
    private final Scheduler workers;
    private final Scheduler hashing;
    private final Scheduler timers;
    private final Sweeper sweep;
    private final Sweeper scrub;
    private final Sweeper collection;
    private final GarbageCollector gc;
    private final Sweeper reconcile;
    private final PullCounts pulls;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Registry(DisposableServer server, ListenerDrain drain, Duration shutdownTimeout, Readiness readiness,
                     UploadService uploads, DisposableServer admin, Observability observability, Disposable sweeper,
                     R2dbcMetadata metadata, List<AutoCloseable> closeables, Scheduler io, Scheduler workers,
                     Scheduler hashing, Scheduler timers, Sweeper sweep, Sweeper scrub, Sweeper collection,
                     GarbageCollector gc,
                     Sweeper reconcile, PullCounts pulls) {
        this.server = server;
        this.drain = drain;
        this.shutdownTimeout = shutdownTimeout;
        this.readiness = readiness;
        this.uploads = uploads;
        this.hashing = hashing;
        this.admin = admin;
        this.observability = observability;
        this.closeables = closeables;
        this.sweeper = sweeper;
        this.metadata = metadata;
        this.io = io;
        this.workers = workers;
        this.timers = timers;
        this.sweep = sweep;
        this.scrub = scrub;
        this.collection = collection;
        this.gc = gc;
        this.reconcile = reconcile;
        this.pulls = pulls;
    }

    /** Builds everything from the configuration and binds the listener; fails with a readable message. */
    public static Registry start(Config config) {
        int cores = Runtime.getRuntime().availableProcessors();
        // Blocking file calls of the store (open, fsync, move) and upload pipelines (hash + write).
        Scheduler io = Schedulers.newBoundedElastic(Math.max(8, 4 * cores), 100_000, "storage-io");
        Scheduler workers = Schedulers.newBoundedElastic(Math.max(8, 4 * cores), 100_000, "upload");
        // Password hashing (Argon2id, ~19 MiB and tens of ms each): CPU-bound, so about one thread per core.
        Scheduler hashing = Schedulers.newBoundedElastic(Math.max(2, cores), 10_000, "password-hash");
        // The registry's own timer thread (sweeper ticks, upload lease renewals, commit polls), not
        // Reactor's shared parallel scheduler, which any code in the JVM may dispose and recreate.
        Scheduler timers = Schedulers.newParallel("openregistry-timer", 1, true);
        R2dbcMetadata metadata = null;
        List<AutoCloseable> closeables = new ArrayList<>();
        Observability observability = null;
        DisposableServer server = null;
        DisposableServer admin = null;
        try {
            observability = Observability.start();
            MeterRegistry meters = observability.meters();
            // writes go to storage.driver; each blob is read from the backend recorded for it
            BackendRouter store = StorageWiring.open(config.storage(), io, meters, closeables);
            metadata = R2dbcMetadata.open(config.database(), config.auth().publicByDefault(), meters);
            StorageWiring.warnUnreachable(metadata.placements(), store);
            RetiredSweep retired = new RetiredSweep(metadata.placements(), store, meters);
            ObjectMapper json = warmedUp(new ObjectMapper());
            Responses responses = new Responses(json);
            MetadataCache cache = config.cache().enabled() ? cached(config.cache(), metadata, meters, closeables) : null;
            ManifestService manifestService = new ManifestService(
                    cache == null ? metadata.manifests() : cache.manifests(metadata.manifests()), json);
            BlobCollector collector = new BlobCollector(metadata.blobs(), store, timers, meters);
            UploadService uploadService = new UploadService(store, metadata.blobs(), metadata.uploads(), collector,
                    workers, meters, new UploadLimits(config.upload().maxBlobBytes(),
                            config.upload().maxSessionsPerAccount(), config.upload().maxSessionsPerRepository()),
                    config.upload().leaseTtl(), timers);
            // the cached stores, so that what a collection deletes leaves the cache at once
            GarbageCollector gc = new GarbageCollector(
                    cache == null ? metadata.manifests() : cache.manifests(metadata.manifests()),
                    cache == null ? metadata.blobs() : cache.blobs(metadata.blobs()), collector, config.gc(), meters);
            Function<Boolean, Mono<Map<String, Object>>> gcTrigger = dryRun -> gc.runIfIdle(dryRun)
                    .map(GarbageCollector.Report::toMap);
            BlobService blobService = new BlobService(cache == null ? metadata.blobs() : cache.blobs(metadata.blobs()), store);
            BlobHandlers blobs = new BlobHandlers(blobService, meters);
            UploadHandlers uploads = new UploadHandlers(uploadService, config.upload().chunkMinLength());
            // pulls counted in memory, flushed to the database every few seconds and at shutdown
            PullCounts pulls = new PullCounts(metadata.browse(), Clock.systemUTC());
            ManifestHandlers manifests = new ManifestHandlers(manifestService, config.manifest().maxBytes(), pulls::count);
            ListingHandlers listings = new ListingHandlers(new ListingService(metadata.manifests(), metadata.repositories(), metadata.orgs(),
                    config.api().listDefaultPageSize()),
                    responses);
            BaseHandler base = new BaseHandler(responses);
            // the browsing API (/api/v1), with access control on or off (then everyone browses everything)
            BrowseService browse = new BrowseService(metadata.browse(), metadata.orgs(), new AccessPolicy(metadata.orgs()),
                    manifestService, blobService, json, Clock.systemUTC());
            AccessWiring.AccessControl access = AccessWiring.build(config.auth(), config.namespaces(), metadata, responses, json, hashing,
                    io, meters, gcTrigger, browse);
            RegistryHttpHandler.Builder builder = RegistryHttpHandler.builder(new ErrorMapper(json), access.guard(),
                            new AccessLog(config.log().access()))
                    .route(Endpoint.BASE, HttpMethod.GET, base)
                    .route(Endpoint.BASE, HttpMethod.HEAD, base)
                    .route(Endpoint.CATALOG, HttpMethod.GET, listings.catalog())
                    .route(Endpoint.TAGS, HttpMethod.GET, listings.tags())
                    .route(Endpoint.BLOB, HttpMethod.GET, blobs.get())
                    .route(Endpoint.BLOB, HttpMethod.HEAD, blobs.get())
                    .route(Endpoint.BLOB, HttpMethod.DELETE, blobs.delete())
                    .route(Endpoint.UPLOAD_START, HttpMethod.POST, uploads.start())
                    .route(Endpoint.UPLOAD, HttpMethod.PATCH, uploads.patch())
                    .route(Endpoint.UPLOAD, HttpMethod.PUT, uploads.put())
                    .route(Endpoint.UPLOAD, HttpMethod.GET, uploads.status())
                    .route(Endpoint.UPLOAD, HttpMethod.DELETE, uploads.cancel())
                    .route(Endpoint.MANIFEST, HttpMethod.GET, manifests.get())
                    .route(Endpoint.MANIFEST, HttpMethod.HEAD, manifests.get())
                    .route(Endpoint.MANIFEST, HttpMethod.PUT, manifests.put())
                    .route(Endpoint.MANIFEST, HttpMethod.DELETE, manifests.delete())
                    .route(Endpoint.REFERRERS, HttpMethod.GET, new ReferrersHandler(manifestService, responses));
            access.routes().forEach(r -> builder.route(r.endpoint(), r.method(), r.handler()));
            // the web app and the API docs, for the paths no route claims
            builder.fallback(WebApp.load(io));
            RegistryHttpHandler routes = builder.build();
            // every API connection, so that shutdown can wait for (and then cut) their requests
            ChannelGroup connections = ListenerDrain.newConnectionGroup();
            server = bodyReads(HttpServer.create())
                    .host(config.http().addr().getHostString())
                    .port(config.http().addr().getPort())
                    // Slow and idle clients (README, "Slow and idle clients"). A body that stops
                    // arriving: no bytes for bodyTimeout answers 408 (ErrorMapper) and closes the
                    // connection (a stalled upload rolls its append back). Reactor Netty's
                    // readTimeout covers exactly that span, from the decoded head to the body's
                    // end; its requestTimeout (the whole request) is not set: a big blob may
                    // rightly take hours.
                    .readTimeout(config.http().bodyTimeout())
                    // a connection waiting for its next request (or its first)
                    .idleTimeout(config.http().idleTimeout())
                    .channelGroup(connections)
                    // Reactor Netty records into the global registry, where Observability plugged
                    // its Prometheus registry; the uri tag is a route template (bounded series).
                    .metrics(true, RouteTemplates::uriTemplate)
                    // a head trickling in (idleTimeout restarts with every byte, so it cannot)
                    .doOnChannelInit(HeaderTimeout.installer(config.http().headerTimeout()))
                    // counts each connection's bytes for the access log
                    .doOnConnection(AccessLog::countBytes)
                    .handle(OwnTask.of(routes))
                    .bindNow(Duration.ofSeconds(30));
            Map<String, Supplier<Mono<Void>>> probes = new LinkedHashMap<>();
            probes.put("database", metadata::ping);
            probes.put("storage", store::check);
            Readiness readiness = new Readiness(probes, READY_TIMEOUT);
            admin = bindAdmin(config.admin(), config.http(), new AdminHandler(observability.prometheus(), readiness, json, io,
                    gcTrigger));
            Duration ttl = config.upload().ttl();
            // Abandoned uploads and orphaned blobs: swept every tenth of the upload time to live (at most hourly).
            Duration sweepEvery = ttl.dividedBy(10).compareTo(Duration.ofHours(1)) > 0 ? Duration.ofHours(1) : ttl.dividedBy(10);
            // On one replica at a time (the holder of the job's lease in the database).
            Sweeper sweep = new Sweeper("sweeper", metadata.jobs(), replicaName(), sweepEvery,
                    () -> uploadService.expire(Instant.now().minus(ttl))
                            .then(collector.collect(Instant.now().minus(config.storage().deleteAfter())))
                            // old copies of migrated blobs whose grace period is over
                            .then(Mono.defer(() -> retired.sweep(Instant.now())))
                            .then(access.sweep()),
                    meters);
            Disposable sweeps = sweep.start(timers);
            // the periodic scrub, when configured: one replica at a time, as the sweeper
            Scrubber scrubber = new Scrubber(metadata.placements(), store, meters);
            Config.Scrub scrubbing = config.storage().scrub();
            Sweeper scrub = new Sweeper("scrub", metadata.jobs(), replicaName(),
                    scrubbing.every().isZero() ? Duration.ofDays(1) : scrubbing.every(),
                    () -> scrubber.scrub(scrubbing.sample(), problem -> { }).then(), meters);
            if (!scrubbing.every().isZero()) {
                sweeps = Disposables.composite(sweeps, scrub.start(timers));
            }
            // garbage collection (gc.intervalSeconds): one replica at a time, as the sweeper; a
            // tick while a run of this replica (say, from the admin endpoint) is under way is skipped
            Sweeper collection = new Sweeper("gc", metadata.jobs(), replicaName(),
                    config.gc().every().isZero() ? Duration.ofDays(1) : config.gc().every(),
                    () -> gc.runIfIdle(false).then(), meters);
            if (!config.gc().every().isZero()) {
                sweeps = Disposables.composite(sweeps, collection.start(timers));
            }
            // the reconciliation of unnamed storage objects, when configured: one replica at a time
            Reconciler reconciler = new Reconciler(metadata.placements(), store, meters);
            Duration reconcileEvery = config.storage().reconcileEvery();
            Sweeper reconcile = new Sweeper("reconcile", metadata.jobs(), replicaName(),
                    reconcileEvery.isZero() ? Duration.ofDays(1) : reconcileEvery,
                    () -> Mono.defer(() -> reconciler.reconcile(Instant.now().minus(config.storage().deleteAfter()),
                            Instant.now().minus(ttl), false, line -> { })).then(), meters);
            if (!reconcileEvery.isZero()) {
                sweeps = Disposables.composite(sweeps, reconcile.start(timers));
            }
            // the signing keys follow auth.keysDir (rotation without a restart): on every replica,
            // each reloads its own; stopped with the sweeper
            Disposable sweeper = Disposables.composite(sweeps, access.keyReloads().subscribe(), pulls.start(timers));
            log.info("OpenRegistry listening on {}:{} (storage {}, new blobs to {}, backends {}, database {})",
                    config.http().addr().getHostString(), server.port(), config.storage().root(), store.backend(),
                    store.backends(), DatabaseUrls.redact(config.database().url()));
            log.info("OpenRegistry admin listener (metrics, health) on {}:{}", config.admin().addr().getHostString(),
                    admin.port());
            return new Registry(server, new ListenerDrain(server, connections), config.http().shutdownTimeout(),
                    readiness, uploadService, admin, observability, sweeper, metadata, closeables, io, workers, hashing,
                    timers, sweep, scrub, collection, gc, reconcile, pulls);
        } catch (RuntimeException e) {
            if (server != null) {
                server.disposeNow(Duration.ofSeconds(10));
            }
            if (admin != null) {
                admin.disposeNow(Duration.ofSeconds(10));
            }
            if (observability != null) {
                observability.close();
            }
            if (metadata != null) {
                metadata.close();
            }
            closeAll(closeables);
            io.dispose();
            workers.dispose();
            hashing.dispose();
            timers.dispose();
            throw e;
        }
    }

    /**
     * The metadata cache of pulls (manifests by tag and digest, blob links), following the
     * database's change feed until it is closed with the other {@code closeables}.
     */
    private static MetadataCache cached(Config.Cache config, R2dbcMetadata metadata, MeterRegistry meters,
                                        List<AutoCloseable> closeables) {
        MetadataCache cache = new MetadataCache(config, meters);
        closeables.add(cache);
        cache.follow(metadata.changes());
        return cache;
    }

    /** Its own listener, loopback by default: metrics and probes are for operators, not clients. */
    private static DisposableServer bindAdmin(Config.Admin config, Config.Http timeouts, AdminHandler handler) {
        try {
            // the API listener's guards against slow and idle clients; admin requests have no body
            return HttpServer.create()
                    .host(config.addr().getHostString())
                    .port(config.addr().getPort())
                    .idleTimeout(timeouts.idleTimeout())
                    .readTimeout(timeouts.bodyTimeout())
                    .doOnChannelInit(HeaderTimeout.installer(timeouts.headerTimeout()))
                    .handle(OwnTask.of(handler))
                    .bindNow(Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            // e.g. a Kubo node on the same host holds 5001, the default of both
            throw new ConfigException("admin.addr: cannot listen on " + config.addr().getHostString() + ":"
                    + config.addr().getPort() + " (" + e.getMessage() + ")");
        }
    }

    /**
     * How request bodies are read. Blob bodies arrive at hundreds of MB/s: up to 128 KiB per recv
     * (Netty's default stops at 64 KiB) for fewer syscalls per byte, and each read handed on whole:
     * Reactor Netty's decoder otherwise cuts bodies (and every chunk of a chunked one) into 8 KiB
     * pieces, so the pipeline's prefetch held 64 KiB, not ~1 MiB, and paid a thread hand-off and a
     * write per 8 KiB. With the pipeline's prefetch at most ~1 MiB of body is in flight per upload.
     */
    static HttpServer bodyReads(HttpServer server) {
        return server
                .childOption(ChannelOption.RCVBUF_ALLOCATOR,
                        new AdaptiveRecvByteBufAllocator(512, 16 * 1024, DigestingPipeline.MAX_READ))
                .httpRequestDecoder(spec -> spec.maxChunkSize(DigestingPipeline.MAX_READ));
    }

    /**
     * Jackson builds and caches its (de)serializers on first use under a lock; done here, at
     * start, so the first concurrent requests do not park event-loop threads on it.
     */
    private static ObjectMapper warmedUp(ObjectMapper json) {
        try {
            json.readTree("{\"a\":[1,\"b\",{\"c\":null}]}");
            json.readValue("{\"k\":\"v\"}", Map.class);
            json.writeValueAsBytes(Map.of("errors", List.of(Map.of("code", "X", "detail", Map.of("n", 1L)))));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return json;
    }

    private static void closeAll(List<AutoCloseable> closeables) {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                log.warn("closing {} failed", c, e);
            }
        }
    }

    public int port() {
        return server.port();
    }

    /** The port of the admin listener ({@code /metrics}, {@code /healthz}, {@code /readyz}). */
    public int adminPort() {
        return admin.port();
    }

    /**
     * One tick of the sweeper now (expire idle uploads, collect orphaned blobs, delete the retired
     * copies of migrated blobs, sweep expired credentials), if this replica gets the job's lease; for tests. @return whether it ran
     */
    Mono<Boolean> sweepOnce() {
        return sweep.runOnce();
    }

    /**
     * One run of the periodic scrub now ({@code storage.scrub.*}: a sample of blobs re-hashed, counted
     * in the scrub metrics), if this replica gets the job's lease, configured or not; for tests.
     * @return whether it ran
     */
    Mono<Boolean> scrubOnce() {
        return scrub.runOnce();
    }

    /**
     * One garbage collection now, as the admin endpoint runs it (no job lease), with other ages and
     * batch size than {@code gc.*} (tests).
     * @return its report, or empty while a run of this replica is under way
     */
    Mono<GarbageCollector.Report> collectGarbage(boolean dryRun, Config.Gc settings) {
        return gc.runIfIdle(dryRun, settings);
    }

    /**
     * One run of the periodic reconciliation of unnamed storage objects now, if this replica gets
     * the job's lease, configured or not; for tests. @return whether it ran
     */
    Mono<Boolean> reconcileOnce() {
        return reconcile.runOnce();
    }

    /** Writes the pull counts counted so far to the database now, as the periodic flush does; for tests. */
    Mono<Void> flushPullCounts() {
        return pulls.flush();
    }

    /** This start's name in job leases: the host name (for operators reading the table) and a random part. */
    private static String replicaName() {
        String host = System.getenv().getOrDefault("HOSTNAME", "replica");
        byte[] random = new byte[6];
        java.util.concurrent.ThreadLocalRandom.current().nextBytes(random);
        String name = host + "-" + java.util.HexFormat.of().formatHex(random);
        return name.length() > 64 ? name.substring(name.length() - 64) : name;
    }

    /** Blocks until the server is disposed. */
    public void awaitShutdown() {
        server.onDispose().block();
    }

    /**
     * The graceful shutdown, each step logged: readiness turns 503; the API listener stops
     * accepting connections, lets in-flight requests finish until {@code http.shutdownTimeoutSeconds}
     * and cuts the rest (a cut upload rolls back, never commits); then the sweeper stops and the
     * stores close, the admin listener last so that probes saw "not ready" throughout the drain.
     * A failing step is logged and the next one still runs. Only the first call does anything.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long start = System.nanoTime();
        readiness.stop();
        log.info("shutdown: begin; /readyz answers 503, in-flight requests get up to {} s", shutdownTimeout.toSeconds());
        step("draining the API listener", () -> drain.drain(shutdownTimeout));
        step("waiting for upload work", this::awaitUploads);
        step("stopping the sweeper", sweeper::dispose);
        // so that another replica's sweeper takes over at its next tick, not only once the lease expired
        step("releasing the sweeper's lease", () -> sweep.release(Duration.ofSeconds(5)));
        step("releasing the scrub's lease", () -> scrub.release(Duration.ofSeconds(5)));
        step("releasing the garbage collection's lease", () -> collection.release(Duration.ofSeconds(5)));
        step("releasing the reconciliation's lease", () -> reconcile.release(Duration.ofSeconds(5)));
        // after the drain (no more pulls) and before the database closes
        step("writing the pull counts", () -> pulls.flush().block(Duration.ofSeconds(10)));
        step("closing the database", metadata::close);
        closeAll(closeables);
        step("closing the admin listener", () -> admin.disposeNow(Duration.ofSeconds(5)));
        step("closing metrics", observability::close);
        workers.dispose();
        hashing.dispose();
        timers.dispose();
        io.dispose();
        log.info("shutdown: closed in {} ms", (System.nanoTime() - start) / 1_000_000);
    }

    private void awaitUploads() {
        try {
            int left = uploads.awaitSettled(UPLOAD_SETTLE_TIMEOUT);
            if (left > 0) {
                log.warn("shutdown: {} uploads still writing after {} s; closing the stores under them "
                        + "(nothing unverified is committed; their staged bytes are left to upload expiry)", left,
                        UPLOAD_SETTLE_TIMEOUT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void step(String what, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            log.warn("shutdown: {} failed", what, e);
        }
    }
}

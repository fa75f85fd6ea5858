package io.openregistry.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.function.Supplier;

/**
 * Every meter the registry publishes, by name and tag, in one place (the README's "Metrics"
 * section mirrors this list). Meters are built once, at start, by the composition root's
 * collaborators through the factories below, so the request path only increments pre-built
 * meters and never builds tags.
 *
 * <p>This is the lowest layer of observability: names only, so every other package may use it
 * and it uses none of them (the HTTP layer maps its routes onto {@link #TAG_URI} values itself).
 *
 * <p>Names are Micrometer's dotted names; the Prometheus exposition turns the dots into
 * underscores and adds {@code _total} to counters and {@code _seconds} to timers.
 *
 * <ul>
 *   <li>{@value #BLOB_BYTES_PUSHED} (counter): blob bytes received in upload bodies, counted as the
 *       digesting pipeline sees them, whether or not the upload is later committed.</li>
 *   <li>{@value #BLOB_BYTES_PULLED} (counter): blob body bytes sent by successful blob GETs
 *       (redirected pulls and HEADs send none).</li>
 *   <li>{@value #UPLOADS_IN_FLIGHT} (gauge): upload sessions a request (or the expiry sweeper)
 *       currently holds on this replica.</li>
 *   <li>{@value #UPLOAD_COMMIT} (timer), tag {@value #TAG_OUTCOME} = {@value #OUTCOME_SUCCESS} |
 *       {@value #OUTCOME_ERROR}: the commit chain (verify digest, make visible in storage, record
 *       and link in the database).</li>
 *   <li>{@value #UPLOAD_DURATION} (timer): committed uploads, from the session's start (POST) to
 *       the end of the commit (all PATCHes and the client's pauses included).</li>
 *   <li>{@value #UPLOAD_DIGEST_REBUILDS} (counter), tag {@value #TAG_OUTCOME} = {@value #OUTCOME_RESTORED} |
 *       {@value #OUTCOME_REREAD}: a request continued an upload whose running digest this process
 *       did not hold (another replica, a restart, a failed request) and rebuilt it from the hash
 *       state stored with the offset, or by re-reading the staged bytes.</li>
 *   <li>{@value #UPLOAD_LEASE_CONFLICTS} (counter): requests answered 416 because another replica
 *       held the upload's lease.</li>
 *   <li>{@value #UPLOAD_LEASES_LOST} (counter): requests that lost their upload lease while they
 *       worked (renewal refused, or not renewed in time) and stopped writing.</li>
 *   <li>{@value #JOB_RUNS} (counter), tags {@value #TAG_JOB} and {@value #TAG_OUTCOME} =
 *       {@value #OUTCOME_RAN} | {@value #OUTCOME_SKIPPED} | {@value #OUTCOME_ERROR}: ticks of a periodic
 *       job on this replica; skipped when another replica held the job's lease.</li>
 *   <li>{@value #BLOB_COMMIT_WAITS} (counter): blob commits that found their digest being deleted by
 *       the collector and waited for the deletion to end before storing fresh bytes.</li>
 *   <li>{@value #STORAGE_OPERATION} (timer), tags {@value #TAG_BACKEND}, {@value #TAG_OPERATION}
 *       (the BlobStore method: check, append, readStaged, commit, abort, read, delete) and
 *       {@value #TAG_OUTCOME} (success, error, cancelled).</li>
 *   <li>{@value #DB_OPERATION} (timer), tags {@value #TAG_OPERATION} = statement | transaction and
 *       {@value #TAG_OUTCOME}: database units of work, retries included.</li>
 *   <li>{@value #DB_POOL}{@code .acquired|.idle|.pending|.allocated|.max} (gauges): the connection pool.</li>
 *   <li>{@code cache.gets} (tag {@code result} = hit | miss), {@code cache.puts}, {@code cache.evictions},
 *       {@code cache.size}, tag {@code cache} = {@value #CACHE_TOKENS}: the verified access-token cache
 *       (Micrometer's Caffeine binder).</li>
 *   <li>the same {@code cache.*} meters with tag {@code cache} = {@value #CACHE_MANIFESTS} (manifests
 *       by tag and by digest; {@code cache.size} counts entries, {@code cache.evictions} includes
 *       weight evictions) and {@value #CACHE_BLOB_LINKS} (blob links of repositories): the metadata
 *       cache ({@code metadata.cache.MetadataCache}).</li>
 *   <li>{@value #CACHE_NOTIFICATIONS} (counter): change announcements received from the database
 *       (any replica's commits, this one's included) that invalidated cache entries.</li>
 *   <li>{@value #CACHE_LISTENER_LOST} (counter): times the connection listening for those
 *       announcements was lost (each time the cache was cleared and bypassed until it was back).</li>
 *   <li>{@value #CACHE_LISTENING} (gauge): 1 while the change feed listens (the cache is in use),
 *       0 while it reconnects; always 1 on H2 with the cache on.</li>
 *   <li>{@value #STORAGE_SCRUB} (counter), tag {@value #TAG_RESULT} = ok | missing | corrupt: blobs
 *       re-hashed from their recorded backend by a scrub ({@code openregistry storage scrub}).</li>
 *   <li>{@value #STORAGE_MIGRATE} (counter), tag {@value #TAG_RESULT} = moved | busy | changed | failed:
 *       blobs handled by a migration to another backend ({@code openregistry storage migrate}).</li>
 *   <li>{@value #STORAGE_RETIRED} (counter), tag {@value #TAG_RESULT} = deleted | kept | deferred | failed:
 *       old copies of migrated blobs handled by the sweeper once their grace period ended.</li>
 *   <li>{@code reactor.netty.http.server.*} (Reactor Netty's own meters on the API listener:
 *       {@code response.time}, {@code data.received}, {@code data.sent}, {@code errors},
 *       {@code data.received.time}, {@code data.sent.time}, {@code connections.*}), tag
 *       {@value #TAG_URI} = a route template ({@code http.RouteTemplates}), plus
 *       {@code method} and {@code status} where Reactor Netty sets them.</li>
 *   <li>JVM and process: {@code jvm.memory.*}, {@code jvm.gc.*}, {@code jvm.threads.*},
 *       {@code system.cpu.*}, {@code process.cpu.*}, {@code process.uptime},
 *       {@code process.start.time}.</li>
 * </ul>
 */
public final class Meters {
    /** Counter of blob bytes received in upload request bodies. */
    public static final String BLOB_BYTES_PUSHED = "openregistry.blob.bytes.pushed";
    /** Counter of blob body bytes sent in responses to blob GETs. */
    public static final String BLOB_BYTES_PULLED = "openregistry.blob.bytes.pulled";
    /** Gauge of upload sessions claimed by a request on this replica. */
    public static final String UPLOADS_IN_FLIGHT = "openregistry.uploads.in.flight";
    /** Timer of the upload commit chain. */
    public static final String UPLOAD_COMMIT = "openregistry.upload.commit";

    /** Counter of running upload digests rebuilt because this process did not hold them, by outcome. */
    public static final String UPLOAD_DIGEST_REBUILDS = "openregistry.upload.digest.rebuilds";
    /** Outcome of {@link #UPLOAD_DIGEST_REBUILDS}: restored from the state stored with the offset. */
    public static final String OUTCOME_RESTORED = "restored";
    /** Outcome of {@link #UPLOAD_DIGEST_REBUILDS}: rebuilt by re-reading the staged bytes. */
    public static final String OUTCOME_REREAD = "reread";

    /** Counter of upload requests refused because another replica held the session's lease. */
    public static final String UPLOAD_LEASE_CONFLICTS = "openregistry.upload.lease.conflicts";
    /** Counter of upload requests that lost the session's lease while they worked. */
    public static final String UPLOAD_LEASES_LOST = "openregistry.upload.leases.lost";
    /** Counter of periodic job ticks, by job and outcome. */
    public static final String JOB_RUNS = "openregistry.job.runs";
    /** Tag of {@link #JOB_RUNS}: the job's name. */
    public static final String TAG_JOB = "job";
    /** Outcome of {@link #JOB_RUNS}: this replica held the lease and ran the job. */
    public static final String OUTCOME_RAN = "ran";
    /** Outcome of {@link #JOB_RUNS}: another replica held the lease. */
    public static final String OUTCOME_SKIPPED = "skipped";
    /** Counter of blob commits that waited for the collector's deletion of the same digest. */
    public static final String BLOB_COMMIT_WAITS = "openregistry.blob.commit.waits";

    /** Timer of whole uploads: from the session's start to its successful commit. */
    public static final String UPLOAD_DURATION = "openregistry.upload.duration";
    /** Timer of blob store operations, by backend, operation and outcome. */
    public static final String STORAGE_OPERATION = "openregistry.storage.operation";
    /** Timer of database units of work (a statement, or a transaction with its retries), by kind and outcome. */
    public static final String DB_OPERATION = "openregistry.db.operation";
    /** Gauges of the database connection pool: {@code .acquired}, {@code .idle}, {@code .pending}, {@code .allocated}, {@code .max}. */
    public static final String DB_POOL = "openregistry.db.pool";
    /** The {@code cache} tag of the verified-token cache's meters ({@code cache.gets}, {@code cache.size}, ...). */
    public static final String CACHE_TOKENS = "access-tokens";

    /** The {@code cache} tag of the metadata cache's manifest meters. */
    public static final String CACHE_MANIFESTS = "manifests";
    /** The {@code cache} tag of the metadata cache's blob-link meters. */
    public static final String CACHE_BLOB_LINKS = "blob-links";
    /** Counter of change announcements received by the metadata cache. */
    public static final String CACHE_NOTIFICATIONS = "openregistry.cache.notifications";
    /** Counter of losses of the metadata cache's listening connection. */
    public static final String CACHE_LISTENER_LOST = "openregistry.cache.listener.lost";
    /** Gauge: 1 while the metadata cache's change feed listens, else 0. */
    public static final String CACHE_LISTENING = "openregistry.cache.listening";

    /** Tag of {@link #UPLOAD_COMMIT}, {@link #STORAGE_OPERATION} and {@link #DB_OPERATION}: how it ended. */
    public static final String TAG_OUTCOME = "outcome";
    public static final String OUTCOME_SUCCESS = "success";
    public static final String OUTCOME_ERROR = "error";
    public static final String OUTCOME_CANCELLED = "cancelled";
    /** Tag of {@link #STORAGE_OPERATION}: {@code filesystem}, {@code s3} or {@code ipfs}. */
    public static final String TAG_BACKEND = "backend";
    /** Tag of {@link #STORAGE_OPERATION}: the BlobStore method; of {@link #DB_OPERATION}: {@code statement} or {@code transaction}. */
    public static final String TAG_OPERATION = "operation";
    /** Tag of Reactor Netty's HTTP server meters: the route template, never a raw path. */
    public static final String TAG_URI = "uri";
    /** The {@link #TAG_URI} of every path that is not a distribution API route. */
    public static final String URI_OTHER = "other";

    private Meters() {
    }

    public static Counter cacheNotifications(MeterRegistry registry) {
        return Counter.builder(CACHE_NOTIFICATIONS)
                .description("Change announcements received by the metadata cache").register(registry);
    }

    public static Counter cacheListenerLost(MeterRegistry registry) {
        return Counter.builder(CACHE_LISTENER_LOST)
                .description("Losses of the metadata cache's listening connection (cache cleared each time)")
                .register(registry);
    }

    /** Registers the gauge; {@code listening} is read at each scrape. */
    public static void cacheListening(MeterRegistry registry, Supplier<Number> listening) {
        io.micrometer.core.instrument.Gauge.builder(CACHE_LISTENING, listening)
                .description("1 while the metadata cache listens for changes (cache in use), else 0").register(registry);
    }

    public static Counter blobBytesPushed(MeterRegistry registry) {
        return Counter.builder(BLOB_BYTES_PUSHED)
                .description("Blob bytes received in upload request bodies").register(registry);
    }

    public static Counter blobBytesPulled(MeterRegistry registry) {
        return Counter.builder(BLOB_BYTES_PULLED)
                .description("Blob body bytes sent by successful blob GETs").register(registry);
    }

    /** Registers the gauge; {@code claimed} is read at each scrape. */
    public static void uploadsInFlight(MeterRegistry registry, Supplier<Number> claimed) {
        io.micrometer.core.instrument.Gauge.builder(UPLOADS_IN_FLIGHT, claimed)
                .description("Upload sessions currently held by a request on this replica").register(registry);
    }

    /** @param outcome {@link #OUTCOME_SUCCESS} or {@link #OUTCOME_ERROR} */
    public static Timer uploadCommit(MeterRegistry registry, String outcome) {
        return Timer.builder(UPLOAD_COMMIT).tag(TAG_OUTCOME, outcome)
                .description("Duration of the upload commit chain").register(registry);
    }

    /** @param outcome {@link #OUTCOME_RESTORED} or {@link #OUTCOME_REREAD} */
    public static Counter uploadDigestRebuilds(MeterRegistry registry, String outcome) {
        return Counter.builder(UPLOAD_DIGEST_REBUILDS).tag(TAG_OUTCOME, outcome)
                .description("Upload digests rebuilt from the stored hash state or by re-reading staged bytes")
                .register(registry);
    }

    public static Counter uploadLeaseConflicts(MeterRegistry registry) {
        return Counter.builder(UPLOAD_LEASE_CONFLICTS)
                .description("Upload requests refused because another replica held the session's lease").register(registry);
    }

    public static Counter uploadLeasesLost(MeterRegistry registry) {
        return Counter.builder(UPLOAD_LEASES_LOST)
                .description("Upload requests that lost the session's lease while they worked").register(registry);
    }

    /** @param outcome {@link #OUTCOME_RAN}, {@link #OUTCOME_SKIPPED} or {@link #OUTCOME_ERROR} */
    public static Counter jobRuns(MeterRegistry registry, String job, String outcome) {
        return Counter.builder(JOB_RUNS).tag(TAG_JOB, job).tag(TAG_OUTCOME, outcome)
                .description("Ticks of a periodic job on this replica, by outcome").register(registry);
    }

    public static Counter blobCommitWaits(MeterRegistry registry) {
        return Counter.builder(BLOB_COMMIT_WAITS)
                .description("Blob commits that waited for the collector's deletion of the same digest").register(registry);
    }

    public static Timer uploadDuration(MeterRegistry registry) {
        return Timer.builder(UPLOAD_DURATION)
                .description("Duration of committed uploads, from the session's start to the commit").register(registry);
    }

    /** The timers of one blob store operation ({@code append}, {@code commit}, {@code read}, ...). */
    public static Timing storageOperation(MeterRegistry registry, String backend, String operation) {
        return new Timing(registry, Timer.builder(STORAGE_OPERATION).tag(TAG_BACKEND, backend).tag(TAG_OPERATION, operation)
                .description("Blob store operations: latency and outcome, by backend"));
    }

    /** The timers of database units of work of one kind ({@code statement} or {@code transaction}). */
    public static Timing dbOperation(MeterRegistry registry, String kind) {
        return new Timing(registry, Timer.builder(DB_OPERATION).tag(TAG_OPERATION, kind)
                .description("Database units of work, retries included: latency and outcome"));
    }

    /** Registers the pool gauges; {@code metrics} is read at each scrape. */
    public static void dbPool(MeterRegistry registry, Supplier<io.r2dbc.pool.PoolMetrics> metrics) {
        poolGauge(registry, "acquired", "Connections in use", metrics, io.r2dbc.pool.PoolMetrics::acquiredSize);
        poolGauge(registry, "idle", "Idle connections", metrics, io.r2dbc.pool.PoolMetrics::idleSize);
        poolGauge(registry, "pending", "Requests waiting for a connection", metrics,
                io.r2dbc.pool.PoolMetrics::pendingAcquireSize);
        poolGauge(registry, "allocated", "Open connections", metrics, io.r2dbc.pool.PoolMetrics::allocatedSize);
        poolGauge(registry, "max", "Most connections the pool opens", metrics,
                io.r2dbc.pool.PoolMetrics::getMaxAllocatedSize);
    }

    private static void poolGauge(MeterRegistry registry, String name, String description,
                                  Supplier<io.r2dbc.pool.PoolMetrics> metrics,
                                  java.util.function.ToIntFunction<io.r2dbc.pool.PoolMetrics> value) {
        io.micrometer.core.instrument.Gauge.builder(DB_POOL + "." + name, () -> {
            io.r2dbc.pool.PoolMetrics m = metrics.get();
            return m == null ? Double.NaN : value.applyAsInt(m);
        }).description(description).register(registry);
    }

    /** Blobs re-hashed by a scrub, by result. */
    public static final String STORAGE_SCRUB = "openregistry.storage.scrub.blobs";
    /** Blobs handled by a migration, by result. */
    public static final String STORAGE_MIGRATE = "openregistry.storage.migrate.blobs";
    /** Retired copies handled by the sweeper, by result. */
    public static final String STORAGE_RETIRED = "openregistry.storage.retired";
    /** The result of a storage maintenance step. */
    public static final String TAG_RESULT = "result";

    public static Counter storageScrub(MeterRegistry registry, String result) {
        return Counter.builder(STORAGE_SCRUB).tag(TAG_RESULT, result)
                .description("Blobs re-hashed by a scrub from their recorded backend").register(registry);
    }

    public static Counter storageMigrate(MeterRegistry registry, String result) {
        return Counter.builder(STORAGE_MIGRATE).tag(TAG_RESULT, result)
                .description("Blobs handled by a migration to another backend").register(registry);
    }

    public static Counter storageRetired(MeterRegistry registry, String result) {
        return Counter.builder(STORAGE_RETIRED).tag(TAG_RESULT, result)
                .description("Old copies of migrated blobs handled after their grace period").register(registry);
    }

    /** Garbage collection runs, by outcome ({@value #OUTCOME_SUCCESS}, {@value #OUTCOME_ERROR}, {@value #OUTCOME_DRY_RUN}). */
    public static final String GC_RUNS = "openregistry.gc.runs";
    /** A garbage collection run that deleted nothing (its counts are what it would have freed). */
    public static final String OUTCOME_DRY_RUN = "dry-run";
    /** Untagged manifests deleted by garbage collection. */
    public static final String GC_MANIFESTS = "openregistry.gc.manifests.deleted";
    /** Blob links garbage collection removed (blobs no manifest of that repository names). */
    public static final String GC_LINKS = "openregistry.gc.links.removed";
    /** Blobs whose bytes garbage collection deleted. */
    public static final String GC_BLOBS = "openregistry.gc.blobs.swept";
    /** Bytes of the blobs garbage collection deleted (their recorded sizes). */
    public static final String GC_BYTES = "openregistry.gc.bytes.freed";
    /** How long garbage collection runs took, by outcome. */
    public static final String GC_DURATION = "openregistry.gc.duration";

    public static Counter gcRuns(MeterRegistry registry, String outcome) {
        return Counter.builder(GC_RUNS).tag(TAG_OUTCOME, outcome)
                .description("Garbage collection runs").register(registry);
    }

    public static Counter gcManifests(MeterRegistry registry) {
        return Counter.builder(GC_MANIFESTS).description("Untagged manifests deleted by garbage collection")
                .register(registry);
    }

    public static Counter gcLinks(MeterRegistry registry) {
        return Counter.builder(GC_LINKS).description("Blob links removed by garbage collection").register(registry);
    }

    public static Counter gcBlobs(MeterRegistry registry) {
        return Counter.builder(GC_BLOBS).description("Blobs deleted from storage by garbage collection")
                .register(registry);
    }

    public static Counter gcBytes(MeterRegistry registry) {
        return Counter.builder(GC_BYTES).baseUnit("bytes").description("Bytes freed by garbage collection")
                .register(registry);
    }

    public static Timer gcDuration(MeterRegistry registry, String outcome) {
        return Timer.builder(GC_DURATION).tag(TAG_OUTCOME, outcome).description("Garbage collection runs")
                .register(registry);
    }

    /**
     * What the reconciliation of unnamed storage objects removed, by kind ({@code blob}: committed
     * objects no row names, {@code staged}: staged uploads without a session, {@code multipart}: S3
     * multipart uploads without a session).
     */
    public static Counter storageReconciled(MeterRegistry registry, String kind) {
        return Counter.builder("openregistry.storage.reconcile.objects").tag("kind", kind)
                .description("Storage objects no database row names, removed by the reconciliation").register(registry);
    }

    /** The bytes of {@link #storageReconciled}. */
    public static Counter storageReconciledBytes(MeterRegistry registry, String kind) {
        return Counter.builder("openregistry.storage.reconcile.bytes").tag("kind", kind).baseUnit("bytes")
                .description("Bytes of the storage objects removed by the reconciliation").register(registry);
    }
}

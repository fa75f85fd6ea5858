package io.openregistry.metadata.r2dbc;

import io.openregistry.config.Config;
import io.openregistry.config.DatabaseUrls;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.openregistry.metadata.AccountStore;
import io.openregistry.metadata.PasskeyStore;
import io.openregistry.metrics.Meters;
import io.openregistry.metadata.BlobIndex;
import io.openregistry.metadata.BlobPlacements;
import io.openregistry.metadata.BrowseStore;
import io.openregistry.metadata.JobLeases;
import io.openregistry.metadata.ChangeFeed;
import io.openregistry.metadata.ManifestStore;
import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.RepositoryStore;
import io.openregistry.metadata.UploadStore;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.r2dbc.spi.Option;
import java.time.Duration;
import java.util.Locale;
import org.flywaydb.core.Flyway;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;

/**
 * The metadata stores over R2DBC, for H2 (embedded, file) and PostgreSQL. {@link #open} migrates
 * the schema with Flyway over JDBC and then serves everything from one R2DBC connection pool.
 *
 * <p>With H2 every database call runs on a bounded scheduler owned by this object, because H2
 * works on the calling thread; with PostgreSQL the driver is non-blocking and signals arrive on its
 * own I/O threads.
 */
public final class R2dbcMetadata implements AutoCloseable {
    private final ConnectionPool pool;
    private final Scheduler blockingScheduler;
    private final Db db;
    private final BlobIndex blobs;
    private final ManifestStore manifests;
    private final RepositoryStore repositories;
    private final UploadStore uploads;
    private final AccountStore accounts;
    private final PasskeyStore passkeys;
    private final OrgStore orgs;
    private final JobLeases jobs;
    private final ChangeFeed changes;
    private final BlobPlacements placements;
    private final BrowseStore browse;

    private R2dbcMetadata(ConnectionPool pool, Scheduler blockingScheduler, Db db, ChangeFeed changes) {
        this.pool = pool;
        this.changes = changes;
        this.blockingScheduler = blockingScheduler;
        this.db = db;
        this.blobs = new R2dbcBlobIndex(db);
        this.manifests = new R2dbcManifestStore(db);
        this.repositories = new R2dbcRepositoryStore(db);
        this.uploads = new R2dbcUploadStore(db);
        this.accounts = new R2dbcAccountStore(db);
        this.passkeys = new R2dbcPasskeyStore(db);
        this.orgs = new R2dbcOrgStore(db, changes instanceof LocalChangeFeed local ? local : null);
        this.jobs = new R2dbcJobLeases(db);
        this.placements = new R2dbcBlobPlacements(db);
        this.browse = new R2dbcBrowseStore(db);
    }

    /**
     * Migrates the database to the current schema (blocking; call it at startup, not on an event
     * loop) and opens the connection pool.
     *
     * @throws org.flywaydb.core.api.FlywayException when the database cannot be reached or migrated
     */
    public static R2dbcMetadata open(Config.Database cfg) {
        return open(cfg, false, new SimpleMeterRegistry());
    }

    /**
     * As {@link #open(Config.Database)}, with the visibility that repositories created by a first
     * push get, and the database meters ({@code Meters.DB_OPERATION}, {@code Meters.DB_POOL})
     * registered in {@code meters}.
     */
    public static R2dbcMetadata open(Config.Database cfg, boolean newRepositoriesPublic, MeterRegistry meters) {
        // r2dbc:pool:… would make ConnectionFactories build a pool of its own inside ours.
        String url = cfg.url().replaceFirst("^r2dbc:pool:", "r2dbc:");
        Dialect dialect = Dialect.of(DatabaseUrls.driver(url));
        ConnectionFactoryOptions parsed = R2dbcUrls.options(url);
        String user = firstNonNull(cfg.username(), (String) parsed.getValue(ConnectionFactoryOptions.USER));
        CharSequence urlPassword = (CharSequence) parsed.getValue(ConnectionFactoryOptions.PASSWORD);
        String password = firstNonNull(cfg.password(), urlPassword == null ? null : urlPassword.toString());
        if (dialect == Dialect.H2) {
            // H2 makes the first user of a new database its admin and checks that user afterwards;
            // JDBC (Flyway) and R2DBC must therefore present the same credentials.
            user = user == null ? "sa" : user;
            password = password == null ? "" : password;
        }
        ConnectionFactoryOptions.Builder options = parsed.mutate();
        String jdbcUrl = R2dbcUrls.jdbcUrl(url);
        if (dialect == Dialect.H2 && !url.toUpperCase(Locale.ROOT).contains("DB_CLOSE_ON_EXIT")) {
            // H2 would otherwise close the database from its own JVM shutdown hook, while the
            // registry's graceful shutdown still lets requests finish (their commits would fail);
            // close() closes it, last. Without the setting H2's hook only writes a checkpoint.
            jdbcUrl += ";DB_CLOSE_ON_EXIT=FALSE";
            options.option(Option.valueOf("DB_CLOSE_ON_EXIT"), "FALSE");
        }

        Flyway.configure()
                .dataSource(jdbcUrl, user, password)
                .locations("classpath:db/migration/" + dialect.driver)
                // 8.1: the content graph of manifests stored before V8, read from their bytes
                .javaMigrations(new ContentGraphBackfill())
                .load()
                .migrate();
        if (dialect == Dialect.H2) {
            prepareH2(jdbcUrl, user, password);
        }

        if (user != null) {
            options.option(ConnectionFactoryOptions.USER, user);
        }
        if (password != null) {
            options.option(ConnectionFactoryOptions.PASSWORD, password);
        }
        Scheduler blocking = Db.blockingSchedulerFor(dialect, cfg.poolSize());
        ConnectionFactoryOptions built = options.build();
        ConnectionFactory connections = ConnectionFactories.get(built);
        ConnectionPoolConfiguration.Builder poolConfig = ConnectionPoolConfiguration
                .builder(connections)
                .name("openregistry-metadata")
                .initialSize(1)
                .maxSize(cfg.poolSize())
                .maxAcquireTime(Duration.ofSeconds(30));
        if (blocking != null) {
            // Opening an H2 connection reads the database file: do it on the blocking scheduler,
            // and never let background eviction close (and flush) connections on a timer thread.
            poolConfig.allocatorSubscribeOn(blocking).maxIdleTime(Duration.ofMillis(-1))
                    // see prepareH2: on every connection, as the database may have been reopened
                    .postAllocate(c -> Flux.from(c.createStatement("SET WRITE_DELAY 0").execute())
                            .flatMap(r -> r.getRowsUpdated()).then());
        }
        ConnectionPool pool = new ConnectionPool(poolConfig.build());
        Meters.dbPool(meters, () -> pool.getMetrics().orElse(null));
        ChangeFeed changes = dialect == Dialect.POSTGRESQL
                // its own connection, outside the pool, named for pg_stat_activity and kept alive by TCP
                ? new PostgresChangeFeed(ConnectionFactories.get(built.mutate()
                        .option(Option.valueOf("applicationName"), PostgresChangeFeed.APPLICATION_NAME)
                        .option(Option.valueOf("tcpKeepAlive"), true)
                        .build()))
                : new LocalChangeFeed();
        return new R2dbcMetadata(pool, blocking, new Db(dialect, pool, blocking, newRepositoriesPublic, meters), changes);
    }

    /**
     * Before the pool opens the H2 database:
     * <ul>
     *   <li>H2 has no write-ahead log: a committed transaction reaches the file when the store is
     *       next written, by default up to 500 ms later, so a killed process lost uploads it had
     *       acknowledged. {@code SET WRITE_DELAY 0} writes the store at every commit, after which
     *       a process crash no longer loses it. It is the open database's setting (neither the URL
     *       parameter of that name nor a reopen keeps it), so the pool also sets it on every
     *       connection it opens.</li>
     *   <li>An H2 file is open in one process at a time (H2's file lock), so every upload lease,
     *       job lease and commit intent found at start belongs to a run that ended, perhaps by a
     *       crash: dropping them lets clients continue their uploads at once instead of after the
     *       lease time.</li>
     * </ul>
     */
    private static void prepareH2(String jdbcUrl, String user, String password) {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbcUrl, user, password);
             java.sql.Statement st = c.createStatement()) {
            st.execute("SET WRITE_DELAY 0");
            st.executeUpdate("UPDATE uploads SET lease_holder = NULL, lease_until = NULL WHERE lease_holder IS NOT NULL");
            st.executeUpdate("DELETE FROM job_leases");
            st.executeUpdate("DELETE FROM blob_intents");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("could not prepare the H2 database " + jdbcUrl + ": " + e.getMessage(), e);
        }
    }

    public BlobIndex blobs() {
        return blobs;
    }

    public ManifestStore manifests() {
        return manifests;
    }

    public RepositoryStore repositories() {
        return repositories;
    }

    public UploadStore uploads() {
        return uploads;
    }

    public AccountStore accounts() {
        return accounts;
    }

    /** Passkeys, user handles and WebAuthn ceremonies. */
    public PasskeyStore passkeys() {
        return passkeys;
    }

    /** Org mode: the shared name space, organizations, teams, grants, robots, account administration, audit. */
    public OrgStore orgs() {
        return orgs;
    }

    /** What the browsing API reads: repository summaries and usage, tags with sizes, pull counts. */
    public BrowseStore browse() {
        return browse;
    }

    public JobLeases jobs() {
        return jobs;
    }

    /** Where blob bytes are placed: per-backend counts, migration, retired copies. */
    public BlobPlacements placements() {
        return placements;
    }

    /**
     * The committed changes to cacheable answers: on PostgreSQL announced by migration V7's
     * triggers to every replica; on H2 (one process) only what changes behind the cached stores'
     * back (repositories deleted with their namespace).
     */
    public ChangeFeed changes() {
        return changes;
    }

    /** Completes when the database answers a trivial query; for readiness checks. */
    public Mono<Void> ping() {
        return db.query("SELECT 1", row -> Boolean.TRUE).then();
    }

    /** Closes every pooled connection (blocking) and, for H2, the database and its scheduler. */
    @Override
    public void close() {
        try {
            pool.disposeLater().block(Duration.ofSeconds(30));
        } finally {
            if (blockingScheduler != null) {
                blockingScheduler.dispose();
            }
        }
    }

    private static String firstNonNull(String preferred, String fallback) {
        return preferred != null ? preferred : fallback;
    }
}

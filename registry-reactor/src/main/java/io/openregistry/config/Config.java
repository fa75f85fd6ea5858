package io.openregistry.config;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;

/**
 * The whole, validated configuration. Built once at start by {@link ConfigLoader}; every key is
 * documented in the README.
 */
public record Config(Http http, Storage storage, Database database, Manifests manifest, Uploads upload, Log log,
                     Admin admin, Auth auth, Cache cache, Api api, Gc gc, Namespaces namespaces) {

    /** The default admin listener: loopback only, so metrics and health are not public. */
    public static final InetSocketAddress DEFAULT_ADMIN_ADDR = InetSocketAddress.createUnresolved("127.0.0.1", 5001);

    /** A configuration with the default admin listener ({@link #DEFAULT_ADMIN_ADDR}). */
    public Config(Http http, Storage storage, Database database, Manifests manifest, Uploads upload, Log log) {
        this(http, storage, database, manifest, upload, log, new Admin(DEFAULT_ADMIN_ADDR));
    }

    /** A configuration with access control off ({@link Auth#disabled()}). */
    public Config(Http http, Storage storage, Database database, Manifests manifest, Uploads upload, Log log,
                  Admin admin) {
        this(http, storage, database, manifest, upload, log, admin, Auth.disabled());
    }

    /** A configuration with the default metadata cache ({@link Cache#defaults()}). */
    public Config(Http http, Storage storage, Database database, Manifests manifest, Uploads upload, Log log,
                  Admin admin, Auth auth) {
        this(http, storage, database, manifest, upload, log, admin, auth, Cache.defaults());
    }

    /** A configuration with the default API settings ({@link Api#defaults()}). */
    public Config(Http http, Storage storage, Database database, Manifests manifest, Uploads upload, Log log,
                  Admin admin, Auth auth, Cache cache) {
        this(http, storage, database, manifest, upload, log, admin, auth, cache, Api.defaults());
    }

    /** A configuration with the default garbage collection ({@link Gc#defaults()}). */
    public Config(Http http, Storage storage, Database database, Manifests manifest, Uploads upload, Log log,
                  Admin admin, Auth auth, Cache cache, Api api) {
        this(http, storage, database, manifest, upload, log, admin, auth, cache, api, Gc.defaults());
    }

    /** A configuration with the default namespace rules ({@link Namespaces#defaults()}). */
    public Config(Http http, Storage storage, Database database, Manifests manifest, Uploads upload, Log log,
                  Admin admin, Auth auth, Cache cache, Api api, Gc gc) {
        this(http, storage, database, manifest, upload, log, admin, auth, cache, api, gc, Namespaces.defaults());
    }

    /** The same configuration with other garbage collection settings. */
    public Config withGc(Gc other) {
        return new Config(http, storage, database, manifest, upload, log, admin, auth, cache, api, other, namespaces);
    }

    /** The same configuration with other namespace rules. */
    public Config withNamespaces(Namespaces other) {
        return new Config(http, storage, database, manifest, upload, log, admin, auth, cache, api, gc, other);
    }

    /**
     * Who may take which namespace (the {@code namespaces.reserved} and {@code organizations.creation}
     * keys; README, "Org mode").
     *
     * @param reserved                names only a registry admin may give an account or an
     *                                organization (lower case, valid usernames)
     * @param organizationsByAdminsOnly whether only registry admins may create organizations
     *                                ({@code organizations.creation: admins}); else every signed-in user may
     */
    public record Namespaces(java.util.Set<String> reserved, boolean organizationsByAdminsOnly) {
        /** {@code namespaces.reserved}' default. */
        public static final java.util.List<String> DEFAULT_RESERVED = java.util.List.of("library", "admin", "api",
                "auth", "token", "v2", "root", "registry", "system", "openregistry", "www", "static", "assets", "help",
                "support", "security");

        public Namespaces {
            reserved = java.util.Set.copyOf(reserved);
        }

        public static Namespaces defaults() {
            return new Namespaces(java.util.Set.copyOf(DEFAULT_RESERVED), false);
        }
    }

    /**
     * Online garbage collection (the {@code gc.*} keys; README, "Garbage collection").
     *
     * @param every         the period of the server's runs, or zero for none (the command and the
     *                      admin endpoint still run it)
     * @param grace         how long a blob link without a manifest, and an orphaned blob, are kept
     * @param untaggedAfter how old an untagged manifest must be to be deleted; zero: never deleted
     * @param batchSize     rows per query and per batch of deletions
     */
    public record Gc(java.time.Duration every, java.time.Duration grace, java.time.Duration untaggedAfter,
                     int batchSize) {
        public static final java.time.Duration DEFAULT_EVERY = java.time.Duration.ofDays(1);
        public static final java.time.Duration DEFAULT_GRACE = java.time.Duration.ofHours(1);
        public static final int DEFAULT_BATCH_SIZE = 500;

        public static Gc defaults() {
            return new Gc(DEFAULT_EVERY, DEFAULT_GRACE, java.time.Duration.ZERO, DEFAULT_BATCH_SIZE);
        }
    }

    /** The same configuration with other cache settings. */
    public Config withCache(Cache other) {
        return new Config(http, storage, database, manifest, upload, log, admin, auth, other, api, gc, namespaces);
    }

    /** The same configuration with other API settings. */
    public Config withApi(Api other) {
        return new Config(http, storage, database, manifest, upload, log, admin, auth, cache, other, gc, namespaces);
    }

    /**
     * @param addr            the listen address of the registry API
     * @param shutdownTimeout how long a shutdown lets in-flight requests finish before cutting them
     * @param headerTimeout   how long a request's line and headers may take to arrive whole,
     *                        counted from their first byte (a slow-header client is cut then)
     * @param bodyTimeout     how long a request body may go without a byte before the connection is
     *                        closed, after a 408 where the response has not begun (a streamed upload
     *                        chunk rolls back first, and its client just sees the close)
     * @param idleTimeout     how long a connection may wait for its next request before it is closed
     */
    public record Http(InetSocketAddress addr, java.time.Duration shutdownTimeout, java.time.Duration headerTimeout,
                       java.time.Duration bodyTimeout, java.time.Duration idleTimeout) {
        /** The default shutdown timeout: {@code http.shutdownTimeoutSeconds}' default. */
        public static final java.time.Duration DEFAULT_SHUTDOWN_TIMEOUT = java.time.Duration.ofSeconds(30);
        /** {@code http.headerTimeoutSeconds}' default. */
        public static final java.time.Duration DEFAULT_HEADER_TIMEOUT = java.time.Duration.ofSeconds(20);
        /** {@code http.bodyTimeoutSeconds}' default. */
        public static final java.time.Duration DEFAULT_BODY_TIMEOUT = java.time.Duration.ofSeconds(60);
        /** {@code http.idleTimeoutSeconds}' default. */
        public static final java.time.Duration DEFAULT_IDLE_TIMEOUT = java.time.Duration.ofSeconds(60);

        public Http(InetSocketAddress addr) {
            this(addr, DEFAULT_SHUTDOWN_TIMEOUT);
        }

        public Http(InetSocketAddress addr, java.time.Duration shutdownTimeout) {
            this(addr, shutdownTimeout, DEFAULT_HEADER_TIMEOUT, DEFAULT_BODY_TIMEOUT, DEFAULT_IDLE_TIMEOUT);
        }
    }

    /**
     * @param driver   the blob store backend: {@code filesystem}, {@code s3} or {@code ipfs}
     * @param root     the data directory (blobs, staged uploads, H2 file)
     * @param redirect whether pulls are redirected to the backend (S3 presigned URL, IPFS gateway)
     *                 instead of streamed through the registry
     * @param s3       S3 settings, or null: set when the driver is {@code s3} or {@code storage.s3.bucket}
     *                 is given (the backend is then opened for reads of the blobs recorded on it)
     * @param ipfs     IPFS settings, or null: set when the driver is {@code ipfs} or {@code storage.ipfs.api}
     *                 is given
     * @param deleteAfter how long the bytes of a blob no repository links are kept before the
     *                 backend object is deleted (S3 delete, IPFS unpin, file removal); also the age
     *                 a storage object no row names must reach before the reconciliation removes it
     * @param reconcileEvery the period of the reconciliation of unnamed storage objects
     *                 ({@code storage.reconcile.intervalSeconds}), or zero for none
     */
    public record Storage(String driver, Path root, boolean redirect, S3 s3, Ipfs ipfs, java.time.Duration deleteAfter,
                          Scrub scrub, java.time.Duration reconcileEvery) {
        public Storage(String driver, Path root) {
            this(driver, root, false, null, null, java.time.Duration.ofHours(1));
        }

        public Storage(String driver, Path root, boolean redirect, S3 s3, Ipfs ipfs) {
            this(driver, root, redirect, s3, ipfs, java.time.Duration.ofHours(1));
        }

        /** Without a periodic scrub. */
        public Storage(String driver, Path root, boolean redirect, S3 s3, Ipfs ipfs, java.time.Duration deleteAfter) {
            this(driver, root, redirect, s3, ipfs, deleteAfter, Scrub.OFF);
        }

        /** Without a periodic reconciliation of unnamed storage objects. */
        public Storage(String driver, Path root, boolean redirect, S3 s3, Ipfs ipfs, java.time.Duration deleteAfter,
                       Scrub scrub) {
            this(driver, root, redirect, s3, ipfs, deleteAfter, scrub, java.time.Duration.ZERO);
        }
    }

    /**
     * The periodic scrub inside the server (the {@code storage.scrub.*} keys): every {@code every}
     * one replica re-hashes {@code sample} blobs chosen at random (0 = all of them) and counts them
     * in the {@code openregistry.storage.scrub.blobs} metric.
     *
     * @param every the period, or zero for no periodic scrub
     */
    public record Scrub(java.time.Duration every, int sample) {
        public static final Scrub OFF = new Scrub(java.time.Duration.ZERO, 100);
    }

    /**
     * @param endpoint  the S3 endpoint, or null for AWS itself
     * @param partSize  multipart part size in bytes (at least 5 MiB)
     */
    public record S3(URI endpoint, String region, String bucket, String accessKey, String secretKey, boolean pathStyle,
                     long partSize) {
        @Override
        public String toString() {
            return "S3[endpoint=" + endpoint + ", region=" + region + ", bucket=" + bucket + ", pathStyle=" + pathStyle
                    + ", partSize=" + partSize + "]";
        }
    }

    /**
     * @param api     the Kubo RPC API base URL
     * @param gateway a gateway base URL for redirected pulls, or null
     * @param pin     whether added blobs are pinned
     */
    public record Ipfs(URI api, URI gateway, boolean pin) {
    }

    /**
     * @param url      an R2DBC URL: {@code r2dbc:h2:file:////abs/path} or {@code r2dbc:postgresql://host:port/db}
     * @param username overrides the URL's user when set
     * @param password overrides the URL's password when set
     * @param poolSize the maximum number of pooled connections
     */
    public record Database(String url, String username, String password, int poolSize) {
        @Override
        public String toString() {
            return "Database[url=" + DatabaseUrls.redact(url) + ", username=" + username + ", poolSize=" + poolSize + "]";
        }
    }

    /** @param maxBytes the largest manifest accepted by PUT */
    public record Manifests(int maxBytes) {
    }

    /**
     * @param chunkMinLength           advertised in {@code OCI-Chunk-Min-Length}
     * @param ttl                      how long an upload session may sit idle before it is discarded
     * @param maxBlobBytes             the largest blob an upload may carry (0 = no limit)
     * @param maxSessionsPerAccount    open upload sessions one account (or, for anonymous callers,
     *                                 one client address) may hold at once (0 = no limit)
     * @param maxSessionsPerRepository open upload sessions one repository may have at once (0 = no limit)
     * @param leaseTtl                 how long a request's lease on an upload session lasts unless
     *                                 renewed (every third of it, while the request runs): how long a
     *                                 replica that died mid-request keeps the session from the others
     */
    public record Uploads(long chunkMinLength, java.time.Duration ttl, long maxBlobBytes, int maxSessionsPerAccount,
                          int maxSessionsPerRepository, java.time.Duration leaseTtl) {
        public static final long DEFAULT_MAX_BLOB_BYTES = 32L << 30;
        public static final int DEFAULT_MAX_SESSIONS_PER_ACCOUNT = 100;
        public static final int DEFAULT_MAX_SESSIONS_PER_REPOSITORY = 500;
        /** {@code upload.leaseSeconds}' default. */
        public static final java.time.Duration DEFAULT_LEASE_TTL = java.time.Duration.ofSeconds(15);

        /** Upload settings with the default lease time. */
        public Uploads(long chunkMinLength, java.time.Duration ttl, long maxBlobBytes, int maxSessionsPerAccount,
                       int maxSessionsPerRepository) {
            this(chunkMinLength, ttl, maxBlobBytes, maxSessionsPerAccount, maxSessionsPerRepository, DEFAULT_LEASE_TTL);
        }

        /** The same settings with another lease time. */
        public Uploads withLeaseTtl(java.time.Duration lease) {
            return new Uploads(chunkMinLength, ttl, maxBlobBytes, maxSessionsPerAccount, maxSessionsPerRepository, lease);
        }

        /** Upload settings with the default limits. */
        public Uploads(long chunkMinLength, java.time.Duration ttl) {
            this(chunkMinLength, ttl, DEFAULT_MAX_BLOB_BYTES, DEFAULT_MAX_SESSIONS_PER_ACCOUNT,
                    DEFAULT_MAX_SESSIONS_PER_REPOSITORY);
        }
    }

    /** @param addr the listen address of the admin listener ({@code /metrics}, {@code /healthz}, {@code /readyz}) */
    public record Admin(InetSocketAddress addr) {
    }

    /**
     * @param level  the root log level
     * @param access whether each API request is logged as one JSON line (logger {@code openregistry.access})
     */
    public record Log(String level, boolean access) {
        public Log(String level) {
            this(level, true);
        }
    }

    /**
     * Access control (the {@code auth.*} keys).
     *
     * @param enabled          false = open mode: every request may do everything (local use, tests)
     * @param service          the token audience ({@code aud}) and the challenge's {@code service}
     * @param issuer           the token issuer ({@code iss})
     * @param realm            the token endpoint URL announced in challenges, or null to derive it
     *                         from each request ({@code <scheme>://<Host>/token})
     * @param tokenTtl         lifetime of registry access tokens
     * @param keysDir          directory of the token signing keys (generated at first start)
     * @param adminUsername    an admin account created at start when it does not exist, or null
     * @param adminPassword    its password (at start only; never logged)
     * @param signup           whether anyone may create an account through the API
     * @param publicByDefault  visibility of a repository created by a first push
     * @param sessionTtl       lifetime of sign-in sessions and refresh tokens
     * @param requestsPerMinute sign-in and token requests allowed per client address per minute
     * @param failuresPerMinute failed credential checks allowed per client address per minute
     * @param accountFailuresPerMinute failed password checks per account per minute, counted
     *                          and enforced only for addresses that have not signed in to it
     * @param signupsPerHour    sign-ups allowed per client address per hour
     * @param hashingConcurrency password hashes computed at once in the whole process
     * @param hashingQueueDeadline how long a password hash may wait for its turn before 429
     * @param keysReload       how often {@code keysDir} is read again for rotated or removed keys;
     *                         zero = never (keys read at start only)
     */
    public record Auth(boolean enabled, String service, String issuer, String realm, java.time.Duration tokenTtl,
                       Path keysDir, String adminUsername, String adminPassword, boolean signup,
                       boolean publicByDefault, java.time.Duration sessionTtl, int requestsPerMinute,
                       int failuresPerMinute, int accountFailuresPerMinute, int signupsPerHour,
                       int hashingConcurrency, java.time.Duration hashingQueueDeadline,
                       java.time.Duration keysReload, Web web) {

        /** The default key reload period ({@code auth.keysReloadSeconds}). */
        public static final java.time.Duration DEFAULT_KEYS_RELOAD = java.time.Duration.ofSeconds(30);

        public Auth {
            java.util.Objects.requireNonNull(web, "web");
        }

        /** With the default passkey and web session settings ({@link Web#defaults()}). */
        public Auth(boolean enabled, String service, String issuer, String realm, java.time.Duration tokenTtl,
                    Path keysDir, String adminUsername, String adminPassword, boolean signup,
                    boolean publicByDefault, java.time.Duration sessionTtl, int requestsPerMinute,
                    int failuresPerMinute, int accountFailuresPerMinute, int signupsPerHour,
                    int hashingConcurrency, java.time.Duration hashingQueueDeadline, java.time.Duration keysReload) {
            this(enabled, service, issuer, realm, tokenTtl, keysDir, adminUsername, adminPassword, signup,
                    publicByDefault, sessionTtl, requestsPerMinute, failuresPerMinute, accountFailuresPerMinute,
                    signupsPerHour, hashingConcurrency, hashingQueueDeadline, keysReload, Web.defaults());
        }

        /** The same settings with other passkey and web session settings. */
        public Auth withWeb(Web other) {
            return new Auth(enabled, service, issuer, realm, tokenTtl, keysDir, adminUsername, adminPassword, signup,
                    publicByDefault, sessionTtl, requestsPerMinute, failuresPerMinute, accountFailuresPerMinute,
                    signupsPerHour, hashingConcurrency, hashingQueueDeadline, keysReload, other);
        }

        /** With the default key reload period. */
        public Auth(boolean enabled, String service, String issuer, String realm, java.time.Duration tokenTtl,
                    Path keysDir, String adminUsername, String adminPassword, boolean signup,
                    boolean publicByDefault, java.time.Duration sessionTtl, int requestsPerMinute,
                    int failuresPerMinute, int accountFailuresPerMinute, int signupsPerHour,
                    int hashingConcurrency, java.time.Duration hashingQueueDeadline) {
            this(enabled, service, issuer, realm, tokenTtl, keysDir, adminUsername, adminPassword, signup,
                    publicByDefault, sessionTtl, requestsPerMinute, failuresPerMinute, accountFailuresPerMinute,
                    signupsPerHour, hashingConcurrency, hashingQueueDeadline, DEFAULT_KEYS_RELOAD);
        }

        /** The same settings with another key reload period. */
        public Auth withKeysReload(java.time.Duration period) {
            return new Auth(enabled, service, issuer, realm, tokenTtl, keysDir, adminUsername, adminPassword, signup,
                    publicByDefault, sessionTtl, requestsPerMinute, failuresPerMinute, accountFailuresPerMinute,
                    signupsPerHour, hashingConcurrency, hashingQueueDeadline, period, web);
        }

        /** Open mode. */
        public static Auth disabled() {
            return new Auth(false, "openregistry", "openregistry", null, java.time.Duration.ofMinutes(5), null, null,
                    null, true, false, java.time.Duration.ofDays(7), 600, 10, 30, 5,
                    Math.max(1, Runtime.getRuntime().availableProcessors()), java.time.Duration.ofSeconds(5));
        }

        @Override
        public String toString() {
            return "Auth[enabled=" + enabled + ", service=" + service + ", issuer=" + issuer + ", realm=" + realm
                    + ", tokenTtl=" + tokenTtl + ", keysDir=" + keysDir + ", adminUsername=" + adminUsername
                    + ", signup=" + signup + ", publicByDefault=" + publicByDefault + ", sessionTtl=" + sessionTtl
                    + ", requestsPerMinute=" + requestsPerMinute + ", failuresPerMinute=" + failuresPerMinute
                    + ", accountFailuresPerMinute=" + accountFailuresPerMinute + ", signupsPerHour=" + signupsPerHour
                    + ", hashingConcurrency=" + hashingConcurrency + ", hashingQueueDeadline=" + hashingQueueDeadline
                    + ", keysReload=" + keysReload + ", web=" + web + "]";
        }
    }

    /**
     * Passkeys and the web app's session cookie (the {@code webauthn.*} keys and {@code web.cookieSecure};
     * README, "Passkeys").
     *
     * @param rpId         the WebAuthn relying party id: the registry's host name as browsers see it
     *                     (no scheme, no port)
     * @param rpName       the name authenticators show
     * @param origins      the exact origins (scheme://host[:port]) passkey ceremonies and cookie-authenticated
     *                     requests may come from; empty: {@code http://localhost:<the port the request came in on>}
     * @param challengeTtl how long a ceremony's challenge may be answered
     * @param cookieSecure whether the session cookie is {@code Secure}; null (auto): when the request
     *                     came over TLS or with {@code X-Forwarded-Proto: https}
     */
    public record Web(String rpId, String rpName, java.util.List<String> origins, java.time.Duration challengeTtl,
                      Boolean cookieSecure) {
        public static final java.time.Duration DEFAULT_CHALLENGE_TTL = java.time.Duration.ofMinutes(5);

        public Web {
            origins = java.util.List.copyOf(origins);
        }

        public static Web defaults() {
            return new Web("localhost", "OpenRegistry", java.util.List.of(), DEFAULT_CHALLENGE_TTL, null);
        }
    }

    /**
     * The in-process cache of hot metadata lookups (the {@code cache.*} keys): manifests by tag and
     * by digest, and blob links by repository and digest. Invalidated on every replica through
     * PostgreSQL notifications; {@code ttl} only bounds how long an entry may outlive a change that
     * was somehow not announced.
     *
     * @param enabled          false = every lookup goes to the database
     * @param maxEntries       the most blob links held
     * @param maxManifestBytes the most manifest bytes held (the bodies, plus a small overhead per entry)
     * @param ttl              how long an entry is served after it was loaded, at most
     */
    public record Cache(boolean enabled, int maxEntries, long maxManifestBytes, java.time.Duration ttl) {
        public static final int DEFAULT_MAX_ENTRIES = 10_000;
        public static final long DEFAULT_MAX_MANIFEST_BYTES = 32L << 20;
        public static final java.time.Duration DEFAULT_TTL = java.time.Duration.ofSeconds(60);

        /** The defaults of the {@code cache.*} keys (on). */
        public static Cache defaults() {
            return new Cache(true, DEFAULT_MAX_ENTRIES, DEFAULT_MAX_MANIFEST_BYTES, DEFAULT_TTL);
        }

        /** The defaults, but off. */
        public static Cache disabled() {
            return new Cache(false, DEFAULT_MAX_ENTRIES, DEFAULT_MAX_MANIFEST_BYTES, DEFAULT_TTL);
        }
    }

    /**
     * @param listDefaultPageSize the page size of a tags list or catalog asked without {@code n}:
     *                            the first page, with a {@code Link} to the next when more remain
     */
    public record Api(int listDefaultPageSize) {
        public static final int DEFAULT_LIST_PAGE_SIZE = 1000;
        /** The largest page any listing answers (also with a larger {@code n}). */
        public static final int MAX_LIST_PAGE_SIZE = 1_000_000;

        public static Api defaults() {
            return new Api(DEFAULT_LIST_PAGE_SIZE);
        }
    }
}

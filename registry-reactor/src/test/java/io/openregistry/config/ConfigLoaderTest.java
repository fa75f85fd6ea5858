package io.openregistry.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    @Test
    void defaultsWithoutAnyConfiguration() {
        Config c = ConfigLoader.load(null, Map.of());
        assertThat(c.http().addr().getHostString()).isEqualTo("0.0.0.0");
        assertThat(c.http().addr().getPort()).isEqualTo(5000);
        assertThat(c.storage().root()).isEqualTo(Path.of("data").toAbsolutePath());
        assertThat(c.database().url()).startsWith("r2dbc:h2:file:////").endsWith("/data/db/registry");
        assertThat(c.manifest().maxBytes()).isEqualTo(4 * 1024 * 1024);
        assertThat(c.log().level()).isEqualTo("INFO");
    }

    @Test
    void uploadLimits() {
        Config.Uploads defaults = ConfigLoader.load(null, Map.of()).upload();
        assertThat(defaults.maxBlobBytes()).isEqualTo(32L << 30);
        assertThat(defaults.maxSessionsPerAccount()).isEqualTo(100);
        assertThat(defaults.maxSessionsPerRepository()).isEqualTo(500);
        Config.Uploads set = ConfigLoader.load(null, Map.of("OPENREGISTRY_UPLOAD_MAX_BLOB_BYTES", "0",
                "OPENREGISTRY_UPLOAD_MAX_SESSIONS_PER_ACCOUNT", "7", "OPENREGISTRY_UPLOAD_MAX_SESSIONS_PER_REPOSITORY", "0"))
                .upload();
        assertThat(set.maxBlobBytes()).isZero();
        assertThat(set.maxSessionsPerAccount()).isEqualTo(7);
        assertThat(set.maxSessionsPerRepository()).isZero();
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_UPLOAD_MAX_BLOB_BYTES", "-1")))
                .hasMessageContaining("upload.maxBlobBytes");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_UPLOAD_MAX_SESSIONS_PER_ACCOUNT", "many")))
                .hasMessageContaining("upload.maxSessionsPerAccount");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_UPLOAD_MAX_SESSIONS_PER_REPOSITORY", "-3")))
                .hasMessageContaining("upload.maxSessionsPerRepository");
    }

    @Test
    void garbageCollection() throws Exception {
        Config.Gc defaults = ConfigLoader.load(null, Map.of()).gc();
        assertThat(defaults).isEqualTo(Config.Gc.defaults());
        assertThat(defaults.every()).isEqualTo(java.time.Duration.ofDays(1));
        assertThat(defaults.grace()).isEqualTo(java.time.Duration.ofHours(1));
        assertThat(defaults.untaggedAfter()).isZero();
        assertThat(defaults.batchSize()).isEqualTo(500);
        java.nio.file.Path file = java.nio.file.Files.createTempFile("gc", ".yaml");
        java.nio.file.Files.writeString(file, "gc:\n  graceSeconds: 60\n  untaggedAfterSeconds: 86400\n");
        Config.Gc set = ConfigLoader.load(file, Map.of("OPENREGISTRY_GC_INTERVAL_SECONDS", "0",
                "OPENREGISTRY_GC_BATCH_SIZE", "50")).gc();
        java.nio.file.Files.delete(file);
        assertThat(set).isEqualTo(new Config.Gc(java.time.Duration.ZERO, java.time.Duration.ofSeconds(60),
                java.time.Duration.ofDays(1), 50));
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_GC_INTERVAL_SECONDS", "-1")))
                .hasMessageContaining("gc.intervalSeconds");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_GC_GRACE_SECONDS", "soon")))
                .hasMessageContaining("gc.graceSeconds");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_GC_UNTAGGED_AFTER_SECONDS", "-5")))
                .hasMessageContaining("gc.untaggedAfterSeconds");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_GC_BATCH_SIZE", "0")))
                .hasMessageContaining("gc.batchSize");
    }

    @Test
    void namespaceRules() throws Exception {
        Config.Namespaces defaults = ConfigLoader.load(null, Map.of()).namespaces();
        assertThat(defaults).isEqualTo(Config.Namespaces.defaults());
        assertThat(defaults.reserved()).contains("library", "admin", "api", "auth", "token", "v2", "root", "registry",
                "system", "openregistry", "www", "static", "assets", "help", "support", "security").hasSize(16);
        assertThat(defaults.organizationsByAdminsOnly()).isFalse();
        // a YAML list, names lowered
        java.nio.file.Path file = java.nio.file.Files.createTempFile("namespaces", ".yaml");
        java.nio.file.Files.writeString(file, "namespaces:\n  reserved: [Library, ops]\norganizations:\n  creation: admins\n");
        Config.Namespaces set = ConfigLoader.load(file, Map.of()).namespaces();
        assertThat(set).isEqualTo(new Config.Namespaces(java.util.Set.of("library", "ops"), true));
        // the environment overrides it, comma-separated; empty reserves nothing
        assertThat(ConfigLoader.load(file, Map.of("OPENREGISTRY_NAMESPACES_RESERVED", "a, b")).namespaces().reserved())
                .containsExactlyInAnyOrder("a", "b");
        assertThat(ConfigLoader.load(file, Map.of("OPENREGISTRY_NAMESPACES_RESERVED", "")).namespaces().reserved()).isEmpty();
        assertThat(ConfigLoader.load(null, Map.of("OPENREGISTRY_ORGANIZATIONS_CREATION", "Everyone")).namespaces()
                .organizationsByAdminsOnly()).isFalse();
        java.nio.file.Files.writeString(file, "namespaces:\n  reserved: [ok, {a: b}]\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())).hasMessageContaining("namespaces.reserved");
        java.nio.file.Files.writeString(file, "organizations:\n  creation: [admins]\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())).hasMessageContaining("organizations.creation");
        java.nio.file.Files.delete(file);
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_NAMESPACES_RESERVED", "ok,Not/One")))
                .hasMessageContaining("namespaces.reserved").hasMessageContaining("Not/One");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_ORGANIZATIONS_CREATION", "nobody")))
                .hasMessageContaining("organizations.creation");
    }

    @Test
    void uploadLease() {
        assertThat(ConfigLoader.load(null, Map.of()).upload().leaseTtl()).isEqualTo(java.time.Duration.ofSeconds(15));
        assertThat(ConfigLoader.load(null, Map.of("OPENREGISTRY_UPLOAD_LEASE_SECONDS", "6")).upload().leaseTtl())
                .isEqualTo(java.time.Duration.ofSeconds(6));
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_UPLOAD_LEASE_SECONDS", "0")))
                .hasMessageContaining("upload.leaseSeconds");
    }

    @Test
    void envNamesSplitCamelCase() {
        assertThat(ConfigLoader.envName("http.addr")).isEqualTo("OPENREGISTRY_HTTP_ADDR");
        assertThat(ConfigLoader.envName("manifest.maxBytes")).isEqualTo("OPENREGISTRY_MANIFEST_MAX_BYTES");
        assertThat(ConfigLoader.envName("storage.s3.accessKey")).isEqualTo("OPENREGISTRY_STORAGE_S3_ACCESS_KEY");
    }

    @Test
    void yamlThenEnvironment() throws Exception {
        Path file = dir.resolve("c.yaml");
        Files.writeString(file, "http:\n  addr: 127.0.0.1:6000\nmanifest:\n  maxBytes: 2048\n"
                + "database:\n  url: r2dbc:postgresql://u:secret@db:5433/reg\n");
        Config c = ConfigLoader.load(file, Map.of("OPENREGISTRY_HTTP_ADDR", "[::1]:7000", "PATH", "/bin"));
        assertThat(c.http().addr().getHostString()).isEqualTo("::1");
        assertThat(c.http().addr().getPort()).isEqualTo(7000);
        assertThat(c.manifest().maxBytes()).isEqualTo(2048);
        assertThat(c.database().url()).isEqualTo("r2dbc:postgresql://u:secret@db:5433/reg");
        assertThat(c.database().toString()).doesNotContain("secret");
    }

    @Test
    void mistakesNameTheKey() throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "http:\n  adr: 1\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())).hasMessageContaining("http.adr");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_MANIFEST_MAX_BYTES", "lots")))
                .hasMessageContaining("manifest.maxBytes");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_HTTP_ADRESS", "x")))
                .hasMessageContaining("OPENREGISTRY_HTTP_ADRESS");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_HTTP_ADDR", "localhost")))
                .hasMessageContaining("http.addr");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_LOG_LEVEL", "LOUD")))
                .hasMessageContaining("log.level");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_DATABASE_URL", "mysql://x")))
                .hasMessageContaining("database.url");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_STORAGE_DRIVER", "tape")))
                .hasMessageContaining("storage.driver");
    }

    @Test
    void slowClientTimeouts() {
        Config.Http defaults = ConfigLoader.load(null, Map.of()).http();
        assertThat(defaults.headerTimeout()).hasSeconds(20);
        assertThat(defaults.bodyTimeout()).hasSeconds(60);
        assertThat(defaults.idleTimeout()).hasSeconds(60);
        // the record's short constructors (tests, embedders) use the same defaults as the loader
        Config.Http shortForm = new Config.Http(java.net.InetSocketAddress.createUnresolved("127.0.0.1", 0));
        assertThat(shortForm.headerTimeout()).isEqualTo(defaults.headerTimeout());
        assertThat(shortForm.bodyTimeout()).isEqualTo(defaults.bodyTimeout());
        assertThat(shortForm.idleTimeout()).isEqualTo(defaults.idleTimeout());
        Config.Http set = ConfigLoader.load(null, Map.of("OPENREGISTRY_HTTP_HEADER_TIMEOUT_SECONDS", "5",
                "OPENREGISTRY_HTTP_BODY_TIMEOUT_SECONDS", "7", "OPENREGISTRY_HTTP_IDLE_TIMEOUT_SECONDS", "9")).http();
        assertThat(set.headerTimeout()).hasSeconds(5);
        assertThat(set.bodyTimeout()).hasSeconds(7);
        assertThat(set.idleTimeout()).hasSeconds(9);
        for (String key : new String[] {"http.headerTimeoutSeconds", "http.bodyTimeoutSeconds", "http.idleTimeoutSeconds"}) {
            for (String bad : new String[] {"0", "-1", "soon"}) {
                assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(ConfigLoader.envName(key), bad)))
                        .hasMessageContaining(key);
            }
        }
    }

    @Test
    void shutdownTimeout() {
        assertThat(ConfigLoader.load(null, Map.of()).http().shutdownTimeout()).hasSeconds(30);
        assertThat(ConfigLoader.envName("http.shutdownTimeoutSeconds")).isEqualTo("OPENREGISTRY_HTTP_SHUTDOWN_TIMEOUT_SECONDS");
        assertThat(ConfigLoader.load(null, Map.of("OPENREGISTRY_HTTP_SHUTDOWN_TIMEOUT_SECONDS", "0")).http()
                .shutdownTimeout()).isZero();
        assertThat(ConfigLoader.load(null, Map.of("OPENREGISTRY_HTTP_SHUTDOWN_TIMEOUT_SECONDS", "3600")).http()
                .shutdownTimeout()).hasHours(1);
        for (String bad : new String[] {"-1", "3601", "soon"}) {
            assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_HTTP_SHUTDOWN_TIMEOUT_SECONDS", bad)))
                    .hasMessageContaining("http.shutdownTimeoutSeconds");
        }
        assertThat(new Config.Http(java.net.InetSocketAddress.createUnresolved("127.0.0.1", 0)).shutdownTimeout())
                .isEqualTo(Config.Http.DEFAULT_SHUTDOWN_TIMEOUT);
    }

    @Test
    void adminListener() {
        Config defaults = ConfigLoader.load(null, Map.of());
        assertThat(defaults.admin().addr().getHostString()).isEqualTo("127.0.0.1");
        assertThat(defaults.admin().addr().getPort()).isEqualTo(5001);
        assertThat(ConfigLoader.envName("admin.addr")).isEqualTo("OPENREGISTRY_ADMIN_ADDR");
        Config c = ConfigLoader.load(null, Map.of("OPENREGISTRY_ADMIN_ADDR", "0.0.0.0:9100"));
        assertThat(c.admin().addr().getPort()).isEqualTo(9100);
        assertThat(ConfigLoader.load(null, Map.of("OPENREGISTRY_ADMIN_ADDR", "127.0.0.1:0")).admin().addr().getPort()).isZero();
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_ADMIN_ADDR", "nowhere")))
                .hasMessageContaining("admin.addr");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_ADMIN_ADDR", "127.0.0.1:70000")))
                .hasMessageContaining("admin.addr");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_HTTP_ADDR", "0.0.0.0:5000",
                "OPENREGISTRY_ADMIN_ADDR", "0.0.0.0:5000"))).hasMessageContaining("admin.addr");
    }

    @Test
    void storageBackends() {
        Config s3 = ConfigLoader.load(null, Map.of("OPENREGISTRY_STORAGE_DRIVER", "s3",
                "OPENREGISTRY_STORAGE_S3_ENDPOINT", "http://127.0.0.1:9000", "OPENREGISTRY_STORAGE_S3_BUCKET", "layers",
                "OPENREGISTRY_STORAGE_S3_ACCESS_KEY", "ak", "OPENREGISTRY_STORAGE_S3_SECRET_KEY", "very-secret",
                "OPENREGISTRY_STORAGE_REDIRECT", "redirect"));
        assertThat(s3.storage().s3().bucket()).isEqualTo("layers");
        assertThat(s3.storage().s3().partSize()).isEqualTo(16 * 1024 * 1024);
        assertThat(s3.storage().redirect()).isTrue();
        assertThat(s3.storage().s3().toString()).doesNotContain("very-secret");
        Config ipfs = ConfigLoader.load(null, Map.of("OPENREGISTRY_STORAGE_DRIVER", "ipfs",
                "OPENREGISTRY_STORAGE_IPFS_API", "http://127.0.0.1:5002", "OPENREGISTRY_STORAGE_IPFS_PIN", "false"));
        assertThat(ipfs.storage().ipfs().api().getPort()).isEqualTo(5002);
        assertThat(ipfs.storage().ipfs().pin()).isFalse();
        assertThat(ipfs.storage().ipfs().gateway()).isNull();
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_STORAGE_DRIVER", "s3")))
                .hasMessageContaining("storage.s3.bucket");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_STORAGE_DRIVER", "s3",
                "OPENREGISTRY_STORAGE_S3_BUCKET", "b", "OPENREGISTRY_STORAGE_S3_ACCESS_KEY", "a",
                "OPENREGISTRY_STORAGE_S3_SECRET_KEY", "s", "OPENREGISTRY_STORAGE_S3_PART_SIZE", "1000")))
                .hasMessageContaining("storage.s3.partSize");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_STORAGE_DRIVER", "ipfs",
                "OPENREGISTRY_STORAGE_IPFS_API", "not a url"))).hasMessageContaining("storage.ipfs.api");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_STORAGE_DRIVER", "ipfs",
                "OPENREGISTRY_STORAGE_REDIRECT", "redirect"))).hasMessageContaining("storage.ipfs.gateway");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_STORAGE_REDIRECT", "redirect")))
                .hasMessageContaining("storage.redirect");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_STORAGE_IPFS_PIN", "maybe",
                "OPENREGISTRY_STORAGE_DRIVER", "ipfs"))).hasMessageContaining("storage.ipfs.pin");
    }

    /** A backend other than the driver is opened (for reads and as a migration target) when its settings are given. */
    @Test
    void otherBackendsOpenWhenConfigured() {
        Config plain = ConfigLoader.load(null, Map.of());
        assertThat(plain.storage().s3()).isNull();
        assertThat(plain.storage().ipfs()).isNull();
        assertThat(plain.storage().scrub().every()).isZero();
        Config both = ConfigLoader.load(null, Map.of("OPENREGISTRY_STORAGE_S3_BUCKET", "old",
                "OPENREGISTRY_STORAGE_S3_ACCESS_KEY", "a", "OPENREGISTRY_STORAGE_S3_SECRET_KEY", "s",
                "OPENREGISTRY_STORAGE_IPFS_API", "http://127.0.0.1:5002"));
        assertThat(both.storage().driver()).isEqualTo("filesystem");
        assertThat(both.storage().s3().bucket()).isEqualTo("old");
        assertThat(both.storage().ipfs().api().getPort()).isEqualTo(5002);
        // the driver ipfs without an API: the local node, as before
        assertThat(ConfigLoader.load(null, Map.of("OPENREGISTRY_STORAGE_DRIVER", "ipfs")).storage().ipfs().api())
                .hasToString("http://127.0.0.1:5001");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_STORAGE_S3_BUCKET", "old",
                "OPENREGISTRY_STORAGE_S3_ACCESS_KEY", "a"))).hasMessageContaining("storage.s3.secretKey");
        Config scrub = ConfigLoader.load(null, Map.of("OPENREGISTRY_STORAGE_SCRUB_INTERVAL_SECONDS", "3600",
                "OPENREGISTRY_STORAGE_SCRUB_SAMPLE", "0"));
        assertThat(scrub.storage().scrub()).isEqualTo(new Config.Scrub(java.time.Duration.ofHours(1), 0));
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_STORAGE_SCRUB_SAMPLE", "-1")))
                .hasMessageContaining("storage.scrub.sample");
    }

    /** storage.reconcile.intervalSeconds: daily by default, 0 turns it off, negative is refused by name. */
    @Test
    void reconcileInterval() {
        assertThat(ConfigLoader.load(null, Map.of()).storage().reconcileEvery()).isEqualTo(java.time.Duration.ofDays(1));
        assertThat(ConfigLoader.load(null, Map.of("OPENREGISTRY_STORAGE_RECONCILE_INTERVAL_SECONDS", "0")).storage()
                .reconcileEvery()).isZero();
        assertThat(ConfigLoader.load(null, Map.of("OPENREGISTRY_STORAGE_RECONCILE_INTERVAL_SECONDS", "600")).storage()
                .reconcileEvery()).isEqualTo(java.time.Duration.ofMinutes(10));
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_STORAGE_RECONCILE_INTERVAL_SECONDS", "-1")))
                .hasMessageContaining("storage.reconcile.intervalSeconds");
    }

    @Test
    void authKeys() {
        Config off = ConfigLoader.load(null, Map.of());
        assertThat(off.auth().enabled()).isFalse();
        assertThat(off.auth().keysDir()).isEqualTo(off.storage().root().resolve("keys"));
        Config on = ConfigLoader.load(null, Map.of("OPENREGISTRY_AUTH_ENABLED", "true",
                "OPENREGISTRY_AUTH_ADMIN_USERNAME", "root", "OPENREGISTRY_AUTH_ADMIN_PASSWORD", "s3cret-admin",
                "OPENREGISTRY_AUTH_DEFAULT_VISIBILITY", "public", "OPENREGISTRY_AUTH_TOKEN_TTL_SECONDS", "600",
                "OPENREGISTRY_AUTH_REALM", "https://registry.example.com/token",
                "OPENREGISTRY_AUTH_RATE_LIMIT_FAILURES_PER_MINUTE", "5"));
        assertThat(on.auth().enabled()).isTrue();
        assertThat(on.auth().adminUsername()).isEqualTo("root");
        assertThat(on.auth().publicByDefault()).isTrue();
        assertThat(on.auth().tokenTtl()).hasSeconds(600);
        assertThat(on.auth().realm()).isEqualTo("https://registry.example.com/token");
        assertThat(on.auth().failuresPerMinute()).isEqualTo(5);
        assertThat(on.auth().toString()).doesNotContain("s3cret-admin");
        assertThat(on.toString()).doesNotContain("s3cret-admin");

        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_AUTH_ADMIN_USERNAME", "root")))
                .hasMessageContaining("auth.admin.password");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_AUTH_DEFAULT_VISIBILITY", "hidden")))
                .hasMessageContaining("auth.defaultVisibility");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_AUTH_TOKEN_TTL_SECONDS", "5")))
                .hasMessageContaining("auth.tokenTtlSeconds");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_AUTH_REALM", "not a url")))
                .hasMessageContaining("auth.realm");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_AUTH_ENABLED", "yes")))
                .hasMessageContaining("auth.enabled");
    }

    @Test
    void authLimitAndHashingKeys() {
        Config.Auth defaults = ConfigLoader.load(null, Map.of()).auth();
        assertThat(defaults.accountFailuresPerMinute()).isEqualTo(30);
        assertThat(defaults.signupsPerHour()).isEqualTo(5);
        assertThat(defaults.hashingConcurrency()).isEqualTo(Math.max(1, Runtime.getRuntime().availableProcessors()));
        assertThat(defaults.hashingQueueDeadline()).hasMillis(5000);
        Config.Auth set = ConfigLoader.load(null, Map.of("OPENREGISTRY_AUTH_RATE_LIMIT_ACCOUNT_FAILURES_PER_MINUTE", "40",
                "OPENREGISTRY_AUTH_RATE_LIMIT_SIGNUPS_PER_HOUR", "3", "OPENREGISTRY_AUTH_HASHING_CONCURRENCY", "7",
                "OPENREGISTRY_AUTH_HASHING_QUEUE_DEADLINE_MILLIS", "250")).auth();
        assertThat(set.accountFailuresPerMinute()).isEqualTo(40);
        assertThat(set.signupsPerHour()).isEqualTo(3);
        assertThat(set.hashingConcurrency()).isEqualTo(7);
        assertThat(set.hashingQueueDeadline()).hasMillis(250);
        for (String[] bad : new String[][] {
                {"OPENREGISTRY_AUTH_RATE_LIMIT_ACCOUNT_FAILURES_PER_MINUTE", "0", "auth.rateLimit.accountFailuresPerMinute"},
                {"OPENREGISTRY_AUTH_RATE_LIMIT_SIGNUPS_PER_HOUR", "many", "auth.rateLimit.signupsPerHour"},
                {"OPENREGISTRY_AUTH_HASHING_CONCURRENCY", "0", "auth.hashing.concurrency"},
                {"OPENREGISTRY_AUTH_HASHING_QUEUE_DEADLINE_MILLIS", "-1", "auth.hashing.queueDeadlineMillis"}}) {
            assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(bad[0], bad[1]))).hasMessageContaining(bad[2]);
        }
    }

    @Test
    void keysReloadPeriod() {
        assertThat(ConfigLoader.load(null, Map.of()).auth().keysReload()).isEqualTo(java.time.Duration.ofSeconds(30));
        assertThat(ConfigLoader.load(null, Map.of("OPENREGISTRY_AUTH_KEYS_RELOAD_SECONDS", "5")).auth().keysReload())
                .isEqualTo(java.time.Duration.ofSeconds(5));
        assertThat(ConfigLoader.load(null, Map.of("OPENREGISTRY_AUTH_KEYS_RELOAD_SECONDS", "0")).auth().keysReload())
                .isZero();
        for (String bad : new String[] {"-1", "3601", "soon"}) {
            assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_AUTH_KEYS_RELOAD_SECONDS", bad)))
                    .hasMessageContaining("auth.keysReloadSeconds");
        }
    }

    @Test
    void cacheKeys() throws Exception {
        Config.Cache defaults = ConfigLoader.load(null, Map.of()).cache();
        assertThat(defaults).isEqualTo(Config.Cache.defaults());
        assertThat(defaults.enabled()).isTrue();
        assertThat(defaults.maxEntries()).isEqualTo(10_000);
        assertThat(defaults.maxManifestBytes()).isEqualTo(32L << 20);
        assertThat(defaults.ttl()).isEqualTo(java.time.Duration.ofSeconds(60));
        Path file = dir.resolve("cache.yaml");
        Files.writeString(file, "cache:\n  enabled: false\n  maxEntries: 500\n  ttlSeconds: 5\n");
        Config.Cache set = ConfigLoader.load(file, Map.of("OPENREGISTRY_CACHE_MAX_MANIFEST_BYTES", "1048576")).cache();
        assertThat(set).isEqualTo(new Config.Cache(false, 500, 1 << 20, java.time.Duration.ofSeconds(5)));
        Map<String, String[]> bad = Map.of(
                "OPENREGISTRY_CACHE_ENABLED", new String[] {"yes", "cache.enabled"},
                "OPENREGISTRY_CACHE_MAX_ENTRIES", new String[] {"0", "cache.maxEntries"},
                "OPENREGISTRY_CACHE_MAX_MANIFEST_BYTES", new String[] {"1000", "cache.maxManifestBytes"},
                "OPENREGISTRY_CACHE_TTL_SECONDS", new String[] {"0", "cache.ttlSeconds"});
        bad.forEach((env, valueAndKey) -> assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(env, valueAndKey[0])))
                .hasMessageContaining(valueAndKey[1]));
    }

    @Test
    void listingPageSize() throws Exception {
        assertThat(ConfigLoader.load(null, Map.of()).api()).isEqualTo(Config.Api.defaults());
        assertThat(Config.Api.defaults().listDefaultPageSize()).isEqualTo(1000);
        assertThat(ConfigLoader.envName("api.listDefaultPageSize")).isEqualTo("OPENREGISTRY_API_LIST_DEFAULT_PAGE_SIZE");
        Path file = dir.resolve("api.yaml");
        Files.writeString(file, "api:\n  listDefaultPageSize: 50\n");
        assertThat(ConfigLoader.load(file, Map.of()).api().listDefaultPageSize()).isEqualTo(50);
        assertThat(ConfigLoader.load(file, Map.of("OPENREGISTRY_API_LIST_DEFAULT_PAGE_SIZE", "7")).api().listDefaultPageSize())
                .isEqualTo(7);
        for (String bad : new String[] {"0", "-1", "1000001", "many"}) {
            assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_API_LIST_DEFAULT_PAGE_SIZE", bad)))
                    .hasMessageContaining("api.listDefaultPageSize");
        }
    }
    @Test
    void passkeysAndTheSessionCookie() throws java.io.IOException {
        Config.Web defaults = ConfigLoader.load(null, Map.of()).auth().web();
        assertThat(defaults).isEqualTo(Config.Web.defaults());
        assertThat(defaults.rpId()).isEqualTo("localhost");
        assertThat(defaults.rpName()).isEqualTo("OpenRegistry");
        assertThat(defaults.origins()).isEmpty();
        assertThat(defaults.challengeTtl()).hasSeconds(300);
        assertThat(defaults.cookieSecure()).isNull();
        assertThat(ConfigLoader.envName("webauthn.challengeTtlSeconds")).isEqualTo("OPENREGISTRY_WEBAUTHN_CHALLENGE_TTL_SECONDS");
        assertThat(ConfigLoader.envName("web.cookieSecure")).isEqualTo("OPENREGISTRY_WEB_COOKIE_SECURE");
        java.nio.file.Path file = java.nio.file.Files.createTempFile("webauthn", ".yaml");
        java.nio.file.Files.writeString(file, "webauthn:\n  rpId: Example.com\n  rpName: Our registry\n"
                + "  origins: [https://registry.example.com, 'https://example.com:8443']\n  challengeTtlSeconds: 60\n"
                + "web:\n  cookieSecure: true\n");
        Config.Web set = ConfigLoader.load(file, Map.of()).auth().web();
        assertThat(set.rpId()).isEqualTo("example.com");
        assertThat(set.rpName()).isEqualTo("Our registry");
        assertThat(set.origins()).containsExactly("https://registry.example.com", "https://example.com:8443");
        assertThat(set.challengeTtl()).hasSeconds(60);
        assertThat(set.cookieSecure()).isTrue();
        assertThat(ConfigLoader.load(null, Map.of("OPENREGISTRY_WEB_COOKIE_SECURE", "false",
                "OPENREGISTRY_WEBAUTHN_ORIGINS", "http://localhost:8080, http://localhost:5000")).auth().web())
                .satisfies(w -> {
                    assertThat(w.cookieSecure()).isFalse();
                    assertThat(w.origins()).containsExactly("http://localhost:8080", "http://localhost:5000");
                });
        Map<String, String[]> bad = new java.util.LinkedHashMap<>();
        bad.put("webauthn.rpId", new String[] {"", "https://example.com", "example.com:443", "example.com/x", "a..b"});
        bad.put("webauthn.rpName", new String[] {" ", "x".repeat(65)});
        bad.put("webauthn.origins", new String[] {"localhost:5000", "ftp://localhost", "http://localhost/", "http://other.example",
                "http://localhost:5000?x", "http://evil-localhost"});
        bad.put("webauthn.challengeTtlSeconds", new String[] {"0", "9", "3601", "soon"});
        bad.put("web.cookieSecure", new String[] {"yes", ""});
        bad.forEach((key, values) -> {
            for (String value : values) {
                assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(ConfigLoader.envName(key), value)))
                        .as(key + "=" + value).hasMessageStartingWith(key + ":");
            }
        });
    }
}

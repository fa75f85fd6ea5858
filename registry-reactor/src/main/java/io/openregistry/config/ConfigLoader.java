package io.openregistry.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Loads the configuration: built-in defaults, then the YAML file, then {@code OPENREGISTRY_*}
 * environment variables. Any unknown key or bad value stops startup with a message naming it.
 */
public final class ConfigLoader {
    static final String ENV_PREFIX = "OPENREGISTRY_";
    /** {@code storage.ipfs.api} when the driver is {@code ipfs} and the key is not set: a local Kubo node. */
    static final String DEFAULT_IPFS_API = "http://127.0.0.1:5001";

    /** Every key with its default ("" = unset). The order is the README's order. */
    private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

    /** A default held as a Duration in {@link Config}, as the text of its {@code …Seconds} key. */
    private static String seconds(java.time.Duration duration) {
        return String.valueOf(duration.toSeconds());
    }

    static {
        DEFAULTS.put("http.addr", "0.0.0.0:5000");
        DEFAULTS.put("http.shutdownTimeoutSeconds", seconds(Config.Http.DEFAULT_SHUTDOWN_TIMEOUT));
        DEFAULTS.put("http.headerTimeoutSeconds", seconds(Config.Http.DEFAULT_HEADER_TIMEOUT));
        DEFAULTS.put("http.bodyTimeoutSeconds", seconds(Config.Http.DEFAULT_BODY_TIMEOUT));
        DEFAULTS.put("http.idleTimeoutSeconds", seconds(Config.Http.DEFAULT_IDLE_TIMEOUT));
        DEFAULTS.put("admin.addr", "127.0.0.1:5001");
        DEFAULTS.put("storage.driver", "filesystem");
        DEFAULTS.put("storage.root", "./data");
        DEFAULTS.put("storage.redirect", "stream");
        DEFAULTS.put("storage.deleteAfterSeconds", "3600");
        DEFAULTS.put("storage.scrub.intervalSeconds", "0");
        DEFAULTS.put("storage.scrub.sample", String.valueOf(Config.Scrub.OFF.sample()));
        // daily: orphans come only from crashes and failed commits, so a day's leak is small, and a
        // run lists the whole store (one S3 LIST per 1000 objects, a walk of blobs/)
        DEFAULTS.put("storage.reconcile.intervalSeconds", "86400");
        DEFAULTS.put("storage.s3.endpoint", "");
        DEFAULTS.put("storage.s3.region", "us-east-1");
        DEFAULTS.put("storage.s3.bucket", "");
        DEFAULTS.put("storage.s3.accessKey", "");
        DEFAULTS.put("storage.s3.secretKey", "");
        DEFAULTS.put("storage.s3.pathStyle", "true");
        DEFAULTS.put("storage.s3.partSize", String.valueOf(16 * 1024 * 1024));
        // empty: IPFS is not opened, unless it is the driver (then the local Kubo default below)
        DEFAULTS.put("storage.ipfs.api", "");
        DEFAULTS.put("storage.ipfs.gateway", "");
        DEFAULTS.put("storage.ipfs.pin", "true");
        DEFAULTS.put("database.url", "");
        DEFAULTS.put("database.username", "");
        DEFAULTS.put("database.password", "");
        DEFAULTS.put("database.poolSize", "10");
        DEFAULTS.put("manifest.maxBytes", String.valueOf(4 * 1024 * 1024));
        DEFAULTS.put("upload.chunkMinLength", String.valueOf(1024 * 1024));
        DEFAULTS.put("upload.ttlSeconds", String.valueOf(24 * 3600));
        DEFAULTS.put("upload.maxBlobBytes", String.valueOf(Config.Uploads.DEFAULT_MAX_BLOB_BYTES));
        DEFAULTS.put("upload.maxSessionsPerAccount", String.valueOf(Config.Uploads.DEFAULT_MAX_SESSIONS_PER_ACCOUNT));
        DEFAULTS.put("upload.maxSessionsPerRepository", String.valueOf(Config.Uploads.DEFAULT_MAX_SESSIONS_PER_REPOSITORY));
        DEFAULTS.put("upload.leaseSeconds", seconds(Config.Uploads.DEFAULT_LEASE_TTL));
        DEFAULTS.put("log.level", "INFO");
        DEFAULTS.put("log.access", "true");
        DEFAULTS.put("auth.enabled", "false");
        DEFAULTS.put("auth.service", "openregistry");
        DEFAULTS.put("auth.issuer", "openregistry");
        DEFAULTS.put("auth.realm", "");
        DEFAULTS.put("auth.tokenTtlSeconds", "300");
        DEFAULTS.put("auth.keysDir", "");
        DEFAULTS.put("auth.keysReloadSeconds", seconds(Config.Auth.DEFAULT_KEYS_RELOAD));
        DEFAULTS.put("auth.admin.username", "");
        DEFAULTS.put("auth.admin.password", "");
        DEFAULTS.put("auth.signup", "true");
        DEFAULTS.put("auth.defaultVisibility", "private");
        DEFAULTS.put("auth.sessionTtlSeconds", String.valueOf(7 * 24 * 3600));
        DEFAULTS.put("auth.rateLimit.requestsPerMinute", "600");
        DEFAULTS.put("auth.rateLimit.failuresPerMinute", "10");
        DEFAULTS.put("auth.rateLimit.accountFailuresPerMinute", "30");
        DEFAULTS.put("auth.rateLimit.signupsPerHour", "5");
        // empty: one per CPU core
        DEFAULTS.put("auth.hashing.concurrency", "");
        DEFAULTS.put("auth.hashing.queueDeadlineMillis", "5000");
        DEFAULTS.put("cache.enabled", "true");
        DEFAULTS.put("cache.maxEntries", String.valueOf(Config.Cache.DEFAULT_MAX_ENTRIES));
        DEFAULTS.put("cache.maxManifestBytes", String.valueOf(Config.Cache.DEFAULT_MAX_MANIFEST_BYTES));
        DEFAULTS.put("cache.ttlSeconds", seconds(Config.Cache.DEFAULT_TTL));
        DEFAULTS.put("api.listDefaultPageSize", String.valueOf(Config.Api.DEFAULT_LIST_PAGE_SIZE));
        DEFAULTS.put("gc.intervalSeconds", seconds(Config.Gc.DEFAULT_EVERY));
        DEFAULTS.put("gc.graceSeconds", seconds(Config.Gc.DEFAULT_GRACE));
        DEFAULTS.put("gc.untaggedAfterSeconds", "0");
        DEFAULTS.put("gc.batchSize", String.valueOf(Config.Gc.DEFAULT_BATCH_SIZE));
        DEFAULTS.put("namespaces.reserved", String.join(",", Config.Namespaces.DEFAULT_RESERVED));
        DEFAULTS.put("organizations.creation", "everyone");
        DEFAULTS.put("webauthn.rpId", "localhost");
        DEFAULTS.put("webauthn.rpName", "OpenRegistry");
        // empty: http://localhost:<the port a request came in on>
        DEFAULTS.put("webauthn.origins", "");
        DEFAULTS.put("webauthn.challengeTtlSeconds", seconds(Config.Web.DEFAULT_CHALLENGE_TTL));
        DEFAULTS.put("web.cookieSecure", "auto");
    }

    /** Keys whose value is a list: a YAML sequence, or comma-separated text (the environment variable). */
    private static final Set<String> LISTS = Set.of("namespaces.reserved", "webauthn.origins");

    private static final Set<String> LOG_LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

    private ConfigLoader() {
    }

    /** The keys the registry understands, in documentation order. */
    public static Set<String> keys() {
        return DEFAULTS.keySet();
    }

    /** The environment variable that overrides a key: {@code storage.s3.accessKey -> OPENREGISTRY_STORAGE_S3_ACCESS_KEY}. */
    public static String envName(String key) {
        StringBuilder sb = new StringBuilder(ENV_PREFIX);
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c == '.') {
                sb.append('_');
            } else if (Character.isUpperCase(c)) {
                sb.append('_').append(c);
            } else {
                sb.append(Character.toUpperCase(c));
            }
        }
        return sb.toString();
    }

    public static Config load(Path file, Map<String, String> env) {
        Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
        if (file != null) {
            values.putAll(readYaml(file));
        }
        Map<String, String> byEnv = new TreeMap<>();
        for (String key : DEFAULTS.keySet()) {
            byEnv.put(envName(key), key);
        }
        for (var e : env.entrySet()) {
            if (!e.getKey().startsWith(ENV_PREFIX)) {
                continue;
            }
            String key = byEnv.get(e.getKey());
            if (key == null) {
                throw new ConfigException("unknown environment variable " + e.getKey()
                        + " (known: " + String.join(", ", byEnv.keySet()) + ")");
            }
            values.put(key, e.getValue());
        }
        return build(values);
    }

    private static Map<String, String> readYaml(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
        Map<String, String> out = new LinkedHashMap<>();
        if (root == null || root.isMissingNode() || root.isNull()) {
            return out;
        }
        if (!root.isObject()) {
            throw new ConfigException("config file " + file + " must be a YAML mapping");
        }
        flatten("", root, out);
        return out;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            var e = fields.next();
            String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            JsonNode v = e.getValue();
            if (v.isObject()) {
                flatten(key, v, out);
            } else if (!DEFAULTS.containsKey(key)) {
                throw new ConfigException("unknown config key '" + key + "'");
            } else if (v.isArray() && LISTS.contains(key)) {
                List<String> items = new ArrayList<>();
                for (JsonNode item : v) {
                    if (!item.isValueNode() || item.isNull()) {
                        throw new ConfigException(key + ": expected a list of names");
                    }
                    items.add(item.asText());
                }
                out.put(key, String.join(",", items));
            } else if (v.isArray()) {
                throw new ConfigException(key + ": expected a single value, not a list");
            } else {
                out.put(key, v.isNull() ? "" : v.asText());
            }
        }
    }

    private static Config build(Map<String, String> v) {
        InetSocketAddress addr = address("http.addr", v.get("http.addr"));
        InetSocketAddress adminAddr = address("admin.addr", v.get("admin.addr"));
        if (addr.getPort() != 0 && addr.getPort() == adminAddr.getPort() && addr.getHostString().equals(adminAddr.getHostString())) {
            throw new ConfigException("admin.addr: " + v.get("admin.addr") + " is also http.addr; the admin listener needs its own port");
        }
        long shutdownTimeout = number("http.shutdownTimeoutSeconds", v.get("http.shutdownTimeoutSeconds"), 0, 3600);
        long headerTimeout = number("http.headerTimeoutSeconds", v.get("http.headerTimeoutSeconds"), 1, 3600);
        long bodyTimeout = number("http.bodyTimeoutSeconds", v.get("http.bodyTimeoutSeconds"), 1, 3600);
        long idleTimeout = number("http.idleTimeoutSeconds", v.get("http.idleTimeoutSeconds"), 1, 24 * 3600);
        Config.Storage storage = storage(v);
        Path root = storage.root();
        String url = v.get("database.url");
        if (url.isBlank()) {
            url = "r2dbc:h2:file:///" + root.resolve("db").resolve("registry");
        }
        DatabaseUrls.check(url);
        int poolSize = (int) number("database.poolSize", v.get("database.poolSize"), 1, 1000);
        int maxBytes = (int) number("manifest.maxBytes", v.get("manifest.maxBytes"), 1024, 64L * 1024 * 1024);
        long chunkMin = number("upload.chunkMinLength", v.get("upload.chunkMinLength"), 0, 1L << 31);
        long ttl = number("upload.ttlSeconds", v.get("upload.ttlSeconds"), 60, 365L * 24 * 3600);
        long maxBlob = number("upload.maxBlobBytes", v.get("upload.maxBlobBytes"), 0, Long.MAX_VALUE);
        int perAccount = (int) number("upload.maxSessionsPerAccount", v.get("upload.maxSessionsPerAccount"), 0,
                1_000_000);
        int perRepository = (int) number("upload.maxSessionsPerRepository", v.get("upload.maxSessionsPerRepository"),
                0, 1_000_000);
        long lease = number("upload.leaseSeconds", v.get("upload.leaseSeconds"), 1, 3600);
        String level = v.get("log.level").toUpperCase(Locale.ROOT);
        if (!LOG_LEVELS.contains(level)) {
            throw new ConfigException("log.level: '" + v.get("log.level") + "' is not one of " + LOG_LEVELS);
        }
        return new Config(new Config.Http(addr, Duration.ofSeconds(shutdownTimeout), Duration.ofSeconds(headerTimeout),
                        Duration.ofSeconds(bodyTimeout), Duration.ofSeconds(idleTimeout)), storage,
                new Config.Database(url, emptyToNull(v.get("database.username")),
                        emptyToNull(v.get("database.password")), poolSize),
                new Config.Manifests(maxBytes), new Config.Uploads(chunkMin, Duration.ofSeconds(ttl), maxBlob, perAccount,
                        perRepository, Duration.ofSeconds(lease)),
                new Config.Log(level, bool(v, "log.access")), new Config.Admin(adminAddr), auth(v, root), cache(v),
                new Config.Api((int) number("api.listDefaultPageSize", v.get("api.listDefaultPageSize"), 1,
                        Config.Api.MAX_LIST_PAGE_SIZE)), gc(v), namespaces(v));
    }

    /**
     * {@code namespaces.reserved}: names a valid username could take, compared in lower case (a
     * namespace is lower case anyway); {@code organizations.creation}: everyone or admins.
     */
    private static Config.Namespaces namespaces(Map<String, String> v) {
        java.util.Set<String> reserved = new java.util.LinkedHashSet<>();
        for (String item : v.get("namespaces.reserved").split(",", -1)) {
            String name = item.trim().toLowerCase(Locale.ROOT);
            if (name.isEmpty()) {
                continue;
            }
            // the username rules: one repository path component of at most 64 characters
            if (name.length() > 64 || name.indexOf('/') >= 0 || !io.openregistry.oci.Names.isValidName(name)) {
                throw new ConfigException("namespaces.reserved: '" + item.trim()
                        + "' is not a valid namespace name (a-z, 0-9, separated by '.', '_', '__' or '-')");
            }
            reserved.add(name);
        }
        String creation = v.get("organizations.creation").trim().toLowerCase(Locale.ROOT);
        if (!creation.equals("everyone") && !creation.equals("admins")) {
            throw new ConfigException("organizations.creation: '" + v.get("organizations.creation")
                    + "' is not one of [everyone, admins]");
        }
        return new Config.Namespaces(reserved, creation.equals("admins"));
    }

    private static Config.Gc gc(Map<String, String> v) {
        long every = number("gc.intervalSeconds", v.get("gc.intervalSeconds"), 0, 365L * 24 * 3600);
        long grace = number("gc.graceSeconds", v.get("gc.graceSeconds"), 0, 365L * 24 * 3600);
        long untagged = number("gc.untaggedAfterSeconds", v.get("gc.untaggedAfterSeconds"), 0, 10L * 365 * 24 * 3600);
        int batch = (int) number("gc.batchSize", v.get("gc.batchSize"), 1, 100_000);
        return new Config.Gc(Duration.ofSeconds(every), Duration.ofSeconds(grace), Duration.ofSeconds(untagged), batch);
    }

    private static Config.Cache cache(Map<String, String> v) {
        int maxEntries = (int) number("cache.maxEntries", v.get("cache.maxEntries"), 1, 10_000_000);
        // at least 64 KiB: room for a few manifests; at most 16 GiB
        long maxBytes = number("cache.maxManifestBytes", v.get("cache.maxManifestBytes"), 64 * 1024, 16L << 30);
        long ttl = number("cache.ttlSeconds", v.get("cache.ttlSeconds"), 1, 24 * 3600);
        return new Config.Cache(bool(v, "cache.enabled"), maxEntries, maxBytes, Duration.ofSeconds(ttl));
    }

    private static Config.Auth auth(Map<String, String> v, Path root) {
        boolean enabled = bool(v, "auth.enabled");
        String service = v.get("auth.service").trim();
        String issuer = v.get("auth.issuer").trim();
        if (service.isEmpty() || issuer.isEmpty()) {
            throw new ConfigException((service.isEmpty() ? "auth.service" : "auth.issuer") + ": must not be empty");
        }
        String realm = emptyToNull(v.get("auth.realm").trim());
        if (realm != null) {
            uri(v, "auth.realm", true);
        }
        long tokenTtl = number("auth.tokenTtlSeconds", v.get("auth.tokenTtlSeconds"), 30, 24 * 3600);
        String keys = v.get("auth.keysDir").trim();
        Path keysDir = keys.isEmpty() ? root.resolve("keys") : Path.of(keys).toAbsolutePath().normalize();
        long keysReload = number("auth.keysReloadSeconds", v.get("auth.keysReloadSeconds"), 0, 3600);
        String adminUser = emptyToNull(v.get("auth.admin.username").trim());
        String adminPassword = emptyToNull(v.get("auth.admin.password"));
        if ((adminUser == null) != (adminPassword == null)) {
            throw new ConfigException("auth.admin.username and auth.admin.password: set both or neither");
        }
        String visibility = v.get("auth.defaultVisibility").trim().toLowerCase(Locale.ROOT);
        if (!visibility.equals("private") && !visibility.equals("public")) {
            throw new ConfigException("auth.defaultVisibility: '" + v.get("auth.defaultVisibility")
                    + "' is not one of [private, public]");
        }
        long sessionTtl = number("auth.sessionTtlSeconds", v.get("auth.sessionTtlSeconds"), 60, 365L * 24 * 3600);
        int requests = (int) number("auth.rateLimit.requestsPerMinute", v.get("auth.rateLimit.requestsPerMinute"),
                1, 1_000_000);
        int failures = (int) number("auth.rateLimit.failuresPerMinute", v.get("auth.rateLimit.failuresPerMinute"),
                1, 1_000_000);
        int accountFailures = (int) number("auth.rateLimit.accountFailuresPerMinute",
                v.get("auth.rateLimit.accountFailuresPerMinute"), 1, 1_000_000);
        int signups = (int) number("auth.rateLimit.signupsPerHour", v.get("auth.rateLimit.signupsPerHour"), 1, 1_000_000);
        String concurrencyText = v.get("auth.hashing.concurrency").trim();
        int concurrency = concurrencyText.isEmpty() ? Math.max(1, Runtime.getRuntime().availableProcessors())
                : (int) number("auth.hashing.concurrency", concurrencyText, 1, 1024);
        long queueDeadline = number("auth.hashing.queueDeadlineMillis", v.get("auth.hashing.queueDeadlineMillis"),
                1, 600_000);
        return new Config.Auth(enabled, service, issuer, realm, Duration.ofSeconds(tokenTtl), keysDir, adminUser,
                adminPassword, bool(v, "auth.signup"), visibility.equals("public"), Duration.ofSeconds(sessionTtl),
                requests, failures, accountFailures, signups, concurrency, Duration.ofMillis(queueDeadline),
                Duration.ofSeconds(keysReload), web(v));
    }

    /**
     * {@code webauthn.*} and {@code web.cookieSecure}. The relying party id is a host name (what
     * browsers compare with the page's host); every origin is exactly scheme://host[:port] with
     * http or https, and its host is the rpId or ends with "." + rpId, as WebAuthn requires.
     */
    private static Config.Web web(Map<String, String> v) {
        String rpId = v.get("webauthn.rpId").trim().toLowerCase(Locale.ROOT);
        if (rpId.isEmpty() || !rpId.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")) {
            throw new ConfigException("webauthn.rpId: '" + v.get("webauthn.rpId")
                    + "' is not a host name (no scheme, no port, no path; e.g. registry.example.com or localhost)");
        }
        String rpName = v.get("webauthn.rpName").trim();
        if (rpName.isEmpty() || rpName.length() > 64 || rpName.chars().anyMatch(Character::isISOControl)) {
            throw new ConfigException("webauthn.rpName: must be 1-64 printable characters");
        }
        List<String> origins = new ArrayList<>();
        for (String item : v.get("webauthn.origins").split(",", -1)) {
            String origin = item.trim();
            if (origin.isEmpty()) {
                continue;
            }
            URI uri;
            try {
                uri = new URI(origin);
            } catch (java.net.URISyntaxException e) {
                uri = null;
            }
            String scheme = uri == null ? null : uri.getScheme();
            if (uri == null || scheme == null || !(scheme.equals("http") || scheme.equals("https"))
                    || uri.getHost() == null || uri.getRawUserInfo() != null || !uri.getRawPath().isEmpty()
                    || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new ConfigException("webauthn.origins: '" + origin
                        + "' is not an origin (scheme://host[:port], http or https, nothing after; e.g. https://registry.example.com)");
            }
            String host = uri.getHost().toLowerCase(Locale.ROOT);
            if (!host.equals(rpId) && !host.endsWith("." + rpId)) {
                throw new ConfigException("webauthn.origins: the host of '" + origin + "' is not webauthn.rpId ("
                        + rpId + ") nor under it");
            }
            origins.add(scheme + "://" + host + (uri.getPort() < 0 ? "" : ":" + uri.getPort()));
        }
        long ttl = number("webauthn.challengeTtlSeconds", v.get("webauthn.challengeTtlSeconds"), 10, 3600);
        String secure = v.get("web.cookieSecure").trim().toLowerCase(Locale.ROOT);
        if (!Set.of("auto", "true", "false").contains(secure)) {
            throw new ConfigException("web.cookieSecure: '" + v.get("web.cookieSecure")
                    + "' is not one of [auto, true, false]");
        }
        return new Config.Web(rpId, rpName, origins, Duration.ofSeconds(ttl),
                secure.equals("auto") ? null : Boolean.valueOf(secure));
    }

    private static Config.Storage storage(Map<String, String> v) {
        String driver = v.get("storage.driver");
        if (!Set.of("filesystem", "s3", "ipfs").contains(driver)) {
            throw new ConfigException("storage.driver: unsupported value '" + driver + "' (supported: filesystem, s3, ipfs)");
        }
        String rootText = v.get("storage.root");
        if (rootText.isBlank()) {
            throw new ConfigException("storage.root: must not be empty");
        }
        Path root = Path.of(rootText).toAbsolutePath().normalize();
        String redirect = v.get("storage.redirect");
        if (!redirect.equals("stream") && !redirect.equals("redirect")) {
            throw new ConfigException("storage.redirect: '" + redirect + "' is not one of [stream, redirect]");
        }
        // A backend is opened when it is the driver (where new blobs go) or when its settings are
        // given (to read blobs recorded on it before the driver changed, and as a migration target).
        Config.S3 s3 = null;
        if (driver.equals("s3") || !v.get("storage.s3.bucket").isBlank()) {
            String bucket = required(v, "storage.s3.bucket");
            s3 = new Config.S3(uri(v, "storage.s3.endpoint", false), required(v, "storage.s3.region"), bucket,
                    required(v, "storage.s3.accessKey"), required(v, "storage.s3.secretKey"),
                    bool(v, "storage.s3.pathStyle"),
                    number("storage.s3.partSize", v.get("storage.s3.partSize"), 5L * 1024 * 1024, 5L * 1024 * 1024 * 1024));
        }
        Config.Ipfs ipfs = null;
        if (driver.equals("ipfs") || !v.get("storage.ipfs.api").isBlank()) {
            if (v.get("storage.ipfs.api").isBlank()) {
                v.put("storage.ipfs.api", DEFAULT_IPFS_API);
            }
            ipfs = new Config.Ipfs(uri(v, "storage.ipfs.api", true), uri(v, "storage.ipfs.gateway", false),
                    bool(v, "storage.ipfs.pin"));
        }
        if (redirect.equals("redirect") && driver.equals("filesystem")) {
            throw new ConfigException("storage.redirect: 'redirect' needs an s3 or ipfs driver");
        }
        if (redirect.equals("redirect") && driver.equals("ipfs") && ipfs.gateway() == null) {
            throw new ConfigException("storage.redirect: 'redirect' with ipfs needs storage.ipfs.gateway");
        }
        long deleteAfter = number("storage.deleteAfterSeconds", v.get("storage.deleteAfterSeconds"), 0, 365L * 24 * 3600);
        long scrubEvery = number("storage.scrub.intervalSeconds", v.get("storage.scrub.intervalSeconds"), 0,
                365L * 24 * 3600);
        int scrubSample = (int) number("storage.scrub.sample", v.get("storage.scrub.sample"), 0, 100_000_000);
        long reconcileEvery = number("storage.reconcile.intervalSeconds", v.get("storage.reconcile.intervalSeconds"), 0,
                365L * 24 * 3600);
        return new Config.Storage(driver, root, redirect.equals("redirect"), s3, ipfs, Duration.ofSeconds(deleteAfter),
                new Config.Scrub(Duration.ofSeconds(scrubEvery), scrubSample), Duration.ofSeconds(reconcileEvery));
    }

    private static String required(Map<String, String> v, String key) {
        String value = v.get(key);
        if (value == null || value.isBlank()) {
            throw new ConfigException(key + ": required for the s3 backend (storage.driver=s3, or storage.s3.bucket set)");
        }
        return value;
    }

    private static boolean bool(Map<String, String> v, String key) {
        String value = v.get(key).trim().toLowerCase(Locale.ROOT);
        if (!value.equals("true") && !value.equals("false")) {
            throw new ConfigException(key + ": '" + v.get(key) + "' is not true or false");
        }
        return value.equals("true");
    }

    /** An http(s) URL, or null when empty and not required. */
    private static URI uri(Map<String, String> v, String key, boolean needed) {
        String value = v.get(key);
        if (value == null || value.isBlank()) {
            if (needed) {
                throw new ConfigException(key + ": required for storage.driver=" + v.get("storage.driver"));
            }
            return null;
        }
        try {
            URI uri = new URI(value.trim());
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new URISyntaxException(value, "not an http(s) URL with a host");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new ConfigException(key + ": '" + value + "' is not an http(s) URL");
        }
    }

    private static long number(String key, String text, long min, long max) {
        long n;
        try {
            n = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(key + ": '" + text + "' is not a whole number");
        }
        if (n < min || n > max) {
            throw new ConfigException(key + ": " + n + " is out of range [" + min + ", " + max + "]");
        }
        return n;
    }

    private static InetSocketAddress address(String key, String text) {
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new ConfigException(key + ": '" + text + "' is not host:port");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = (int) number(key + " (port)", text.substring(colon + 1), 0, 65535);
        return InetSocketAddress.createUnresolved(host.isEmpty() ? "0.0.0.0" : host, port);
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}

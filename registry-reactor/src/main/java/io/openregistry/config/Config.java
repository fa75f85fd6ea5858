package io.openregistry.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * The whole, validated configuration. Built once at start by {@link ConfigLoader}; every key is
 * documented in the README.
 */
public record Config(Http http, Storage storage, Database database, Manifests manifest, Uploads upload, Log log) {

    /** @param addr the listen address of the registry API */
    public record Http(InetSocketAddress addr) {
    }

    /** @param driver the blob store backend; @param root the data directory (blobs, staged uploads, H2 file) */
    public record Storage(String driver, Path root) {
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
     * @param chunkMinLength advertised in {@code OCI-Chunk-Min-Length}
     * @param ttl            how long an upload session may sit idle before it is discarded
     */
    public record Uploads(long chunkMinLength, java.time.Duration ttl) {
    }

    /** @param level the root log level */
    public record Log(String level) {
    }
}

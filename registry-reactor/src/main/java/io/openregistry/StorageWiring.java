package io.openregistry;

import io.micrometer.core.instrument.MeterRegistry;
import io.openregistry.config.Config;
import io.openregistry.config.ConfigException;
import io.openregistry.metadata.BlobPlacements;
import io.openregistry.storage.BackendRouter;
import io.openregistry.storage.BlobStore;
import io.openregistry.storage.MeteredBlobStore;
import io.openregistry.storage.fs.FilesystemBlobStore;
import io.openregistry.storage.ipfs.IpfsBackend;
import io.openregistry.storage.ipfs.IpfsSettings;
import io.openregistry.storage.remote.RemoteBlobStore;
import io.openregistry.storage.s3.S3Backend;
import io.openregistry.storage.s3.S3Settings;
import io.openregistry.storage.staging.LocalStaging;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.scheduler.Scheduler;

/**
 * Builds the blob stores of the configuration (for the server and the storage commands): the
 * filesystem store always (it needs no settings), S3 and IPFS when their settings are given, each
 * timed by a {@link MeteredBlobStore}, behind one {@link BackendRouter} that writes to the store of
 * {@code storage.driver} and reads each blob from the backend recorded for it.
 */
final class StorageWiring {
    private static final Logger log = LoggerFactory.getLogger(StorageWiring.class);
    /** How long the start waits for a backend other than the driver's to answer its check. */
    static final Duration OTHER_CHECK_TIMEOUT = Duration.ofSeconds(10);

    private StorageWiring() {
    }

    /**
     * Opens every configured store. The writer must answer ({@link ConfigException} otherwise, with
     * the backend's explanation); another store that does not answer is only a warning: the
     * registry still takes pushes, and reads of that backend's blobs fail until it is back.
     * Backends that hold connections are added to {@code closeables}.
     */
    static BackendRouter open(Config.Storage storage, Scheduler io, MeterRegistry meters,
                              List<AutoCloseable> closeables) {
        Path root = storage.root().resolve("storage");
        List<BlobStore> all = new ArrayList<>();
        // staged files are renamed into root/blobs once verified
        all.add(new FilesystemBlobStore(root, new LocalStaging(root.resolve("uploads"), io), io));
        if (storage.ipfs() != null) {
            Config.Ipfs c = storage.ipfs();
            IpfsBackend backend = new IpfsBackend(new IpfsSettings(c.api(), c.gateway(), c.pin(), Registry.BACKEND_TIMEOUT));
            closeables.add(backend);
            // MFS (files/write) cannot cut a file back to an offset, so a failed request could
            // not be rolled back there; the shared directory can, and commit adds the file anyway
            all.add(new RemoteBlobStore(RemoteBlobStore.stagedIn(new LocalStaging(root.resolve("uploads"), io), backend),
                    backend, storage.redirect()));
        }
        if (storage.s3() != null) {
            Config.S3 c = storage.s3();
            S3Backend backend = new S3Backend(new S3Settings(c.endpoint(), c.region(), c.bucket(), c.accessKey(),
                    c.secretKey(), c.pathStyle(), c.partSize(), storage.redirect() ? Registry.PRESIGN_TTL : null));
            closeables.add(backend);
            all.add(new RemoteBlobStore(backend.staging(), backend, storage.redirect()));
        }
        BlobStore writer = null;
        List<BlobStore> others = new ArrayList<>();
        for (BlobStore store : all) {
            BlobStore metered = new MeteredBlobStore(store, meters);
            if (store.backend().equals(storage.driver())) {
                writer = metered;
            } else {
                others.add(metered);
            }
        }
        if (writer == null) {
            throw new ConfigException("storage.driver: unsupported value '" + storage.driver() + "'");
        }
        check(writer);
        for (BlobStore other : others) {
            try {
                // briefly: a backend kept for old blobs must not hold up a start that can serve the rest
                other.check().block(OTHER_CHECK_TIMEOUT);
            } catch (RuntimeException e) {
                log.warn("storage.{}: configured for reads but not usable now ({}); its blobs answer errors until it is",
                        other.backend(), e.getMessage());
            }
        }
        return new BackendRouter(writer, others);
    }

    /** A store that must work: startup (or a command) stops with the backend's own explanation otherwise. */
    static void check(BlobStore store) {
        try {
            store.check().block(Registry.BACKEND_TIMEOUT.plusSeconds(5));
        } catch (RuntimeException e) {
            throw new ConfigException("storage." + store.backend() + ": the backend is not usable: " + e.getMessage());
        }
    }

    /**
     * Warns (once, at start, without delaying it) when the database records blobs on backends that
     * are not configured: those blobs answer 503 until their settings are given.
     */
    static void warnUnreachable(BlobPlacements placements, BackendRouter stores) {
        placements.countByBackend()
                .filter(count -> !stores.backends().contains(count.backend()))
                .collect(Collectors.toMap(BlobPlacements.BackendCount::backend, BlobPlacements.BackendCount::blobs))
                .filter(missing -> !missing.isEmpty())
                .subscribe(missing -> log.warn("the database records blobs on backends that are not configured: {};"
                                + " pulls of those blobs answer 503 until their settings are given ({})", missing,
                        hints(missing)),
                        e -> log.warn("counting blobs by backend failed: {}", e.toString()));
    }

    private static String hints(Map<String, Long> missing) {
        return missing.keySet().stream()
                .map(b -> switch (b) {
                    case "s3" -> "storage.s3.bucket, storage.s3.accessKey, storage.s3.secretKey, storage.s3.endpoint";
                    case "ipfs" -> "storage.ipfs.api";
                    default -> b + ": unknown backend";
                })
                .collect(Collectors.joining("; "));
    }

    /** How long an old copy stays after a migration moved its row: the grace period, and at least the cache's life. */
    static Duration retireDelay(Config config) {
        Duration grace = config.storage().deleteAfter();
        Duration cached = config.cache().enabled() ? config.cache().ttl() : Duration.ZERO;
        return grace.compareTo(cached) >= 0 ? grace : cached;
    }
}

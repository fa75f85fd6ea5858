package io.openregistry.upload;

import io.openregistry.metadata.BlobIndex;
import io.openregistry.metadata.BlobRecord;
import io.openregistry.oci.Digest;
import io.openregistry.storage.BlobStore;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Deletes the bytes of blobs no repository has linked for a grace period (S3 delete, IPFS unpin,
 * file removal), and keeps track of the commits in progress so it never deletes content that a
 * push is re-committing at that moment. Content addressing makes that the only race: a commit of
 * the same digest reuses the stored object before it records the blob again.
 */
public final class BlobCollector {
    private static final Logger log = LoggerFactory.getLogger(BlobCollector.class);
    private final BlobIndex blobs;
    private final BlobStore store;
    private final Map<Digest, AtomicInteger> committing = new ConcurrentHashMap<>();

    public BlobCollector(BlobIndex blobs, BlobStore store) {
        this.blobs = blobs;
        this.store = store;
    }

    /** Runs {@code commit} with {@code digest} marked as being committed on this replica. */
    <T> Mono<T> committing(Digest digest, Mono<T> commit) {
        return Mono.defer(() -> {
            committing.computeIfAbsent(digest, d -> new AtomicInteger()).incrementAndGet();
            return commit.doFinally(signal -> committing.computeIfPresent(digest,
                    (d, n) -> n.decrementAndGet() == 0 ? null : n));
        });
    }

    private boolean isCommitting(Digest digest) {
        return committing.containsKey(digest);
    }

    /**
     * Collects blobs orphaned before {@code cutoff}: their records are deleted (only if still
     * orphaned and unlinked), then their bytes. @return how many blobs were deleted
     */
    public Mono<Long> collect(Instant cutoff) {
        return blobs.orphanedBefore(cutoff, 1000)
                .filter(b -> !isCommitting(b.digest()))
                .concatMap(b -> blobs.forget(b.digest(), cutoff).flatMap(deleted -> deleted ? delete(b) : Mono.empty()))
                .count();
    }

    private Mono<BlobRecord> delete(BlobRecord b) {
        if (isCommitting(b.digest())) {
            // A push of this very content started meanwhile; it will record the blob again.
            log.info("blob {} is being pushed again; its bytes are kept", b.digest());
            return Mono.just(b);
        }
        return store.delete(b.location())
                .doOnSuccess(v -> log.debug("blob collected digest={} backend={} location={}", b.digest(), b.backend(),
                        b.location()))
                .onErrorResume(e -> {
                    log.warn("deleting the bytes of blob {} at {} failed; they are orphaned", b.digest(), b.location(), e);
                    return Mono.empty();
                })
                .thenReturn(b);
    }
}

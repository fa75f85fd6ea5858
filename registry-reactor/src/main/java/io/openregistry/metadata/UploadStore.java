package io.openregistry.metadata;

import java.time.Instant;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Upload sessions, kept in the database so that an upload can be resumed after a restart or on
 * another replica.
 */
public interface UploadStore {

    /** Records a new session at offset 0, with no owner and no limits. */
    default Mono<UploadRecord> create(String id, String repository) {
        return create(id, repository, null, 0, 0);
    }

    /**
     * Records a new session at offset 0 for {@code owner} (an opaque key; null = none), unless the
     * owner already holds {@code maxPerOwner} sessions or the repository has {@code maxPerRepository}
     * (0 = no limit). The check and the insert are one statement; concurrent creations on different
     * connections may still pass together, so a limit can be exceeded by at most that concurrency.
     *
     * @return the session, or empty when a limit is reached
     */
    Mono<UploadRecord> create(String id, String repository, String owner, int maxPerOwner, int maxPerRepository);

    Mono<UploadRecord> find(String id);

    /**
     * Moves the session's offset from {@code expected} to {@code offset} if it is still at
     * {@code expected} (optimistic concurrency). @return whether it moved
     */
    Mono<Boolean> advance(String id, long expected, long offset);

    /** @return whether the session existed */
    Mono<Boolean> delete(String id);

    /** Up to {@code limit} sessions last updated before {@code cutoff}, oldest first: abandoned uploads. */
    Flux<UploadRecord> idleSince(Instant cutoff, int limit);
}

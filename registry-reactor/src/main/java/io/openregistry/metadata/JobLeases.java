package io.openregistry.metadata;

import java.time.Duration;
import reactor.core.publisher.Mono;

/**
 * Leases of periodic jobs, so that a job runs on one replica at a time: before each run a replica
 * takes (or extends) the job's lease, and skips the run when another replica holds it. Expiries
 * are in database time.
 */
public interface JobLeases {

    /**
     * Takes the lease of job {@code name} for {@code holder} until {@code ttl} from now, if nobody
     * holds it, {@code holder} itself holds it (then it is extended), or the holder's lease expired.
     *
     * @return whether {@code holder} holds the lease now
     */
    Mono<Boolean> acquire(String name, String holder, Duration ttl);

    /** Gives the lease up if {@code holder} holds it (at shutdown: another replica takes over at its next tick). */
    Mono<Void> release(String name, String holder);
}

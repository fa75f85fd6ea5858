package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.ChangeFeed;
import java.util.Collection;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The change feed of a single process (H2). The stores that the cache wraps invalidate it as they
 * write; what changes cached answers behind their back (a repository deleted with its namespace,
 * {@link RepositoryRemoval}) is announced here once committed, as PostgreSQL's triggers announce
 * it to every replica.
 */
final class LocalChangeFeed implements ChangeFeed {
    private final Sinks.Many<Change> sink = Sinks.many().multicast().directBestEffort();

    @Override
    public Flux<Change> changes() {
        // the sink first, then Listening: a change committed in between arrives before Listening
        // (whose handling clears the cache anyway), never lost after it
        return Flux.merge(sink.asFlux(), Mono.just(new Listening()));
    }

    /** Announces committed changes to the current subscribers. */
    void announce(Collection<? extends Change> changes) {
        // a sink takes one emitter at a time; callers are database threads, which may wait
        synchronized (sink) {
            changes.forEach(sink::tryEmitNext);
        }
    }
}

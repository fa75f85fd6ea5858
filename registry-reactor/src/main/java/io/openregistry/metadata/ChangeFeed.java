package io.openregistry.metadata;

import io.openregistry.oci.Digest;
import reactor.core.publisher.Flux;

/**
 * The committed changes, by any replica, to the answers an in-process cache may hold: where a tag
 * points, which manifests a repository has, which blobs it links. A change is announced only once
 * its transaction committed.
 *
 * <p>The feed is a session: it starts with {@link Listening} once every later commit is sure to be
 * announced, and says {@link Lost} when that stops being true (the listening connection dropped);
 * until the next {@link Listening}, changes may go unannounced, so whoever caches must not trust
 * (nor fill) its cache in between. Only creations of what was absent are never announced: a
 * cache must therefore not remember that something is absent.
 */
public interface ChangeFeed {

    /**
     * The session: {@link Listening}, changes, and {@link Lost} / {@link Listening} again after
     * each reconnect, until the subscription is cancelled (which closes the connection).
     */
    Flux<Change> changes();

    /** What a feed says. */
    sealed interface Change {
    }

    /** From now on every committed change is announced; whatever was cached before may be stale. */
    record Listening() implements Change {
    }

    /** Changes may go unannounced from now on (until the next {@link Listening}). */
    record Lost(Throwable cause) implements Change {
    }

    /** The tag was moved or deleted. */
    record TagChanged(String repository, String tag) implements Change {
    }

    /** The manifest was deleted from the repository (its tags were too, each announced on its own). */
    record ManifestRemoved(String repository, Digest digest) implements Change {
    }

    /** The blob was unlinked from the repository. */
    record LinkRemoved(String repository, Digest digest) implements Change {
    }
}

package io.openregistry.metadata.r2dbc;

import io.openregistry.oci.Digest;
import io.r2dbc.spi.Connection;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * The statements on blob rows that the manifest store and the blob index share, so that every
 * writer of the content graph and of blob links takes the same locks in the same order.
 *
 * <p>The protocol (README, "The content graph"): whoever changes whether a blob is linked or
 * referenced (a manifest delete, a blob unlink) or decides that it may go (the collector's
 * {@code forget}) first locks the blob's row with {@code SELECT … FOR UPDATE} in a statement of
 * its own, and only then, in later statements, reads or writes links and edges. A manifest put
 * needs the blobs it requires linked to its repository, and locks those links instead (one
 * statement finds and locks them): an unlink deletes the link row, so the two wait for each other
 * as well, and a blob that is linked is neither orphaned nor collectable. The non-distributable
 * layers a put names, which need not be linked, get their blob rows locked. In PostgreSQL's
 * READ COMMITTED (and H2's) each statement sees what was committed before it began, so the second
 * of two such transactions on one blob sees everything the first one wrote; one statement that
 * both waited for the lock and tested other tables would test them as they were before it waited.
 * Several rows are locked in digest order, so two writers never wait for each other in a circle
 * (should the database choose another order, a deadlock is reported and Db retries).
 */
final class ContentGraph {
    /** The edge kinds that keep a blob's bytes. */
    static final String BLOB_KINDS = "('config', 'layer')";
    /** A correlated test, on a statement about {@code blobs}, that some manifest names the blob. */
    static final String REFERENCED = "EXISTS (SELECT 1 FROM manifest_references r WHERE r.digest = blobs.digest"
            + " AND r.kind IN " + BLOB_KINDS + ")";
    static final String LINKED = "EXISTS (SELECT 1 FROM repository_blobs l WHERE l.digest = blobs.digest)";

    private ContentGraph() {
    }

    /**
     * Locks the rows of those of {@code digests} that have one, in digest order, until the end of
     * the transaction. @return each locked blob's digest and whether it is being deleted
     */
    static Mono<Map<Digest, Boolean>> lockBlobs(Connection conn, Collection<Digest> digests) {
        List<Object> sorted = digests.stream().distinct().map(Digest::toString).sorted().map(d -> (Object) d).toList();
        return Sql.inListOn(conn, "SELECT digest, deleting FROM blobs WHERE digest IN IN_LIST ORDER BY digest FOR UPDATE",
                        List.of(), sorted, row -> Map.entry(Digest.parse(row.get(0, String.class)),
                                Boolean.TRUE.equals(row.get(1, Boolean.class))))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue);
    }

    /**
     * Marks orphaned (at {@code now}) those of {@code digests} whose rows no repository links and
     * no manifest names, unless already marked or being deleted. Call it with the rows locked
     * ({@link #lockBlobs}) and after the change that may have taken their last link or edge.
     */
    static Mono<Long> orphanUnreferenced(Connection conn, Collection<Digest> digests, Instant now) {
        return Sql.updateInListOn(conn, "UPDATE blobs SET orphaned_at = $1 WHERE digest IN IN_LIST"
                        + " AND orphaned_at IS NULL AND deleting = FALSE AND NOT " + LINKED + " AND NOT " + REFERENCED,
                List.of(now), digests.stream().map(Digest::toString).toList());
    }

    /** Clears the orphaned mark of those of {@code digests} that are not being deleted (a link or an edge came back). */
    static Mono<Long> revive(Connection conn, Collection<Digest> digests) {
        return Sql.updateInListOn(conn, "UPDATE blobs SET orphaned_at = NULL WHERE digest IN IN_LIST"
                        + " AND orphaned_at IS NOT NULL AND deleting = FALSE",
                List.of(), digests.stream().map(Digest::toString).toList());
    }
}

package io.openregistry.metadata.r2dbc;

import io.openregistry.oci.Digest;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Deletes whole repositories (a namespace's, when its user or organization goes), one transaction
 * per repository, so that a reader sees each repository either whole or gone.
 *
 * <p>In each transaction: the repository's row is locked first, so that no manifest, tag or blob
 * link can be added under it until the end (their inserts take a key-share lock on it through
 * their foreign keys, and the ones in flight are waited for); then the blobs it links or names
 * are locked in digest order, as every writer of the content graph does ({@link ContentGraph});
 * then the row goes with its manifests, tags, edges and links (the foreign keys' cascades, which
 * on PostgreSQL also announce every removal to the caches of all replicas, migration V7), the
 * grants, team and robot listings of the repository go, and the blobs nothing keeps any more are
 * marked orphaned, for the garbage collector to delete after its grace period. Bytes are never
 * deleted here.
 */
final class RepositoryRemoval {
    private final Db db;

    RepositoryRemoval(Db db) {
        this.db = db;
    }

    /** Deletes every repository of {@code namespace}; answers how many went. */
    Mono<Long> deleteAll(String namespace, String actor) {
        return db.query("SELECT name FROM repositories WHERE namespace = $1 ORDER BY name",
                        row -> row.get(0, String.class), namespace)
                .collectList()
                .flatMapMany(Flux::fromIterable)
                .concatMap(repository -> delete(repository, actor))
                .filter(Boolean::booleanValue)
                .count();
    }

    /** Deletes one repository; false when it does not exist. */
    Mono<Boolean> delete(String repository, String actor) {
        return db.transaction(conn -> Db.query(conn, "SELECT name FROM repositories WHERE name = $1 FOR UPDATE",
                                row -> true, repository)
                        .hasElements()
                        .flatMap(found -> !found ? Mono.just(false)
                                : Db.query(conn, "SELECT digest FROM repository_blobs WHERE repository = $1"
                                                + " UNION SELECT digest FROM manifest_references WHERE repository = $1"
                                                + " AND kind IN " + ContentGraph.BLOB_KINDS,
                                                row -> Digest.parse(row.get(0, String.class)), repository)
                                        .collectList()
                                        .flatMap(blobs -> remove(conn, repository, blobs, actor))))
                .single();
    }

    private static Mono<Boolean> remove(io.r2dbc.spi.Connection conn, String repository, List<Digest> blobs,
                                        String actor) {
        return (blobs.isEmpty() ? Mono.empty() : ContentGraph.lockBlobs(conn, blobs).then())
                .then(Db.update(conn, "DELETE FROM repositories WHERE name = $1", repository))
                .then(Db.update(conn, "DELETE FROM repository_grants WHERE repository = $1", repository))
                .then(Db.update(conn, "DELETE FROM team_repositories WHERE repository = $1", repository))
                .then(Db.update(conn, "DELETE FROM robot_repositories WHERE repository = $1", repository))
                .then(blobs.isEmpty() ? Mono.empty() : ContentGraph.orphanUnreferenced(conn, blobs, Sql.now()).then())
                .then(Audit.record(conn, OrgAccess.namespaceOf(repository), actor, "repositories.delete", repository,
                        null))
                .thenReturn(true);
    }
}

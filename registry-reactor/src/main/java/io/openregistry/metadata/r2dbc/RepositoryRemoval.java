package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.ChangeFeed;
import io.openregistry.oci.Digest;
import io.r2dbc.spi.Connection;
import java.util.ArrayList;
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
 *
 * <p>H2 takes no lock on a parent row when a child row is inserted, and its cascade skips child
 * rows not yet committed: a push into the repository that commits while its deletion runs may
 * leave its manifest or blob link without a repository row (not listed, not public; the next push
 * that creates the repository adopts it). Closing that would mean locking the repository's row in
 * every blob commit on H2, which serialises the commits of one image's layers; a namespace is
 * deleted rarely, by an admin or owner, so H2 (one process, the small default) leaves it open.
 */
final class RepositoryRemoval {
    private final Db db;
    private final LocalChangeFeed localFeed;

    /** @param localFeed where to announce what went, on H2; null on PostgreSQL (migration V7's triggers announce it) */
    RepositoryRemoval(Db db, LocalChangeFeed localFeed) {
        this.db = db;
        this.localFeed = localFeed;
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
        List<ChangeFeed.Change> gone = new ArrayList<>();
        return db.transaction(conn -> Db.query(conn, "SELECT name FROM repositories WHERE name = $1 FOR UPDATE",
                                row -> true, repository)
                        .hasElements()
                        .flatMap(found -> !found ? Mono.just(false)
                                : (localFeed == null ? Mono.<Void>empty() : removed(conn, repository, gone))
                                        .then(Db.query(conn, "SELECT digest FROM repository_blobs WHERE repository = $1"
                                                        + " UNION SELECT digest FROM manifest_references WHERE repository = $1"
                                                        + " AND kind IN " + ContentGraph.BLOB_KINDS,
                                                row -> Digest.parse(row.get(0, String.class)), repository)
                                                .collectList())
                                        .flatMap(blobs -> remove(conn, repository, blobs, actor))))
                .single()
                .doOnNext(deleted -> {
                    if (deleted && localFeed != null) {
                        localFeed.announce(gone);
                    }
                });
    }

    /** What the caches may hold of the repository: its tags, manifests and links, into {@code gone}. */
    private static Mono<Void> removed(Connection conn, String repository, List<ChangeFeed.Change> gone) {
        // a retried transaction starts again from nothing
        return Mono.fromRunnable(gone::clear)
                .thenMany(Db.<ChangeFeed.Change>query(conn, "SELECT name FROM tags WHERE repository = $1",
                        row -> new ChangeFeed.TagChanged(repository, row.get(0, String.class)), repository))
                .concatWith(Db.<ChangeFeed.Change>query(conn, "SELECT digest FROM manifests WHERE repository = $1",
                        row -> new ChangeFeed.ManifestRemoved(repository, Digest.parse(row.get(0, String.class))), repository))
                .concatWith(Db.<ChangeFeed.Change>query(conn, "SELECT digest FROM repository_blobs WHERE repository = $1",
                        row -> new ChangeFeed.LinkRemoved(repository, Digest.parse(row.get(0, String.class))), repository))
                .doOnNext(gone::add)
                .then();
    }

    private static Mono<Boolean> remove(Connection conn, String repository, List<Digest> blobs,
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

package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.BlobIndex;
import io.openregistry.metadata.BlobRecord;
import io.openregistry.metadata.Collectable;
import io.openregistry.oci.Digest;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Row;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Blobs are global (one row per digest); repository_blobs says which repositories may serve them,
 * manifest_references which manifests name them (the content graph: a named blob is never
 * orphaned, see {@link ContentGraph}).
 * A row marked {@code deleting} belongs to the collector until its bytes are gone; blob_intents
 * holds the commits in progress, which the collector must not delete under (see
 * {@code upload.BlobCollector} for the protocol).
 */
final class R2dbcBlobIndex implements BlobIndex {
    private static final String DROP_INTENT = "DELETE FROM blob_intents WHERE digest = $1 AND holder = $2";
    private static final String COLUMNS = "b.digest, b.size, b.backend, b.location";
    /** A push or mount of an orphaned blob takes it back from the collector. */
    private static final String REVIVE = "UPDATE blobs SET orphaned_at = NULL WHERE digest = $1 AND orphaned_at IS NOT NULL";

    private final Db db;
    private final String insertBlob;
    private final String insertLink;
    private final String upsertIntent;

    R2dbcBlobIndex(Db db) {
        this.db = db;
        this.insertBlob = db.dialect.insertIfAbsent("blobs",
                List.of("digest", "size", "media_type", "backend", "location", "created_at"), List.of("digest"));
        // A push or mount of a linked blob moves its link's time: the garbage collector's grace
        // (gc.graceSeconds) counts from the latest, so a blob re-pushed for a manifest still to come survives.
        this.insertLink = db.dialect.upsert("repository_blobs",
                List.of("repository", "digest", "created_at"), List.of("repository", "digest"));
        String until = db.dialect.nowPlusMillis("$3");
        this.upsertIntent = db.dialect == Dialect.POSTGRESQL
                ? "INSERT INTO blob_intents (digest, holder, intent_until) VALUES ($1, $2, " + until + ")"
                        + " ON CONFLICT (digest, holder) DO UPDATE SET intent_until = EXCLUDED.intent_until"
                : "MERGE INTO blob_intents (digest, holder, intent_until) KEY (digest, holder) VALUES ($1, $2, " + until + ")";
    }

    @Override
    public Mono<BlobRecord> commit(String repository, BlobRecord blob, String uploadId, String intentHolder) {
        return db.transaction(conn -> Sql.ensureRepository(db, conn, repository)
                        .then(Db.update(conn, insertBlob, blob.digest(), blob.size(), null, blob.backend(),
                                blob.location(), Sql.now()))
                        .then(Db.update(conn, insertLink, repository, blob.digest(), Sql.now()))
                        .then(Db.update(conn, REVIVE, blob.digest()))
                        .then(uploadId == null ? Mono.empty()
                                : Db.update(conn, "DELETE FROM uploads WHERE id = $1", uploadId))
                        .then(intentHolder == null ? Mono.empty()
                                : Db.update(conn, DROP_INTENT, blob.digest(), intentHolder))
                        // The existing record wins over ours when the digest was already known.
                        .thenMany(findForCommit(conn, blob.digest())))
                .single();
    }

    @Override
    public Mono<BlobRecord> find(Digest digest) {
        return db.run(conn -> find(conn, digest)).singleOrEmpty();
    }

    @Override
    public Mono<BlobRecord> findLinked(String repository, Digest digest) {
        return db.run(conn -> findLinked(conn, repository, digest)).singleOrEmpty();
    }

    @Override
    public Mono<BlobRecord> mount(String repository, Digest digest, String from) {
        // The lookup must finish before the next statement: a connection runs one at a time, and
        // PostgreSQL would wait forever for a result that is still being consumed.
        return db.transaction(conn -> findLinked(conn, from, digest).singleOrEmpty()
                        .flatMap(blob -> Sql.ensureRepository(db, conn, repository)
                                .then(Db.update(conn, insertLink, repository, digest, Sql.now()))
                                .then(Db.update(conn, REVIVE, digest))
                                .thenReturn(blob)))
                .singleOrEmpty();
    }

    @Override
    public Mono<Boolean> unlink(String repository, Digest digest) {
        // The row lock first (ContentGraph): a manifest put naming this blob then either committed
        // its edge before the orphan test below, or checks the link after this commit and fails.
        return db.transaction(conn -> ContentGraph.lockBlobs(conn, List.of(digest))
                        .then(Db.update(conn, "DELETE FROM repository_blobs WHERE repository = $1 AND digest = $2",
                                repository, digest))
                        .flatMap(count -> count == 0 ? Mono.just(false)
                                : ContentGraph.orphanUnreferenced(conn, List.of(digest), Sql.now()).thenReturn(true)))
                .single();
    }

    @Override
    public Flux<Collectable> unreferencedLinksBefore(Instant cutoff, Collectable after, int limit) {
        return db.query("SELECT l.repository, l.digest, b.size FROM repository_blobs l JOIN blobs b ON b.digest = l.digest"
                        + " WHERE l.created_at < $1 AND (l.repository > $2 OR (l.repository = $2 AND l.digest > $3))"
                        + " AND " + UNREFERENCED_IN_REPOSITORY + " ORDER BY l.repository, l.digest LIMIT $4",
                row -> new Collectable(row.get(0, String.class), Digest.parse(row.get(1, String.class)),
                        ((Number) row.get(2)).longValue()),
                cutoff, after == null ? "" : after.repository(), after == null ? "" : after.digest().toString(), limit);
    }

    /** No manifest of the link's repository names its blob (a {@code repository_blobs l} correlated test). */
    private static final String UNREFERENCED_IN_REPOSITORY = "NOT EXISTS (SELECT 1 FROM manifest_references r"
            + " WHERE r.digest = l.digest AND r.kind IN " + ContentGraph.BLOB_KINDS + " AND r.repository = l.repository)";

    @Override
    public Mono<Boolean> unlinkUnreferenced(String repository, Digest digest, Instant cutoff) {
        // The order of unlink (the blob's row), then the link's row, which a manifest put naming
        // the blob holds until it commits its edges; the test is a statement of its own after both
        // locks (ContentGraph), so it sees those edges, and a commit or mount that refreshed the link.
        return db.transaction(conn -> ContentGraph.lockBlobs(conn, List.of(digest))
                        .thenMany(Db.query(conn, "SELECT digest FROM repository_blobs WHERE repository = $1 AND digest = $2"
                                + " FOR UPDATE", row -> true, repository, digest))
                        .then(Db.update(conn, "DELETE FROM repository_blobs l WHERE l.repository = $1 AND l.digest = $2"
                                + " AND l.created_at < $3 AND " + UNREFERENCED_IN_REPOSITORY, repository, digest, cutoff))
                        .flatMap(count -> count == 0 ? Mono.just(false)
                                : ContentGraph.orphanUnreferenced(conn, List.of(digest), Sql.now()).thenReturn(true)))
                .single();
    }

    @Override
    public Flux<BlobRecord> orphanedBefore(Instant cutoff, int limit) {
        return db.query("SELECT " + COLUMNS + " FROM blobs b WHERE b.orphaned_at < $1 ORDER BY b.orphaned_at LIMIT $2",
                R2dbcBlobIndex::record, cutoff, limit);
    }

    @Override
    public Mono<Boolean> forget(Digest digest, Instant cutoff) {
        // The row lock first, then the intents, links and edges with a statement of their own: in
        // PostgreSQL's READ COMMITTED each statement sees what was committed before it began, so an
        // intent whose transaction released this lock (see intend), or a link or edge written
        // under it (a commit, mount or manifest put), is seen. One UPDATE with NOT EXISTS would not
        // do: after waiting for a lock it re-checks only the locked row, not other tables.
        return db.transaction(conn -> Db.query(conn, "SELECT deleting FROM blobs WHERE digest = $1 AND orphaned_at < $2 FOR UPDATE",
                        row -> row.get(0, Boolean.class), digest, cutoff)
                        .singleOrEmpty()
                        .flatMap(deleting -> deleting ? Mono.just(true)
                                : Db.query(conn, "SELECT (SELECT COUNT(*) FROM blob_intents WHERE digest = $1"
                                                + " AND intent_until > CURRENT_TIMESTAMP),"
                                                + " (SELECT COUNT(*) FROM repository_blobs WHERE digest = $1)"
                                                + " + (SELECT COUNT(*) FROM manifest_references WHERE digest = $1"
                                                + " AND kind IN " + ContentGraph.BLOB_KINDS + ")",
                                                row -> new long[] {((Number) row.get(0)).longValue(),
                                                        ((Number) row.get(1)).longValue()}, digest)
                                        .single()
                                        .flatMap(found -> {
                                            if (found[1] > 0) {
                                                // linked or named after all: it is not orphaned (and
                                                // must not stay first in line for every collection)
                                                return ContentGraph.revive(conn, List.of(digest)).thenReturn(false);
                                            }
                                            return found[0] > 0 ? Mono.just(false)
                                                    : Db.update(conn, "UPDATE blobs SET deleting = TRUE WHERE digest = $1", digest)
                                                            .thenReturn(true);
                                        })))
                .defaultIfEmpty(false)
                .single();
    }

    @Override
    public Mono<Void> forgotten(Digest digest) {
        return db.update("DELETE FROM blobs WHERE digest = $1 AND deleting", digest).then();
    }

    @Override
    public Mono<Boolean> intend(Digest digest, String holder, Duration ttl) {
        // The intent and the lock in one transaction: a collector that locked the row first has
        // committed its mark by the time we get the lock (we read it); one that locks it after us
        // starts its intent check after our commit, and sees the intent.
        String lock = "SELECT deleting FROM blobs WHERE digest = $1 FOR UPDATE";
        Flux<Boolean> marks = db.dialect == Dialect.POSTGRESQL
                // one statement, so one transaction and one round trip: the intent is committed
                // when the lock is released
                ? db.query("WITH intent AS (" + upsertIntent + ") " + lock, row -> row.get(0, Boolean.class),
                        digest, holder, ttl.toMillis())
                : db.transaction(conn -> Db.update(conn, upsertIntent, digest, holder, ttl.toMillis())
                        .thenMany(Db.query(conn, lock, row -> row.get(0, Boolean.class), digest)));
        return marks.singleOrEmpty()
                .map(deleting -> !deleting)
                .defaultIfEmpty(true);
    }

    @Override
    public Mono<Void> dropIntent(Digest digest, String holder) {
        return db.update(DROP_INTENT, digest, holder).then();
    }

    @Override
    public Mono<Long> dropExpiredIntents() {
        return db.update("DELETE FROM blob_intents WHERE intent_until <= CURRENT_TIMESTAMP");
    }

    @Override
    public Flux<Digest> linked(String repository, Collection<Digest> digests) {
        return Sql.inList(db, "SELECT digest FROM repository_blobs WHERE repository = $1 AND digest IN IN_LIST",
                repository, digests.stream().map(Digest::toString).toList(),
                row -> Digest.parse(row.get(0, String.class)));
    }

    private static Flux<BlobRecord> find(Connection conn, Digest digest) {
        return Db.query(conn, "SELECT " + COLUMNS + " FROM blobs b WHERE b.digest = $1 AND b.deleting = FALSE",
                R2dbcBlobIndex::record, digest);
    }

    /**
     * The record a commit links. A record being deleted would link content whose bytes are going:
     * the commit protocol (an intent before the store commit) rules that out, and this refuses it
     * should that ever be broken.
     */
    private static Flux<BlobRecord> findForCommit(Connection conn, Digest digest) {
        return Db.query(conn, "SELECT " + COLUMNS + ", b.deleting FROM blobs b WHERE b.digest = $1", row -> {
            if (Boolean.TRUE.equals(row.get(4, Boolean.class))) {
                throw new IllegalStateException("blob " + digest + " is being deleted; it was committed without an intent");
            }
            return record(row);
        }, digest);
    }

    private static Flux<BlobRecord> findLinked(Connection conn, String repository, Digest digest) {
        return Db.query(conn, "SELECT " + COLUMNS + " FROM blobs b JOIN repository_blobs l ON l.digest = b.digest"
                + " WHERE l.repository = $1 AND l.digest = $2", R2dbcBlobIndex::record, repository, digest);
    }

    private static BlobRecord record(Row row) {
        return new BlobRecord(Digest.parse(row.get(0, String.class)), row.get(1, Long.class),
                row.get(2, String.class), row.get(3, String.class));
    }
}

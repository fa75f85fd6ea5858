package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.Collectable;
import io.openregistry.metadata.ManifestEdge;
import io.openregistry.metadata.ManifestRecord;
import io.openregistry.metadata.ManifestReferences;
import io.openregistry.metadata.ManifestStore;
import io.openregistry.metadata.MissingReferenceException;
import io.openregistry.metadata.Page;
import io.openregistry.oci.Digest;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Row;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Manifests per repository, tags pointing at them and the content-graph edges from them (both
 * deleted with them by their foreign keys' cascade), and referrers found through the (repository,
 * subject) index. See {@link ContentGraph} for the locks a put and a delete take on blob rows.
 */
final class R2dbcManifestStore implements ManifestStore {
    private static final String EDGE_COLUMNS = "repository, manifest, kind, digest";
    /** Edges per INSERT: 400 parameters, well within both databases' limits. */
    private static final int EDGES_PER_STATEMENT = 100;
    private static final String COLUMNS =
            "m.repository, m.digest, m.media_type, m.content, m.subject, m.artifact_type, m.annotations";

    private final Db db;
    private final String insertManifest;
    private final String upsertTag;

    R2dbcManifestStore(Db db) {
        this.db = db;
        this.insertManifest = db.dialect.insertIfAbsent("manifests",
                List.of("repository", "digest", "media_type", "size", "content", "subject", "artifact_type",
                        "annotations", "created_at"),
                List.of("repository", "digest"));
        this.upsertTag = db.dialect.upsert("tags",
                List.of("repository", "name", "digest", "updated_at"), List.of("repository", "name"));
    }

    @Override
    public Mono<Void> put(ManifestRecord m, String tag, ManifestReferences refs) {
        List<Digest> required = new ArrayList<>();
        if (refs.config() != null) {
            required.add(refs.config());
        }
        required.addAll(refs.layers());
        List<Digest> foreign = refs.foreignLayers();
        List<ManifestEdge> edges = edges(m, refs);
        // A required blob or child is in the repository, so the repository exists once they are
        // found: the insert that creates it is needed only by a manifest that requires nothing.
        // (Each statement is a round trip; a push of an image waits for all of them.)
        boolean requiresNothing = required.isEmpty() && refs.children().isEmpty();
        return db.transaction(conn -> (requiresNothing ? Sql.ensureRepository(db, conn, m.repository()) : Mono.just(0L))
                        .then(requireBlobs(conn, m.repository(), required))
                        .then(requireChildren(conn, m.repository(), refs.children()))
                        // Non-distributable layers need not be there; those that are get the
                        // protocol of ContentGraph: their rows locked now, their orphaned mark
                        // cleared below (a linked blob is never orphaned, so only they can need it).
                        .then(foreign.isEmpty() ? Mono.empty() : ContentGraph.lockBlobs(conn, foreign).then())
                        .then(Db.update(conn, insertManifest, m.repository(), m.digest(), m.mediaType(), m.size(),
                                m.content(), m.subject(), m.artifactType(), m.annotationsJson(), Sql.now()))
                        // Stored already: lock its row, so that garbage collection (deleteUntagged,
                        // which locks it too) either deleted it before (the row is gone: store it
                        // again) or sees this put's tag and edges after it commits.
                        .flatMap(inserted -> inserted > 0 ? Mono.empty()
                                : Db.query(conn, "SELECT digest FROM manifests WHERE repository = $1 AND digest = $2"
                                                + " FOR UPDATE", row -> true, m.repository(), m.digest())
                                        .hasElements()
                                        .flatMap(still -> still ? Mono.empty()
                                                : Db.update(conn, insertManifest, m.repository(), m.digest(),
                                                        m.mediaType(), m.size(), m.content(), m.subject(),
                                                        m.artifactType(), m.annotationsJson(), Sql.now()).then()))
                        // Edges even when the manifest was stored already: the same edges again, or
                        // those of a manifest stored before the graph existed.
                        .then(insertEdges(conn, m, edges))
                        .then(foreign.isEmpty() ? Mono.empty() : ContentGraph.revive(conn, foreign).then())
                        .then(tag == null ? Mono.empty()
                                : Db.update(conn, upsertTag, m.repository(), tag, m.digest(), Sql.now())))
                .then();
    }

    /**
     * Fails with the smallest required digest that is not linked to the repository (or whose
     * blob is being deleted). The links found stay locked until the end of the transaction: an
     * unlink of one (a DELETE of that row) waits for the put and then finds its edge; an unlink
     * that came first has deleted the row, which the lock then no longer finds. One statement,
     * one round trip.
     */
    private static Mono<Void> requireBlobs(Connection conn, String repository, List<Digest> required) {
        if (required.isEmpty()) {
            return Mono.empty();
        }
        List<Object> sorted = required.stream().distinct().map(Digest::toString).sorted().map(d -> (Object) d).toList();
        return Sql.inListOn(conn, "SELECT digest FROM repository_blobs WHERE repository = $1 AND digest IN IN_LIST"
                                + " AND EXISTS (SELECT 1 FROM blobs b WHERE b.digest = repository_blobs.digest"
                                + " AND b.deleting = FALSE) ORDER BY digest FOR UPDATE",
                        List.of(repository), sorted, row -> Digest.parse(row.get(0, String.class)))
                .collect(Collectors.toSet())
                .flatMap(linked -> firstMissing(required, linked::contains, MissingReferenceException.Kind.BLOB));
    }

    /**
     * Fails with the smallest child that is not stored in the repository; locks the children's
     * rows, so that a concurrent delete of one ends either before (the put fails) or after the put.
     */
    private static Mono<Void> requireChildren(Connection conn, String repository, List<Digest> children) {
        if (children.isEmpty()) {
            return Mono.empty();
        }
        List<Object> sorted = children.stream().distinct().map(Digest::toString).sorted().map(d -> (Object) d).toList();
        return Sql.inListOn(conn, "SELECT digest FROM manifests WHERE repository = $1 AND digest IN IN_LIST"
                                + " ORDER BY digest FOR UPDATE",
                        List.of(repository), sorted, row -> Digest.parse(row.get(0, String.class)))
                .collect(Collectors.toSet())
                .flatMap(stored -> firstMissing(children, stored::contains, MissingReferenceException.Kind.MANIFEST));
    }

    private static Mono<Void> firstMissing(List<Digest> wanted, Predicate<Digest> present,
                                           MissingReferenceException.Kind kind) {
        return wanted.stream().filter(present.negate()).min(Comparator.comparing(Digest::toString))
                .map(d -> Mono.<Void>error(new MissingReferenceException(kind, d)))
                .orElse(Mono.empty());
    }

    private static List<ManifestEdge> edges(ManifestRecord m, ManifestReferences refs) {
        Set<ManifestEdge> edges = new LinkedHashSet<>();
        if (refs.config() != null) {
            edges.add(new ManifestEdge(ManifestEdge.Kind.CONFIG, refs.config()));
        }
        refs.layers().forEach(d -> edges.add(new ManifestEdge(ManifestEdge.Kind.LAYER, d)));
        refs.foreignLayers().forEach(d -> edges.add(new ManifestEdge(ManifestEdge.Kind.LAYER, d)));
        refs.children().forEach(d -> edges.add(new ManifestEdge(ManifestEdge.Kind.MANIFEST, d)));
        if (m.subject() != null) {
            edges.add(new ManifestEdge(ManifestEdge.Kind.SUBJECT, m.subject()));
        }
        return List.copyOf(edges);
    }

    /** Inserts the edges that are not recorded yet, many rows per statement. */
    private Mono<Void> insertEdges(Connection conn, ManifestRecord m, List<ManifestEdge> edges) {
        List<List<ManifestEdge>> batches = new ArrayList<>();
        for (int i = 0; i < edges.size(); i += EDGES_PER_STATEMENT) {
            batches.add(edges.subList(i, Math.min(edges.size(), i + EDGES_PER_STATEMENT)));
        }
        return Flux.fromIterable(batches).concatMap(batch -> {
            StringBuilder values = new StringBuilder();
            Object[] args = new Object[batch.size() * 4];
            for (int i = 0; i < batch.size(); i++) {
                values.append(i == 0 ? "" : ", ").append('(').append(Dialect.placeholders(i * 4 + 1, 4)).append(')');
                args[i * 4] = m.repository();
                args[i * 4 + 1] = m.digest();
                args[i * 4 + 2] = batch.get(i).kind().column;
                args[i * 4 + 3] = batch.get(i).digest();
            }
            String sql = db.dialect == Dialect.POSTGRESQL
                    ? "INSERT INTO manifest_references (" + EDGE_COLUMNS + ") VALUES " + values + " ON CONFLICT DO NOTHING"
                    // an edge has no other columns: H2's MERGE of an existing one changes nothing
                    : "MERGE INTO manifest_references (" + EDGE_COLUMNS + ") KEY (" + EDGE_COLUMNS + ") VALUES " + values;
            return Db.update(conn, sql, args);
        }).then();
    }

    @Override
    public Mono<ManifestRecord> get(String repository, Digest digest) {
        return db.query("SELECT " + COLUMNS + " FROM manifests m WHERE m.repository = $1 AND m.digest = $2",
                R2dbcManifestStore::record, repository, digest).singleOrEmpty();
    }

    @Override
    public Mono<ManifestRecord> getByTag(String repository, String tag) {
        return db.query("SELECT " + COLUMNS + " FROM tags t JOIN manifests m"
                        + " ON m.repository = t.repository AND m.digest = t.digest"
                        + " WHERE t.repository = $1 AND t.name = $2",
                R2dbcManifestStore::record, repository, tag).singleOrEmpty();
    }

    @Override
    public Mono<Boolean> deleteTag(String repository, String tag) {
        return db.update("DELETE FROM tags WHERE repository = $1 AND name = $2", repository, tag)
                .map(count -> count > 0);
    }

    @Override
    public Mono<Boolean> delete(String repository, Digest digest) {
        return delete(repository, digest, null);
    }

    /**
     * What garbage collection may delete: untagged, named by no index of its repository, and not
     * a referrer of a manifest stored there (a {@code manifests m} correlated test).
     */
    private static final String COLLECTABLE = "NOT EXISTS (SELECT 1 FROM tags t WHERE t.repository = m.repository"
            + " AND t.digest = m.digest)"
            + " AND NOT EXISTS (SELECT 1 FROM manifest_references p WHERE p.digest = m.digest AND p.kind = 'manifest'"
            + " AND p.repository = m.repository)"
            + " AND NOT (m.subject IS NOT NULL AND EXISTS (SELECT 1 FROM manifests s WHERE s.repository = m.repository"
            + " AND s.digest = m.subject))";

    @Override
    public Flux<Collectable> untaggedBefore(Instant cutoff, Collectable after, int limit) {
        return db.query("SELECT m.repository, m.digest, m.size FROM manifests m WHERE m.created_at < $1"
                        + " AND (m.repository > $2 OR (m.repository = $2 AND m.digest > $3)) AND " + COLLECTABLE
                        + " ORDER BY m.repository, m.digest LIMIT $4",
                row -> new Collectable(row.get(0, String.class), Digest.parse(row.get(1, String.class)),
                        ((Number) row.get(2)).longValue()),
                cutoff, after == null ? "" : after.repository(), after == null ? "" : after.digest().toString(), limit);
    }

    @Override
    public Mono<Boolean> deleteUntagged(String repository, Digest digest, Instant cutoff) {
        return delete(repository, digest, cutoff);
    }

    /**
     * Deletes the manifest; with a {@code collectableBefore}, only if, under its row lock, it is
     * still collectable ({@link #COLLECTABLE}) and stored before that time.
     */
    private Mono<Boolean> delete(String repository, Digest digest, Instant collectableBefore) {
        // Tags and edges go with the manifest: both reference it ON DELETE CASCADE. The blobs it
        // named are locked first (the order of a put), then orphaned if nothing else keeps them.
        // The collector's test runs after it has locked the manifest's row, in a statement of its
        // own (ContentGraph): a tag or index put that locked the row first has committed by then.
        return db.transaction(conn -> Db.query(conn, "SELECT digest FROM manifest_references"
                                        + " WHERE repository = $1 AND manifest = $2 AND kind IN " + ContentGraph.BLOB_KINDS,
                                row -> Digest.parse(row.get(0, String.class)), repository, digest)
                        .collectList()
                        .flatMap(blobs -> (blobs.isEmpty() ? Mono.just(Map.<Digest, Boolean>of())
                                        : ContentGraph.lockBlobs(conn, blobs))
                                .then(collectableBefore == null ? Mono.just(true)
                                        : Db.query(conn, "SELECT digest FROM manifests WHERE repository = $1"
                                                        + " AND digest = $2 FOR UPDATE", row -> true, repository, digest)
                                                .then(Db.query(conn, "SELECT 1 FROM manifests m WHERE m.repository = $1"
                                                                + " AND m.digest = $2 AND m.created_at < $3 AND " + COLLECTABLE,
                                                        row -> true, repository, digest, collectableBefore)
                                                        .hasElements()))
                                .flatMap(go -> !go ? Mono.just(false)
                                        : Db.update(conn, "DELETE FROM manifests WHERE repository = $1 AND digest = $2",
                                                        repository, digest)
                                                .flatMap(count -> count == 0 || blobs.isEmpty() ? Mono.just(count > 0)
                                                        : ContentGraph.orphanUnreferenced(conn, blobs, Sql.now())
                                                                .thenReturn(true)))))
                .single();
    }

    @Override
    public Flux<Digest> existing(String repository, Collection<Digest> digests) {
        return Sql.inList(db, "SELECT digest FROM manifests WHERE repository = $1 AND digest IN IN_LIST",
                repository, digests.stream().map(Digest::toString).toList(),
                row -> Digest.parse(row.get(0, String.class)));
    }

    @Override
    public Mono<Page> tags(String repository, String last, int n) {
        return Sql.page(db,
                        "SELECT name FROM tags WHERE repository = $1 ORDER BY name LIMIT $2",
                        "SELECT name FROM tags WHERE repository = $1 AND name > $2 ORDER BY name LIMIT $3",
                        repository, last, n)
                // An empty page needs a second look: is the repository empty or unknown?
                .filterWhen(page -> page.items().isEmpty() && !page.hasMore()
                        ? db.query("SELECT 1 FROM repositories WHERE name = $1", row -> Boolean.TRUE, repository)
                                .count().map(rows -> rows > 0)
                        : Mono.just(true));
    }

    @Override
    public Flux<ManifestEdge> edges(String repository, Digest manifest) {
        return db.query("SELECT kind, digest FROM manifest_references WHERE repository = $1 AND manifest = $2"
                        + " ORDER BY kind, digest",
                row -> new ManifestEdge(ManifestEdge.Kind.of(row.get(0, String.class)), Digest.parse(row.get(1, String.class))),
                repository, manifest);
    }

    @Override
    public Mono<Boolean> blobReferenced(Digest digest) {
        return db.query("SELECT 1 FROM manifest_references WHERE digest = $1 AND kind IN " + ContentGraph.BLOB_KINDS
                        + " LIMIT 1", row -> Boolean.TRUE, digest)
                .hasElements();
    }

    @Override
    public Flux<ManifestRecord> referrers(String repository, Digest subject, String artifactType) {
        String sql = "SELECT " + COLUMNS + " FROM manifests m WHERE m.repository = $1 AND m.subject = $2";
        return artifactType == null
                ? db.query(sql + " ORDER BY m.digest", R2dbcManifestStore::record, repository, subject)
                : db.query(sql + " AND m.artifact_type = $3 ORDER BY m.digest", R2dbcManifestStore::record,
                        repository, subject, artifactType);
    }

    private static ManifestRecord record(Row row) {
        String subject = row.get(4, String.class);
        return new ManifestRecord(row.get(0, String.class), Digest.parse(row.get(1, String.class)),
                row.get(2, String.class), row.get(3, byte[].class),
                subject == null ? null : Digest.parse(subject), row.get(5, String.class), row.get(6, String.class));
    }
}

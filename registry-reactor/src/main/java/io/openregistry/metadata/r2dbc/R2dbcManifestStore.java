package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.ManifestRecord;
import io.openregistry.metadata.ManifestStore;
import io.openregistry.metadata.Page;
import io.openregistry.oci.Digest;
import io.r2dbc.spi.Row;
import java.util.Collection;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Manifests per repository, tags pointing at them (deleted with them by the foreign key's cascade),
 * and referrers found through the (repository, subject) index.
 */
final class R2dbcManifestStore implements ManifestStore {
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
    public Mono<Void> put(ManifestRecord m, String tag) {
        return db.transaction(conn -> Sql.ensureRepository(db, conn, m.repository())
                        .then(Db.update(conn, insertManifest, m.repository(), m.digest(), m.mediaType(), m.size(),
                                m.content(), m.subject(), m.artifactType(), m.annotationsJson(), Sql.now()))
                        .then(tag == null ? Mono.empty()
                                : Db.update(conn, upsertTag, m.repository(), tag, m.digest(), Sql.now())))
                .then();
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
        // Tags go with the manifest: tags(repository, digest) references it ON DELETE CASCADE.
        return db.update("DELETE FROM manifests WHERE repository = $1 AND digest = $2", repository, digest)
                .map(count -> count > 0);
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

package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.Page;
import io.openregistry.metadata.RepositoryStore;
import reactor.core.publisher.Mono;

/** Repositories are rows created as a side effect of blob commits, mounts and manifest puts. */
final class R2dbcRepositoryStore implements RepositoryStore {
    private final Db db;

    R2dbcRepositoryStore(Db db) {
        this.db = db;
    }

    @Override
    public Mono<Boolean> exists(String name) {
        return db.query("SELECT 1 FROM repositories WHERE name = $1", row -> Boolean.TRUE, name)
                .count().map(rows -> rows > 0);
    }

    @Override
    public Mono<Page> catalog(String last, int n) {
        return Sql.page(db,
                "SELECT name FROM repositories ORDER BY name LIMIT $1",
                "SELECT name FROM repositories WHERE name > $1 ORDER BY name LIMIT $2",
                null, last, n);
    }

    @Override
    public Mono<Boolean> namespaceInUse(String namespace) {
        return db.query("SELECT 1 FROM repositories WHERE namespace = $1 LIMIT 1", row -> Boolean.TRUE, namespace)
                .count().map(rows -> rows > 0);
    }
}

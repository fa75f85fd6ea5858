package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.Page;
import io.openregistry.metadata.RepositoryStore;
import reactor.core.publisher.Mono;

/** Repositories are rows created as a side effect of blob commits, mounts and manifest puts. */
final class R2dbcRepositoryStore implements RepositoryStore {
    private final Db db;

    private final OrgAccess access;

    R2dbcRepositoryStore(Db db) {
        this.db = db;
        this.access = new OrgAccess(db);
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

    /** The catalog of Org mode ({@link OrgAccess#catalog}) for an account, whose admin flag is read first. */
    @Override
    public Mono<Page> catalogVisibleTo(String username, String last, int n) {
        if (username == null) {
            return access.catalog(null, null, false, last, n);
        }
        return db.query("SELECT is_admin FROM accounts WHERE username = $1", row -> row.get(0, Boolean.class), username)
                .singleOrEmpty()
                .defaultIfEmpty(false)
                .flatMap(admin -> access.catalog(username, null, admin, last, n));
    }

    @Override
    public Mono<Boolean> namespaceInUse(String namespace) {
        return db.query("SELECT 1 FROM repositories WHERE namespace = $1 LIMIT 1", row -> Boolean.TRUE, namespace)
                .count().map(rows -> rows > 0);
    }

    @Override
    public Mono<Boolean> isPublic(String name) {
        return db.query("SELECT is_public FROM repositories WHERE name = $1", row -> row.get(0, Boolean.class), name)
                .singleOrEmpty()
                .defaultIfEmpty(false);
    }

    @Override
    public Mono<Boolean> setPublic(String name, boolean isPublic) {
        return db.update("UPDATE repositories SET is_public = $1 WHERE name = $2", isPublic, name)
                .map(rows -> rows > 0);
    }
}

package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.Page;
import io.openregistry.metadata.RepositoryStore;
import reactor.core.publisher.Mono;

/** Repositories are rows created as a side effect of blob commits, mounts and manifest puts. */
final class R2dbcRepositoryStore implements RepositoryStore {
    /**
     * What a signed-in caller sees: $1 = username, $2 = length of "username/", $3 = "username/".
     * The admin test is a subquery so the whole decision is one statement.
     */
    private static final String VISIBLE_TO_ACCOUNT = "(is_public OR LEFT(name, $2) = $3"
            + " OR EXISTS (SELECT 1 FROM accounts WHERE username = $1 AND is_admin))";

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
    public Mono<Page> catalogVisibleTo(String username, String last, int n) {
        if (username == null) {
            return Sql.page(db,
                    "SELECT name FROM repositories WHERE is_public ORDER BY name LIMIT $1",
                    "SELECT name FROM repositories WHERE is_public AND name > $1 ORDER BY name LIMIT $2",
                    null, last, n);
        }
        String namespace = username + "/";
        Object[] args = last == null
                ? new Object[] {username, namespace.length(), namespace, n + 1L}
                : new Object[] {username, namespace.length(), namespace, last, n + 1L};
        String sql = last == null
                ? "SELECT name FROM repositories WHERE " + VISIBLE_TO_ACCOUNT + " ORDER BY name LIMIT $4"
                : "SELECT name FROM repositories WHERE " + VISIBLE_TO_ACCOUNT + " AND name > $4 ORDER BY name LIMIT $5";
        return Sql.page(db.query(sql, row -> row.get(0, String.class), args), n);
    }

    @Override
    public Mono<Boolean> namespaceInUse(String namespace) {
        String prefix = namespace + "/";
        return db.query("SELECT 1 FROM repositories WHERE LEFT(name, $1) = $2 LIMIT 1", row -> Boolean.TRUE,
                        prefix.length(), prefix)
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

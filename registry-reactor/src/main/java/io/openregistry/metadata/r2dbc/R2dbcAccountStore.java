package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.AccountStore;
import io.openregistry.metadata.OrgStore;
import io.r2dbc.spi.Row;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Accounts and credentials; lists (actions, repositories) are stored space-separated. */
final class R2dbcAccountStore implements AccountStore {
    private static final String CREDENTIAL_COLUMNS =
            "id, username, kind, name, secret_hash, actions, repositories, expires_at, created_at";

    private final Db db;

    private final String claim;
    private final String insert;

    R2dbcAccountStore(Db db) {
        this.db = db;
        this.claim = R2dbcOrgStore.claimStatement(db);
        this.insert = db.dialect.insertIfAbsent("accounts",
                List.of("username", "password_hash", "is_admin", "created_at", "disabled"), List.of("username"));
    }

    /**
     * Claims the name in the shared name space and creates the account, in one transaction: of an
     * account and an organization created with one name at once, on any replicas, one wins.
     */
    @Override
    public Mono<Boolean> create(Account account) {
        Instant createdAt = account.createdAt() == null ? Sql.now() : account.createdAt();
        return db.transaction(conn -> Db.update(conn, claim, account.username(), OrgStore.NamespaceKind.USER.name(), createdAt)
                        .flatMap(claimed -> claimed == 0 ? Mono.just(false)
                                : Db.update(conn, insert, account.username(), account.passwordHash(), account.admin(),
                                        createdAt, account.disabled()).map(rows -> rows > 0)))
                .single();
    }

    @Override
    public Mono<Account> find(String username) {
        return db.query("SELECT username, password_hash, is_admin, created_at, disabled FROM accounts WHERE username = $1",
                AccountAdministration::account, username).singleOrEmpty();
    }

    @Override
    public Mono<Void> addCredential(Credential c) {
        return db.update("INSERT INTO credentials (" + CREDENTIAL_COLUMNS + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                c.id(), c.username(), c.kind().name(), c.name(), c.secretHash(), join(c.actions()),
                join(c.repositories()), c.expiresAt() == null ? Db.NULL_TIME : c.expiresAt(),
                c.createdAt() == null ? Sql.now() : c.createdAt()).then();
    }

    @Override
    public Mono<Credential> credential(String id) {
        return db.query("SELECT " + CREDENTIAL_COLUMNS + " FROM credentials WHERE id = $1",
                R2dbcAccountStore::credential, id).singleOrEmpty();
    }

    @Override
    public Flux<Credential> credentials(String username, Kind kind) {
        return db.query("SELECT " + CREDENTIAL_COLUMNS + " FROM credentials WHERE username = $1 AND kind = $2"
                + " ORDER BY created_at, id", R2dbcAccountStore::credential, username, kind.name());
    }

    @Override
    public Mono<Boolean> deleteCredential(String username, String id) {
        return db.update("DELETE FROM credentials WHERE id = $1 AND username = $2", id, username).map(rows -> rows > 0);
    }

    @Override
    public Mono<Long> deleteExpired(Instant now) {
        return db.update("DELETE FROM credentials WHERE expires_at IS NOT NULL AND expires_at <= $1", now);
    }

    private static Credential credential(Row row) {
        return new Credential(row.get(0, String.class), row.get(1, String.class),
                Kind.valueOf(row.get(2, String.class)), row.get(3, String.class), row.get(4, String.class),
                split(row.get(5, String.class)), split(row.get(6, String.class)), Sql.instant(row, 7),
                Sql.instant(row, 8));
    }

    private static String join(List<String> items) {
        return items.isEmpty() ? null : String.join(" ", items);
    }

    private static List<String> split(String text) {
        return text == null || text.isBlank() ? List.of() : Arrays.asList(text.trim().split(" +"));
    }
}

package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.AccountStore.Account;
import io.openregistry.metadata.OrgStore.Outcome;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Row;
import java.util.List;
import reactor.core.publisher.Mono;

/** Accounts as an admin manages them: listed, disabled, given a new password, deleted. */
final class AccountAdministration {
    private static final String ACCOUNT_COLUMNS = "username, password_hash, is_admin, created_at, disabled";

    private final Db db;
    private final RepositoryRemoval removal;

    AccountAdministration(Db db, RepositoryRemoval removal) {
        this.db = db;
        this.removal = removal;
    }

    Mono<List<Account>> accounts(String last, int n) {
        return db.query("SELECT " + ACCOUNT_COLUMNS + " FROM accounts WHERE username > $1 ORDER BY username LIMIT $2",
                AccountAdministration::account, last == null ? "" : last, (long) Math.max(0, n)).collectList();
    }

    /** An account row of {@link #ACCOUNT_COLUMNS}. */
    static Account account(Row row) {
        return new Account(row.get(0, String.class), row.get(1, String.class), Boolean.TRUE.equals(row.get(2, Boolean.class)),
                Sql.instant(row, 3), Boolean.TRUE.equals(row.get(4, Boolean.class)));
    }

    Mono<Outcome> setDisabled(String username, boolean disabled, String actor) {
        return db.transaction(conn -> Db.update(conn, "UPDATE accounts SET disabled = $1 WHERE username = $2", disabled, username)
                        .flatMap(rows -> rows == 0 ? Mono.just(Outcome.NOT_FOUND)
                                : Audit.record(conn, null, actor, disabled ? "account.disable" : "account.enable", username,
                                        null).thenReturn(Outcome.DONE)))
                .single();
    }

    Mono<Outcome> setPasswordHash(String username, String passwordHash, boolean endSessions, String actor) {
        return db.transaction(conn -> Db.update(conn, "UPDATE accounts SET password_hash = $1 WHERE username = $2",
                                passwordHash, username)
                        .flatMap(rows -> rows == 0 ? Mono.just(Outcome.NOT_FOUND)
                                : (endSessions ? Db.update(conn, "DELETE FROM credentials WHERE username = $1 AND kind IN ($2, $3)",
                                        username, "SESSION", "WEB") : Mono.just(0L))
                                        .then(Audit.record(conn, null, actor, "account.password", username,
                                                Audit.detail("endSessions", endSessions)))
                                        .thenReturn(Outcome.DONE)))
                .single();
    }

    Mono<Outcome> deleteAccount(String username, boolean withRepositories, String actor) {
        return db.query("SELECT 1 FROM accounts WHERE username = $1", row -> true, username).hasElements()
                .flatMap(found -> !found ? Mono.just(Outcome.NOT_FOUND)
                        : db.run(conn -> lastOwner(conn, username)).single().flatMap(last -> last ? Mono.just(Outcome.LAST_OWNER)
                                : db.run(conn -> OrgSteps.holdsRepositories(conn, username)).single().flatMap(holds -> {
                                    if (holds && !withRepositories) {
                                        return Mono.just(Outcome.HOLDS_REPOSITORIES);
                                    }
                                    return (holds ? removal.deleteAll(username, actor) : Mono.just(0L))
                                            .flatMap(repositories -> db.transaction(conn -> dropAccount(conn, username,
                                                    repositories, actor)).single());
                                })));
    }

    /** The account's deletion proper, with the checks made again under the locks. */
    private Mono<Outcome> dropAccount(Connection conn, String username, long repositories, String actor) {
        // the organizations it owns, locked, so that no owner leaves them meanwhile
        return Db.query(conn, "SELECT name FROM organizations WHERE name IN (SELECT organization FROM org_members"
                                + " WHERE username = $1 AND role = 'OWNER') ORDER BY name FOR UPDATE",
                        row -> row.get(0, String.class), username)
                .then(lastOwner(conn, username))
                .flatMap(last -> last ? Mono.just(Outcome.LAST_OWNER) : OrgSteps.holdsRepositories(conn, username)
                        .flatMap(holds -> holds ? Mono.just(Outcome.HOLDS_REPOSITORIES)
                                // credentials, memberships (and so team memberships) and grants go
                                // with the account (foreign keys); robots with the namespace
                                : Db.update(conn, "DELETE FROM accounts WHERE username = $1", username)
                                        .flatMap(rows -> rows == 0 ? Mono.just(Outcome.NOT_FOUND)
                                                : OrgSteps.dropNamespace(conn, username)
                                                        .then(Audit.record(conn, null, actor, "account.delete", username,
                                                                Audit.detail("repositories", repositories)))
                                                        .thenReturn(Outcome.DONE))));
    }

    /** Whether {@code username} is the only owner of some organization. */
    private static Mono<Boolean> lastOwner(Connection conn, String username) {
        return Db.query(conn, "SELECT 1 FROM org_members m WHERE m.username = $1 AND m.role = 'OWNER'"
                        + " AND NOT EXISTS (SELECT 1 FROM org_members o WHERE o.organization = m.organization"
                        + " AND o.role = 'OWNER' AND o.username <> m.username)", row -> true, username)
                .hasElements();
    }
}

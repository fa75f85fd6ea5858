package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.PasskeyStore;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Row;
import java.time.Instant;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Passkeys, user handles and WebAuthn ceremonies (tables of V14). */
final class R2dbcPasskeyStore implements PasskeyStore {
    private static final String COLUMNS = "id, username, name, credential_data, sign_count, uv_initialized, "
            + "backup_eligible, backed_up, transports, created_at, last_used_at";
    private static final String CHALLENGE_COLUMNS = "flow, kind, challenge, username, user_handle, expires_at";

    private final Db db;
    private final String claim;
    private final String insertAccount;
    private final String insertPasskey;

    R2dbcPasskeyStore(Db db) {
        this.db = db;
        this.claim = R2dbcOrgStore.claimStatement(db);
        this.insertAccount = db.dialect.insertIfAbsent("accounts",
                List.of("username", "password_hash", "is_admin", "created_at", "disabled", "webauthn_user_id"),
                List.of("username"));
        this.insertPasskey = db.dialect.insertIfAbsent("passkeys", List.of(COLUMNS.split(", ")), List.of("id"));
    }

    @Override
    public Mono<Void> saveChallenge(Challenge c) {
        return db.update("INSERT INTO webauthn_challenges (" + CHALLENGE_COLUMNS + ") VALUES ($1, $2, $3, $4, $5, $6)",
                c.flow(), c.ceremony().name(), c.challenge(), c.username(), c.userHandle(), c.expiresAt()).then();
    }

    /**
     * Read, then delete: only the taker whose DELETE removed the row answers it. Portable to both
     * databases (no DELETE ... RETURNING in H2), and no transaction needed.
     */
    @Override
    public Mono<Challenge> takeChallenge(String flow) {
        return db.query("SELECT " + CHALLENGE_COLUMNS + " FROM webauthn_challenges WHERE flow = $1",
                        R2dbcPasskeyStore::challenge, flow).singleOrEmpty()
                .flatMap(found -> db.update("DELETE FROM webauthn_challenges WHERE flow = $1", flow)
                        .flatMap(rows -> rows == 1 ? Mono.just(found) : Mono.empty()));
    }

    @Override
    public Mono<Long> deleteExpiredChallenges(Instant now) {
        return db.update("DELETE FROM webauthn_challenges WHERE expires_at <= $1", now);
    }

    @Override
    public Mono<String> userHandle(String username) {
        return db.query("SELECT webauthn_user_id FROM accounts WHERE username = $1",
                row -> java.util.Optional.ofNullable(row.get(0, String.class)), username)
                .singleOrEmpty().flatMap(Mono::justOrEmpty);
    }

    @Override
    public Mono<Boolean> createAccount(String username, boolean admin, String userHandle, Passkey first) {
        Instant createdAt = first.createdAt();
        // a false anywhere rolls the whole transaction back: the name is not kept half-claimed
        return db.transaction(conn -> Db.update(conn, claim, username, OrgStore.NamespaceKind.USER.name(), createdAt)
                        .flatMap(claimed -> claimed == 0 ? Mono.just(false)
                                : Db.update(conn, insertAccount, username, null, admin, createdAt, false, userHandle)
                                        .flatMap(rows -> rows == 0 ? Mono.just(false) : insert(conn, first)))
                        // an error rolls the transaction back
                        .flatMap(done -> done ? Mono.just(true) : Mono.error(new Abandoned())))
                .single()
                .onErrorResume(Abandoned.class, e -> Mono.just(false));
    }

    /** Ends a transaction that changed nothing it should keep. */
    private static final class Abandoned extends RuntimeException {
        Abandoned() {
            super(null, null, false, false);
        }
    }

    @Override
    public Mono<Boolean> addPasskey(String userHandle, Passkey passkey) {
        return db.transaction(conn -> Db.update(conn, "UPDATE accounts SET webauthn_user_id = $1 WHERE username = $2"
                                + " AND (webauthn_user_id IS NULL OR webauthn_user_id = $1)", userHandle, passkey.username())
                        .flatMap(rows -> rows == 0 ? Mono.just(false) : insert(conn, passkey)))
                .single();
    }

    private Mono<Boolean> insert(Connection conn, Passkey p) {
        return Db.update(conn, insertPasskey, p.id(), p.username(), p.name(), p.credentialData(), p.signCount(),
                p.uvInitialized(), p.backupEligible(), p.backedUp(), p.transports(), p.createdAt(),
                p.lastUsedAt() == null ? Db.NULL_TIME : p.lastUsedAt()).map(rows -> rows > 0);
    }

    @Override
    public Mono<Passkey> passkey(String id) {
        return db.query("SELECT " + COLUMNS + " FROM passkeys WHERE id = $1", R2dbcPasskeyStore::passkey, id)
                .singleOrEmpty();
    }

    @Override
    public Flux<Passkey> passkeys(String username) {
        return db.query("SELECT " + COLUMNS + " FROM passkeys WHERE username = $1 ORDER BY created_at, id",
                R2dbcPasskeyStore::passkey, username);
    }

    @Override
    public Mono<Boolean> used(String id, long expectedCount, long signCount, boolean backedUp, Instant at) {
        return db.update("UPDATE passkeys SET sign_count = $1, backed_up = $2, last_used_at = $3"
                        + " WHERE id = $4 AND sign_count = $5", signCount, backedUp, at, id, expectedCount)
                .map(rows -> rows > 0);
    }

    @Override
    public Mono<Boolean> rename(String username, String id, String name) {
        return db.update("UPDATE passkeys SET name = $1 WHERE id = $2 AND username = $3", name, id, username)
                .map(rows -> rows > 0);
    }

    /**
     * The account row is locked first: two removals of an account's last two passkeys (on any
     * replicas) run one after the other, and the second sees it would remove the last way in.
     */
    @Override
    public Mono<Removal> remove(String username, String id) {
        return db.transaction(conn -> Db.query(conn, "SELECT password_hash FROM accounts WHERE username = $1 FOR UPDATE",
                                row -> row.get(0, String.class) != null, username)
                        .singleOrEmpty()
                        .flatMap(hasPassword -> Db.query(conn, "SELECT COUNT(*) FROM passkeys WHERE username = $1",
                                        row -> ((Number) row.get(0)).longValue(), username).single()
                                .flatMap(count -> Db.query(conn, "SELECT 1 FROM passkeys WHERE id = $1 AND username = $2",
                                                row -> true, id, username).hasElements()
                                        .flatMap(exists -> !exists ? Mono.just(Removal.NOT_FOUND)
                                                : !hasPassword && count <= 1 ? Mono.just(Removal.LAST_WAY_IN)
                                                : Db.update(conn, "DELETE FROM passkeys WHERE id = $1 AND username = $2",
                                                        id, username).thenReturn(Removal.REMOVED))))
                        .defaultIfEmpty(Removal.NOT_FOUND))
                .single();
    }

    private static Passkey passkey(Row row) {
        return new Passkey(row.get(0, String.class), row.get(1, String.class), row.get(2, String.class),
                bytes(row.get(3)), ((Number) row.get(4)).longValue(), Boolean.TRUE.equals(row.get(5, Boolean.class)),
                Boolean.TRUE.equals(row.get(6, Boolean.class)), Boolean.TRUE.equals(row.get(7, Boolean.class)),
                row.get(8, String.class), Sql.instant(row, 9), Sql.instant(row, 10));
    }

    private static byte[] bytes(Object value) {
        if (value instanceof byte[] b) {
            return b;
        }
        if (value instanceof java.nio.ByteBuffer buffer) {
            byte[] out = new byte[buffer.remaining()];
            buffer.duplicate().get(out);
            return out;
        }
        throw new IllegalStateException("credential_data is not binary: " + (value == null ? null : value.getClass()));
    }

    private static Challenge challenge(Row row) {
        return new Challenge(row.get(0, String.class), Ceremony.valueOf(row.get(1, String.class)),
                row.get(2, String.class), row.get(3, String.class), row.get(4, String.class), Sql.instant(row, 5));
    }
}

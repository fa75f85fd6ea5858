package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.UploadRecord;
import io.openregistry.metadata.UploadStore;
import io.r2dbc.spi.Row;
import java.time.Duration;
import java.time.Instant;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Upload sessions; the offset moves only by compare-and-set, fenced by the lease holder's token, so
 * two replicas cannot both append. Lease expiries are computed and compared in database time.
 */
final class R2dbcUploadStore implements UploadStore {
    private final Db db;
    private final String claim;

    R2dbcUploadStore(Db db) {
        this.db = db;
        this.claim = db.dialect.returning("UPDATE uploads SET lease_holder = $3, lease_until = "
                + db.dialect.nowPlusMillis("$4") + " WHERE id = $1 AND repository = $2"
                + " AND (lease_until IS NULL OR lease_until <= CURRENT_TIMESTAMP)",
                "id, repository, byte_offset, started_at, updated_at");
    }

    @Override
    public Mono<UploadRecord> create(String id, String repository, String owner, int maxPerOwner, int maxPerRepository) {
        Instant now = Sql.now();
        // A null owner matches no row, so it is never over its limit.
        return db.update("INSERT INTO uploads (id, repository, owner, byte_offset, started_at, updated_at)"
                        + " SELECT $1, $2, $3, 0, $4, $4 WHERE"
                        + " ($5 = 0 OR (SELECT COUNT(*) FROM uploads WHERE owner = $3) < $5)"
                        + " AND ($6 = 0 OR (SELECT COUNT(*) FROM uploads WHERE repository = $2) < $6)",
                        id, repository, owner, now, maxPerOwner, maxPerRepository)
                .filter(count -> count > 0)
                .map(count -> new UploadRecord(id, repository, 0, now, now));
    }

    @Override
    public Mono<UploadRecord> find(String id) {
        return db.query("SELECT id, repository, byte_offset, started_at, updated_at FROM uploads WHERE id = $1",
                R2dbcUploadStore::record, id).singleOrEmpty();
    }

    @Override
    public Mono<Boolean> advanceAndRelease(String id, long expected, long offset, byte[] hashState, String holder) {
        return db.update("UPDATE uploads SET byte_offset = $3, updated_at = $4, hash_state = $5,"
                                + " lease_holder = NULL, lease_until = NULL"
                                + " WHERE id = $1 AND byte_offset = $2 AND lease_holder = $6",
                        id, expected, offset, Sql.now(), hashState == null ? Db.NULL_BYTES : hashState, holder)
                .map(count -> count > 0);
    }

    @Override
    public Mono<UploadRecord> claim(String id, String repository, String holder, Duration ttl) {
        return db.query(claim, R2dbcUploadStore::record, id, repository, holder, ttl.toMillis()).singleOrEmpty();
    }

    @Override
    public Mono<Boolean> renew(String id, String holder, Duration ttl) {
        return db.update("UPDATE uploads SET lease_until = " + db.dialect.nowPlusMillis("$3")
                                + " WHERE id = $1 AND lease_holder = $2 AND lease_until > CURRENT_TIMESTAMP",
                        id, holder, ttl.toMillis())
                .map(count -> count > 0);
    }

    @Override
    public Mono<Void> release(String id, String holder) {
        return db.update("UPDATE uploads SET lease_holder = NULL, lease_until = NULL WHERE id = $1 AND lease_holder = $2",
                id, holder).then();
    }

    @Override
    public Mono<byte[]> hashState(String id, long offset) {
        return db.query("SELECT hash_state FROM uploads WHERE id = $1 AND byte_offset = $2 AND hash_state IS NOT NULL",
                row -> row.get(0, byte[].class), id, offset).singleOrEmpty();
    }

    @Override
    public Mono<Boolean> delete(String id) {
        return db.update("DELETE FROM uploads WHERE id = $1", id).map(count -> count > 0);
    }

    @Override
    public Mono<Boolean> delete(String id, String holder) {
        return db.update("DELETE FROM uploads WHERE id = $1 AND lease_holder = $2", id, holder).map(count -> count > 0);
    }

    @Override
    public Flux<UploadRecord> idleSince(Instant cutoff, int limit) {
        return db.query("SELECT id, repository, byte_offset, started_at, updated_at FROM uploads"
                + " WHERE updated_at < $1 ORDER BY updated_at LIMIT $2", R2dbcUploadStore::record, cutoff, limit);
    }

    private static UploadRecord record(Row row) {
        return new UploadRecord(row.get(0, String.class), row.get(1, String.class), row.get(2, Long.class),
                Sql.instant(row, 3), Sql.instant(row, 4));
    }
}

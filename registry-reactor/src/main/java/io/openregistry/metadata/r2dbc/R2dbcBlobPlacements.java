package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.BlobPlacements;
import io.openregistry.metadata.BlobRecord;
import io.openregistry.oci.Digest;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Row;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Migration V9's {@code retired_objects} and the placement columns of {@code blobs}. */
final class R2dbcBlobPlacements implements BlobPlacements {
    private static final String COLUMNS = "digest, size, backend, location";
    private final Db db;
    private final String insertRetired;

    R2dbcBlobPlacements(Db db) {
        this.db = db;
        this.insertRetired = db.dialect.insertIfAbsent("retired_objects",
                List.of("backend", "location", "digest", "retire_after"), List.of("backend", "location"));
    }

    @Override
    public Flux<BackendCount> countByBackend() {
        return db.query("SELECT backend, COUNT(*) FROM blobs GROUP BY backend",
                row -> new BackendCount(row.get(0, String.class), ((Number) row.get(1)).longValue()));
    }

    @Override
    public Flux<BlobRecord> page(Digest after, String notOn, int limit) {
        String from = after == null ? "" : after.toString();
        return notOn == null
                ? db.query("SELECT " + COLUMNS + " FROM blobs WHERE deleting = FALSE AND digest > $1 ORDER BY digest"
                        + " LIMIT $2", R2dbcBlobPlacements::record, from, limit)
                : db.query("SELECT " + COLUMNS + " FROM blobs WHERE deleting = FALSE AND digest > $1 AND backend <> $2"
                        + " ORDER BY digest LIMIT $3", R2dbcBlobPlacements::record, from, notOn, limit);
    }

    @Override
    public Flux<BlobRecord> sample(int n) {
        return db.query("SELECT " + COLUMNS + " FROM blobs WHERE deleting = FALSE ORDER BY RANDOM() LIMIT $1",
                R2dbcBlobPlacements::record, n);
    }

    @Override
    public Mono<Relocation> relocate(BlobRecord from, String backend, String location, Instant retireAfter) {
        // The row lock first, then the intents in a statement of their own (as the collector's
        // forget does, for the same reason: READ COMMITTED re-checks only the locked row).
        return db.transaction(conn -> Db.query(conn, "SELECT deleting FROM blobs WHERE digest = $1 AND backend = $2"
                                + " AND location = $3 FOR UPDATE", row -> row.get(0, Boolean.class),
                                from.digest(), from.backend(), from.location())
                        .singleOrEmpty()
                        .flatMap(deleting -> deleting ? Mono.just(Relocation.CHANGED)
                                : liveIntents(conn, from.digest()).flatMap(intents -> intents > 0
                                        ? Mono.just(Relocation.BUSY)
                                        : Db.update(conn, "UPDATE blobs SET backend = $4, location = $5 WHERE digest = $1"
                                                        + " AND backend = $2 AND location = $3", from.digest(),
                                                        from.backend(), from.location(), backend, location)
                                                .flatMap(n -> n == 0 ? Mono.just(Relocation.CHANGED)
                                                        : Db.update(conn, insertRetired, from.backend(), from.location(),
                                                                        from.digest(), retireAfter)
                                                                .thenReturn(Relocation.MOVED)))))
                .defaultIfEmpty(Relocation.CHANGED)
                .single();
    }

    @Override
    public Mono<Void> retire(Retired copy) {
        return db.update(insertRetired, copy.backend(), copy.location(), copy.digest(), copy.retireAfter()).then();
    }

    @Override
    public Flux<Retired> due(Instant now, int limit) {
        return db.query("SELECT backend, location, digest, retire_after FROM retired_objects WHERE retire_after <= $1"
                        + " ORDER BY retire_after LIMIT $2",
                row -> new Retired(row.get(0, String.class), row.get(1, String.class),
                        Digest.parse(row.get(2, String.class)), Sql.instant(row, 3)), now, limit);
    }

    @Override
    public Mono<Sweep> sweep(Retired copy, Supplier<Mono<Void>> deleteBytes) {
        return db.transaction(conn -> Db.query(conn, "SELECT backend, location, deleting FROM blobs WHERE digest = $1"
                                        + " FOR UPDATE",
                                row -> new Object[] {row.get(0, String.class), row.get(1, String.class),
                                        row.get(2, Boolean.class)}, copy.digest())
                        .collectList()
                        .flatMap(rows -> {
                            if (rows.isEmpty()) {
                                return forget(conn, copy).thenReturn(Sweep.KEPT);
                            }
                            Object[] row = rows.get(0);
                            if (Boolean.TRUE.equals(row[2])) {
                                return Mono.just(Sweep.DEFERRED);
                            }
                            if (copy.backend().equals(row[0]) && copy.location().equals(row[1])) {
                                return forget(conn, copy).thenReturn(Sweep.KEPT);
                            }
                            return liveIntents(conn, copy.digest()).flatMap(intents -> intents > 0
                                    ? Mono.just(Sweep.DEFERRED)
                                    : deleteBytes.get().then(forget(conn, copy)).thenReturn(Sweep.DELETED));
                        }))
                .single();
    }

    @Override
    public Mono<Boolean> names(String backend, String location, Digest digest) {
        String retired = "(SELECT COUNT(*) FROM retired_objects WHERE backend = $1 AND location = $2)";
        return (digest == null
                ? db.query("SELECT " + retired + " + (SELECT COUNT(*) FROM blobs WHERE backend = $3 AND location = $4)",
                        row -> ((Number) row.get(0)).longValue(), backend, location, backend, location)
                : db.query("SELECT " + retired + " + (SELECT COUNT(*) FROM blobs WHERE digest = $3)"
                                + " + (SELECT COUNT(*) FROM blob_intents WHERE digest = $4"
                                + " AND intent_until > CURRENT_TIMESTAMP)",
                        row -> ((Number) row.get(0)).longValue(), backend, location, digest, digest))
                .single()
                .map(n -> n > 0);
    }

    @Override
    public Mono<Boolean> uploadExists(String uploadId) {
        return db.query("SELECT COUNT(*) FROM uploads WHERE id = $1", row -> ((Number) row.get(0)).longValue(), uploadId)
                .single()
                .map(n -> n > 0);
    }

    private static Mono<Long> forget(Connection conn, Retired copy) {
        return Db.update(conn, "DELETE FROM retired_objects WHERE backend = $1 AND location = $2", copy.backend(),
                copy.location());
    }

    private static Mono<Long> liveIntents(Connection conn, Digest digest) {
        return Db.query(conn, "SELECT COUNT(*) FROM blob_intents WHERE digest = $1 AND intent_until > CURRENT_TIMESTAMP",
                row -> ((Number) row.get(0)).longValue(), digest).single();
    }

    private static BlobRecord record(Row row) {
        return new BlobRecord(Digest.parse(row.get(0, String.class)), row.get(1, Long.class),
                row.get(2, String.class), row.get(3, String.class));
    }
}

package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.JobLeases;
import java.time.Duration;
import reactor.core.publisher.Mono;

/** One row per job: its holder and the expiry of the holder's lease. */
final class R2dbcJobLeases implements JobLeases {
    private final Db db;
    private final String take;
    private final String insert;

    R2dbcJobLeases(Db db) {
        this.db = db;
        this.take = "UPDATE job_leases SET holder = $2, lease_until = " + db.dialect.nowPlusMillis("$3")
                + " WHERE name = $1 AND (holder = $2 OR lease_until <= CURRENT_TIMESTAMP)";
        // A racing first insert of the same job fails on the key; Db retries the unit, which then
        // finds the row and goes through the conditional update.
        this.insert = "INSERT INTO job_leases (name, holder, lease_until) SELECT $1, $2, "
                + db.dialect.nowPlusMillis("$3") + " WHERE NOT EXISTS (SELECT 1 FROM job_leases WHERE name = $1)";
    }

    @Override
    public Mono<Boolean> acquire(String name, String holder, Duration ttl) {
        return db.run(conn -> Db.update(conn, take, name, holder, ttl.toMillis())
                        .flatMap(taken -> taken > 0 ? Mono.just(taken)
                                : Db.update(conn, insert, name, holder, ttl.toMillis())))
                .single()
                .map(count -> count > 0);
    }

    @Override
    public Mono<Void> release(String name, String holder) {
        return db.update("DELETE FROM job_leases WHERE name = $1 AND holder = $2", name, holder).then();
    }
}

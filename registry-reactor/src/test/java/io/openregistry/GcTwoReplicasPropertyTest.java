package io.openregistry;

import io.openregistry.config.Config;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The property of {@link GcSafetyPropertyTest} on two replicas sharing one PostgreSQL database and
 * one storage root ({@link TwoReplicas}): each command goes to either replica (a push on one, a
 * tag move or a delete on the other, a collection on either, a push on one while the other
 * collects, or eager collections on both at once), and after every collection both replicas serve
 * exactly what the model holds, as do the shared rows and files.
 *
 * <p>The replicas' metadata caches are off: a replica learns of another's change through an
 * asynchronous notification (CacheReplicaTest covers that, "within a second"), and a check right
 * after a change on the other replica would otherwise have to wait an arbitrary time.
 */
class GcTwoReplicasPropertyTest {
    /** No periodic collection: the sequences run theirs. */
    private static final Config.Gc NO_PERIODIC = new Config.Gc(Duration.ZERO, Duration.ofHours(1), Duration.ZERO, 500);
    private static final int TRIES = 12;
    private static final int MAX_LENGTH = 25;

    @Test
    void onTwoReplicasNothingReferencedIsLostAndNothingCollectableRemains() throws Exception {
        try (TwoReplicas replicas = TwoReplicas.start("gc-property", new Config.Uploads(1024 * 1024, Duration.ofDays(1)),
                Config.Cache.disabled(), NO_PERIODIC)) {
            GcSafety.property("on two replicas", new GcSafety.Target() {
                @Override
                public List<Registry> replicas() {
                    return List.of(replicas.a, replicas.b);
                }

                @Override
                public Path root() {
                    return replicas.root;
                }

                @Override
                public Connection jdbc() throws Exception {
                    return DriverManager.getConnection(replicas.postgres.jdbcUrl(replicas.database));
                }
            }, 2, TRIES, MAX_LENGTH);
        }
    }
}

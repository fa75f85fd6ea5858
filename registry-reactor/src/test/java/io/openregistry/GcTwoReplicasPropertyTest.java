package io.openregistry;

import io.openregistry.config.Config;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The property of {@link GcSafetyPropertyTest} on two replicas sharing one PostgreSQL database and
 * one storage root ({@link TwoReplicas}): each command goes to either replica (a push on one, a
 * tag move or a delete on the other, a collection on either, or eager collections on both at
 * once), and after every collection both replicas serve exactly what the model holds, as do the
 * shared rows and files.
 *
 * <p>The replicas' metadata caches are off: a replica learns of another's change through an
 * asynchronous notification (CacheReplicaTest covers that, "within a second"), and a check
 * right after a change on the other replica would otherwise have to wait an arbitrary time.
 */
class GcTwoReplicasPropertyTest {
    /** No periodic collection: the sequences run theirs. */
    private static final Config.Gc NO_PERIODIC = new Config.Gc(Duration.ZERO, Duration.ofHours(1), Duration.ZERO, 500);
    private static TwoReplicas replicas;

    @BeforeContainer
    static void start() throws Exception {
        replicas = TwoReplicas.start("gc-property", new Config.Uploads(1024 * 1024, Duration.ofDays(1)),
                Config.Cache.disabled(), NO_PERIODIC);
    }

    @AfterContainer
    static void stop() {
        if (replicas != null) {
            replicas.close();
        }
    }

    @Provide
    Arbitrary<List<GcSafety.Cmd>> sequences() {
        return GcSafety.sequences(2, 30);
    }

    @Property(tries = 20)
    void onTwoReplicasNothingReferencedIsLostAndNothingCollectableRemains(
            @ForAll("sequences") List<GcSafety.Cmd> commands) throws Exception {
        GcSafety.run(new GcSafety.Target() {
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
        }, commands);
    }
}

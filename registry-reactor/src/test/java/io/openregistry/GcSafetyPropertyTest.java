package io.openregistry;

import io.openregistry.config.Config;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Garbage collection is safe and complete, as a property: for random sequences of pushes (images
 * sharing layers across repositories, indexes with their children, referrers with a subject, some
 * while a collection runs), tag moves, manifest, tag and blob deletes, cross-repository mounts and
 * collections (eager, keeping untagged manifests, or with graces nothing is older than), one
 * registry over HTTP holds after every collection exactly what a model of the README's rules
 * holds: every tag and every manifest that must remain pulls byte-exact, with all its blobs stored
 * whole, and no manifest, link, blob row or storage file that the rules collect remains
 * ({@link GcSafety}). On H2 and on PostgreSQL; a failure is shrunk to a short sequence and printed
 * with its seed and the model's state.
 */
class GcSafetyPropertyTest {
    /** No periodic collection: the sequences run theirs. */
    private static final Config.Gc NO_PERIODIC = new Config.Gc(Duration.ZERO, Duration.ofHours(1), Duration.ZERO, 500);
    private static final int TRIES = 12;
    private static final int MAX_LENGTH = 25;

    @ParameterizedTest
    @EnumSource(GarbageCollectionTest.Db.class)
    void nothingReferencedIsLostAndNothingCollectableRemains(GarbageCollectionTest.Db db) throws Exception {
        RegistryServer.installBlockHound();
        try (GarbageCollectionTest.Server s = new GarbageCollectionTest.Server(db, NO_PERIODIC)) {
            GcSafety.property("on " + db, new GcSafety.Target() {
                @Override
                public List<Registry> replicas() {
                    return List.of(s.registry);
                }

                @Override
                public Path root() {
                    return s.dir;
                }

                @Override
                public Connection jdbc() throws Exception {
                    return s.pg != null ? s.pg.getPostgresDatabase().getConnection()
                            : DriverManager.getConnection("jdbc:h2:file:" + s.dir.resolve("db/registry"), "sa", "");
                }
            }, 1, TRIES, MAX_LENGTH);
        }
    }
}

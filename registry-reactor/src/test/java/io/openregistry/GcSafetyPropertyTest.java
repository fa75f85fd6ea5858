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
 * Garbage collection is safe and complete, as a property (jqwik): for generated sequences of
 * pushes (images sharing layers across repositories, indexes with their children, referrers with
 * a subject), tag moves, manifest, tag and blob deletes, cross-repository mounts and collections
 * (eager, keeping untagged manifests, or with graces nothing is older than), one registry over
 * HTTP holds after every collection exactly what a model of the README's rules holds: every tag
 * and every manifest that must remain pulls byte-exact, with all its blobs stored whole, and no
 * manifest, link, blob row or storage file that the rules collect remains ({@link GcSafety}).
 * On H2 and on PostgreSQL; a failure shrinks to a short sequence printed with the model's state.
 */
class GcSafetyPropertyTest {
    /** No periodic collection: the sequences run theirs. */
    private static final Config.Gc NO_PERIODIC = new Config.Gc(Duration.ZERO, Duration.ofHours(1), Duration.ZERO, 500);
    private static GarbageCollectionTest.Server h2;
    private static GarbageCollectionTest.Server postgres;

    @BeforeContainer
    static void blockHound() {
        RegistryServer.installBlockHound();
    }

    @AfterContainer
    static void stop() throws Exception {
        try {
            if (h2 != null) {
                h2.close();
            }
        } finally {
            if (postgres != null) {
                postgres.close();
            }
        }
    }

    @Provide
    Arbitrary<List<GcSafety.Cmd>> sequences() {
        return GcSafety.sequences(1, 30);
    }

    @Property(tries = 25)
    void onH2NothingReferencedIsLostAndNothingCollectableRemains(@ForAll("sequences") List<GcSafety.Cmd> commands)
            throws Exception {
        if (h2 == null) {
            h2 = new GarbageCollectionTest.Server(GarbageCollectionTest.Db.H2, NO_PERIODIC);
        }
        GcSafety.run(target(h2, () -> DriverManager.getConnection("jdbc:h2:file:" + h2.dir.resolve("db/registry"),
                "sa", "")), commands);
    }

    @Property(tries = 25)
    void onPostgresNothingReferencedIsLostAndNothingCollectableRemains(
            @ForAll("sequences") List<GcSafety.Cmd> commands) throws Exception {
        if (postgres == null) {
            postgres = new GarbageCollectionTest.Server(GarbageCollectionTest.Db.POSTGRES, NO_PERIODIC);
        }
        GcSafety.run(target(postgres, () -> postgres.pg.getPostgresDatabase().getConnection()), commands);
    }

    @FunctionalInterface
    private interface Jdbc {
        Connection open() throws Exception;
    }

    private static GcSafety.Target target(GarbageCollectionTest.Server s, Jdbc jdbc) {
        return new GcSafety.Target() {
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
                return jdbc.open();
            }
        };
    }
}

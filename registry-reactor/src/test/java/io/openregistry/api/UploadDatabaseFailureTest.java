package io.openregistry.api;

import static io.openregistry.api.Oci.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.RegistryServer;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.h2.api.Trigger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The database fails a chunk's offset update after the store has written the chunk: the session
 * must stay where the database says it is, and a retry from there must complete with the right
 * digest. The failure is the real database's, on H2 and on PostgreSQL: a trigger on the registry's
 * own database that refuses the next update of an upload row.
 */
class UploadDatabaseFailureTest {
    private static final AtomicInteger FAILURES_LEFT = new AtomicInteger();
    private RegistryServer registry;
    private TestClient client;

    /**
     * Refuses updates of {@code uploads} that move the offset while {@link #FAILURES_LEFT} is
     * positive (the lease updates of the same row go through).
     */
    public static final class RefuseUpdates implements Trigger {
        private static final int BYTE_OFFSET = 2;

        @Override
        public void fire(Connection conn, Object[] oldRow, Object[] newRow) throws SQLException {
            if (java.util.Objects.equals(oldRow[BYTE_OFFSET], newRow[BYTE_OFFSET])) {
                return;
            }
            if (FAILURES_LEFT.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new SQLException("injected failure of the offset update", "08006");
            }
        }
    }

    private static final AtomicInteger INTENT_FAILURES_LEFT = new AtomicInteger();

    /** Refuses the next commit intents (the first statement of a blob commit) while {@link #INTENT_FAILURES_LEFT} is positive. */
    public static final class RefuseIntents implements Trigger {
        @Override
        public void fire(Connection conn, Object[] oldRow, Object[] newRow) throws SQLException {
            if (INTENT_FAILURES_LEFT.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new SQLException("injected failure of the commit intent", "08006");
            }
        }
    }

    private void start(RegistryServer.Backend backend) throws SQLException {
        registry = RegistryServer.start(backend, null, null);
        client = new TestClient(registry.baseUrl(), registry.port());
        try (Connection c = connect(); Statement s = c.createStatement()) {
            if (backend == RegistryServer.Backend.H2) {
                s.execute("CREATE TRIGGER refuse_upload_updates BEFORE UPDATE ON uploads FOR EACH ROW CALL '"
                        + RefuseUpdates.class.getName() + "'");
                s.execute("CREATE TRIGGER refuse_intents BEFORE INSERT ON blob_intents FOR EACH ROW CALL '"
                        + RefuseIntents.class.getName() + "'");
            } else {
                // a sequence, unlike a table, keeps its count when the refused statement rolls back
                s.execute("CREATE SEQUENCE refusals_left INCREMENT -1 MINVALUE -1000000000 MAXVALUE 1000000 START 0");
                s.execute("CREATE FUNCTION refuse_upload_update() RETURNS trigger AS $$ BEGIN"
                        + " IF NEW.byte_offset <> OLD.byte_offset AND nextval('refusals_left') > 0 THEN RAISE EXCEPTION 'injected failure of the offset update';"
                        + " END IF; RETURN NEW; END $$ LANGUAGE plpgsql");
                s.execute("CREATE TRIGGER refuse_upload_updates BEFORE UPDATE ON uploads FOR EACH ROW"
                        + " EXECUTE FUNCTION refuse_upload_update()");
                s.execute("CREATE SEQUENCE intent_refusals_left INCREMENT -1 MINVALUE -1000000000 MAXVALUE 1000000 START 0");
                s.execute("CREATE FUNCTION refuse_intent() RETURNS trigger AS $$ BEGIN"
                        + " IF nextval('intent_refusals_left') > 0 THEN RAISE EXCEPTION 'injected failure of the commit intent';"
                        + " END IF; RETURN NEW; END $$ LANGUAGE plpgsql");
                s.execute("CREATE TRIGGER refuse_intents BEFORE INSERT ON blob_intents FOR EACH ROW"
                        + " EXECUTE FUNCTION refuse_intent()");
            }
        }
    }

    /** Lets the database refuse the next {@code n} offset updates. */
    private void refuseNextUpdates(int n) throws SQLException {
        if (registry.postgres() == null) {
            FAILURES_LEFT.set(n);
            return;
        }
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("SELECT setval('refusals_left', " + n + ", false)");
        }
    }

    /** Lets the database refuse the next commit intent. */
    private void refuseNextIntent() throws SQLException {
        if (registry.postgres() == null) {
            INTENT_FAILURES_LEFT.set(1);
            return;
        }
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("SELECT setval('intent_refusals_left', 1, false)");
        }
    }

    /** Whether every refusal armed was used. */
    private boolean refusalsUsed() throws SQLException {
        if (registry.postgres() == null) {
            return FAILURES_LEFT.get() == 0;
        }
        try (Connection c = connect(); Statement s = c.createStatement();
             var r = s.executeQuery("SELECT last_value, is_called FROM refusals_left")) {
            r.next();
            return r.getBoolean(2) && r.getLong(1) == 1;
        }
    }

    /** A connection to the database the registry has open (for H2: the same in-process database). */
    private Connection connect() throws SQLException {
        if (registry.postgres() != null) {
            return registry.postgres().getPostgresDatabase().getConnection();
        }
        return DriverManager.getConnection("jdbc:h2:file:" + registry.dataDir().resolve("db/registry"), "sa", "");
    }

    @AfterEach
    void stop() {
        FAILURES_LEFT.set(0);
        INTENT_FAILURES_LEFT.set(0);
        if (registry != null) {
            registry.close();
        }
    }

    @ParameterizedTest
    @EnumSource(value = RegistryServer.Backend.class, names = {"H2", "POSTGRES"})
    void aChunkWhoseOffsetWasNotRecordedIsRetriedFromTheRecordedOffset(RegistryServer.Backend backend)
            throws SQLException {
        start(backend);
        byte[] content = Oci.random(300_000);
        String digest = Oci.digest(content);
        String location = client.post("/v2/db-fails/blobs/uploads/", null).headers().firstValue("Location").orElseThrow();
        assertThat(client.patch(location, Arrays.copyOfRange(content, 0, 100_000), "Content-Range", "0-99999")
                .statusCode()).isEqualTo(202);

        refuseNextUpdates(1);
        HttpResponse<byte[]> failed = client.patch(location, Arrays.copyOfRange(content, 100_000, 200_000),
                "Content-Range", "100000-199999");
        assertError(failed, 500, "UNKNOWN");
        assertThat(refusalsUsed()).as("the offset update was attempted and refused").isTrue();

        // the client asks where the upload is and resends from there
        HttpResponse<byte[]> status = client.get(location);
        assertThat(status.statusCode()).isEqualTo(204);
        assertThat(status.headers().firstValue("Range")).hasValue("0-99999");
        assertThat(client.patch(location, Arrays.copyOfRange(content, 100_000, 200_000), "Content-Range", "100000-199999")
                .statusCode()).isEqualTo(202);
        HttpResponse<byte[]> done = client.put(with(location, "digest=" + digest), Arrays.copyOfRange(content, 200_000,
                300_000), "Content-Range", "200000-299999");
        assertThat(done.statusCode()).as(new String(done.body())).isEqualTo(201);
        assertThat(client.get("/v2/db-fails/blobs/" + digest).body()).isEqualTo(content);
    }

    @ParameterizedTest
    @EnumSource(value = RegistryServer.Backend.class, names = {"H2", "POSTGRES"})
    void aFailedFirstChunkIsRetriedFromZero(RegistryServer.Backend backend) throws SQLException {
        start(backend);
        byte[] content = Oci.random(100_000);
        String digest = Oci.digest(content);
        String location = client.post("/v2/db-fails-first/blobs/uploads/", null).headers().firstValue("Location")
                .orElseThrow();
        refuseNextUpdates(1);
        assertError(client.patch(location, content), 500, "UNKNOWN");
        assertThat(client.get(location).headers().firstValue("Range")).hasValue("0-0");
        assertThat(client.patch(location, content).statusCode()).isEqualTo(202);
        assertThat(client.put(with(location, "digest=" + digest), null).statusCode()).isEqualTo(201);
        assertThat(client.get("/v2/db-fails-first/blobs/" + digest).body()).isEqualTo(content);
    }

    /**
     * A final PUT with a body whose commit fails before anything is recorded leaves the session
     * where it was before that PUT: its chunk is not counted, so the client resends it from the
     * offset the status gives.
     */
    @ParameterizedTest
    @EnumSource(value = RegistryServer.Backend.class, names = {"H2", "POSTGRES"})
    void aFinalChunkWhoseCommitFailedIsNotCounted(RegistryServer.Backend backend) throws SQLException {
        start(backend);
        byte[] content = Oci.random(300_000);
        String digest = Oci.digest(content);
        String location = client.post("/v2/db-fails-commit/blobs/uploads/", null).headers().firstValue("Location")
                .orElseThrow();
        assertThat(client.patch(location, Arrays.copyOfRange(content, 0, 200_000), "Content-Range", "0-199999")
                .statusCode()).isEqualTo(202);

        refuseNextIntent();
        byte[] last = Arrays.copyOfRange(content, 200_000, 300_000);
        assertError(client.put(with(location, "digest=" + digest), last, "Content-Range", "200000-299999"), 500, "UNKNOWN");

        HttpResponse<byte[]> status = client.get(location);
        assertThat(status.statusCode()).isEqualTo(204);
        assertThat(status.headers().firstValue("Range")).as("the failed PUT's chunk is not counted").hasValue("0-199999");
        HttpResponse<byte[]> done = client.put(with(location, "digest=" + digest), last, "Content-Range", "200000-299999");
        assertThat(done.statusCode()).as(new String(done.body())).isEqualTo(201);
        assertThat(client.get("/v2/db-fails-commit/blobs/" + digest).body()).isEqualTo(content);
    }

    private static String with(String location, String query) {
        return location + (location.contains("?") ? "&" : "?") + query;
    }
}

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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The database fails a chunk's offset update after the store has written the chunk: the session
 * must stay where the database says it is, and a retry from there must complete with the right
 * digest. The failure is the real database's: an H2 trigger on the registry's own database that
 * refuses the next update of an upload row.
 */
class UploadDatabaseFailureTest {
    private static final AtomicInteger FAILURES_LEFT = new AtomicInteger();
    private RegistryServer registry;
    private TestClient client;

    /** Refuses updates of {@code uploads} while {@link #FAILURES_LEFT} is positive. */
    public static final class RefuseUpdates implements Trigger {
        @Override
        public void fire(Connection conn, Object[] oldRow, Object[] newRow) throws SQLException {
            if (FAILURES_LEFT.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new SQLException("injected failure of the offset update", "08006");
            }
        }
    }

    @BeforeEach
    void start() throws SQLException {
        registry = RegistryServer.start(RegistryServer.Backend.H2, null, null);
        client = new TestClient(registry.baseUrl(), registry.port());
        // the same in-process H2 database the registry has open
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + registry.dataDir().resolve("db/registry"), "sa", "");
             Statement s = c.createStatement()) {
            s.execute("CREATE TRIGGER refuse_upload_updates BEFORE UPDATE ON uploads FOR EACH ROW CALL '"
                    + RefuseUpdates.class.getName() + "'");
        }
    }

    @AfterEach
    void stop() {
        FAILURES_LEFT.set(0);
        registry.close();
    }

    @Test
    void aChunkWhoseOffsetWasNotRecordedIsRetriedFromTheRecordedOffset() {
        byte[] content = Oci.random(300_000);
        String digest = Oci.digest(content);
        String location = client.post("/v2/db-fails/blobs/uploads/", null).headers().firstValue("Location").orElseThrow();
        assertThat(client.patch(location, Arrays.copyOfRange(content, 0, 100_000), "Content-Range", "0-99999")
                .statusCode()).isEqualTo(202);

        FAILURES_LEFT.set(1);
        HttpResponse<byte[]> failed = client.patch(location, Arrays.copyOfRange(content, 100_000, 200_000),
                "Content-Range", "100000-199999");
        assertError(failed, 500, "UNKNOWN");
        assertThat(FAILURES_LEFT.get()).as("the offset update was attempted and refused").isZero();

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

    @Test
    void aFailedFirstChunkIsRetriedFromZero() {
        byte[] content = Oci.random(100_000);
        String digest = Oci.digest(content);
        String location = client.post("/v2/db-fails-first/blobs/uploads/", null).headers().firstValue("Location")
                .orElseThrow();
        FAILURES_LEFT.set(1);
        assertError(client.patch(location, content), 500, "UNKNOWN");
        assertThat(client.get(location).headers().firstValue("Range")).hasValue("0-0");
        assertThat(client.patch(location, content).statusCode()).isEqualTo(202);
        assertThat(client.put(with(location, "digest=" + digest), null).statusCode()).isEqualTo(201);
        assertThat(client.get("/v2/db-fails-first/blobs/" + digest).body()).isEqualTo(content);
    }

    private static String with(String location, String query) {
        return location + (location.contains("?") ? "&" : "?") + query;
    }
}

package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.RegistryServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /auth/gc} on the API listener with access control: 401 without credentials, 403 for
 * an account that is not an admin, 200 with the report for the admin (dry or not).
 */
class GcEndpointAuthTest {
    private static AuthFixture fixture;

    @BeforeAll
    static void start() {
        fixture = AuthFixture.start(RegistryServer.Backend.H2);
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    @Test
    void onlyAdminAccountsMayCollectGarbage() {
        fixture.from("127.0.0.1", "POST", "/auth/signup", AuthFixture.json("username", "alice", "password",
                "alice-password-1"), "Content-Type", "application/json");
        AuthFixture.Who alice = new AuthFixture.Who("alice", "alice-password-1");
        AuthFixture.Who root = new AuthFixture.Who(AuthFixture.ADMIN, AuthFixture.ADMIN_PASSWORD);

        fixture.from("127.0.0.1", "POST", "/auth/gc", null).assertError(401, "UNAUTHORIZED");
        fixture.from("127.0.0.1", "POST", "/auth/gc", null, alice.basic()).assertError(403, "DENIED");

        AuthFixture.Raw dry = fixture.from("127.0.0.1", "POST", "/auth/gc?dryRun=true", null, root.basic());
        assertThat(dry.status()).as(new String(dry.body())).isEqualTo(200);
        assertThat(dry.json().path("dryRun").asBoolean()).isTrue();
        // a mistyped dry run is refused, never taken for a real run
        for (String typo : java.util.List.of("dryRun=yes", "dryRun=ture", "dryRun=")) {
            fixture.from("127.0.0.1", "POST", "/auth/gc?" + typo, null, root.basic()).assertError(400, "INVALID_REQUEST");
        }
        AuthFixture.Raw run = fixture.from("127.0.0.1", "POST", "/auth/gc", null, root.basic());
        assertThat(run.status()).isEqualTo(200);
        assertThat(run.json().path("dryRun").asBoolean()).isFalse();
        assertThat(run.json().has("bytesFreed")).isTrue();
        // a GET is no trigger
        assertThat(fixture.from("127.0.0.1", "GET", "/auth/gc", null, root.basic()).status()).isIn(404, 405);
    }
}

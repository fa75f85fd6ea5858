package io.openregistry.api;

import static io.openregistry.api.Oci.assertError;

import io.openregistry.RegistryServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Defects the HTTP fuzzing found with access control on, each pinned by a plain example. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FuzzFindingsAuthTest {
    private AuthFixture auth;

    @BeforeAll
    void start() {
        auth = AuthFixture.start(RegistryServer.Backend.H2);
    }

    @AfterAll
    void stop() {
        auth.close();
    }

    /** A form with a broken percent-escape made the form decoder throw, which answered 500. */
    @Test
    void tokenFormWithABrokenEscapeIsAClientError() {
        for (String form : new String[] {"grant_type=refresh_token&scope=%", "grant_type=password&username=%zz&password=x",
                "%u0041=1", "service=%E0%A4%A"}) {
            assertError(auth.client.post("/token", form.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                    "Content-Type", "application/x-www-form-urlencoded"), 400, "INVALID_REQUEST");
        }
    }
}

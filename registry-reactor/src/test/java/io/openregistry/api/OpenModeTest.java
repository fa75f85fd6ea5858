package io.openregistry.api;

import static io.openregistry.api.Oci.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.RegistryServer;

import org.junit.jupiter.api.Test;

/** With auth.enabled false (the other suites' registries) nothing asks for credentials, and the auth API says it is off. */
class OpenModeTest extends ApiTestBase {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2;
    }

    @Test
    void noChallengeAndNoAccountApi() {
        var r = client.get("/v2/");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("WWW-Authenticate")).isEmpty();
        assertError(client.get("/token?service=openregistry&scope=registry:catalog:*"), 404, "UNSUPPORTED");
        assertError(client.post("/auth/signup", "{}".getBytes()), 404, "UNSUPPORTED");
        assertError(client.send("PATCH", "/auth/repositories/a/b", "{}".getBytes()), 404, "UNSUPPORTED");
        // the web app's session and passkeys: off too (the web app then shows no sign-in)
        assertError(client.get("/auth/session"), 404, "UNSUPPORTED");
        assertError(client.post("/auth/passkeys/authentication/options", "{}".getBytes()), 404, "UNSUPPORTED");
        assertError(client.send("DELETE", "/auth/passkeys/x", null), 404, "UNSUPPORTED");
        // the catalog lists everything, whatever credentials a client sends (all of it: the shared
        // registry may hold more repositories than a default page)
        String repo = repo("open");
        pushBlob(repo, Oci.random(10));
        assertThat(Oci.json(client.get("/v2/_catalog?n=1000000", "Authorization", "Bearer nonsense")).path("repositories").toString())
                .contains(repo);
    }
}

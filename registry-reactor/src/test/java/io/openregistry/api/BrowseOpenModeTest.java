package io.openregistry.api;

import static io.openregistry.api.Oci.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.openregistry.RegistryServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * With access control off (the shared registries of the other suites) the browsing API still
 * answers: everyone browses everything and may delete, as on {@code /v2/}; the rest of the
 * management API stays off.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BrowseOpenModeTest extends ApiTestBase {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2;
    }

    @Test
    void everyoneBrowsesAndDeletesEverything() {
        String repo = repo("openbrowse");
        byte[] manifest = pushImage(repo, "v1", Oci.OCI_MANIFEST);
        pushImage(repo, "v2", Oci.OCI_MANIFEST);
        String base = "/api/v1/repositories/" + repo;

        JsonNode found = Oci.json(client.get("/api/v1/repositories?q=" + repo.substring(repo.indexOf('/') + 1)));
        assertThat(found.path("repositories").path(0).path("name").asText()).isEqualTo(repo);
        assertThat(found.path("repositories")).hasSize(1);
        JsonNode detail = Oci.json(client.get(base, "Authorization", "Bearer nonsense"));
        assertThat(detail.path("tag_count").asLong()).isEqualTo(2);
        assertThat(detail.path("can").path("push").asBoolean()).isTrue();
        assertThat(detail.path("can").path("delete").asBoolean()).isTrue();
        // nothing to administer without accounts
        assertThat(detail.path("can").path("admin").asBoolean()).isFalse();
        JsonNode v1 = Oci.json(client.get(base + "/-/manifests/v1"));
        assertThat(v1.path("digest").asText()).isEqualTo(Oci.digest(manifest));
        assertThat(v1.path("config").path("architecture").asText()).isEqualTo("amd64");

        assertThat(client.delete(base + "/-/tags/v1").statusCode()).isEqualTo(204);
        assertThat(Oci.json(client.get(base + "/-/tags")).path("tags").path(0).path("name").asText()).isEqualTo("v2");
        // the rest of the management API stays off; the browsing routes answer only their methods
        assertError(client.send("PATCH", base, "{}".getBytes()), 404, "UNSUPPORTED");
        assertError(client.get(base + "/grants"), 404, "UNSUPPORTED");
        var r = client.send("POST", "/api/v1/repositories", null);
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("Allow")).hasValue("GET");
    }
}

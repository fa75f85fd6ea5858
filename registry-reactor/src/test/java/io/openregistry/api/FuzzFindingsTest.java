package io.openregistry.api;

import static io.openregistry.api.Oci.assertError;

import io.openregistry.RegistryServer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Defects the HTTP fuzzing ({@link FuzzOpenTest}, {@link FuzzAuthTest}) found, each pinned by a
 * plain example so that it stays fixed whatever the generators draw.
 */
class FuzzFindingsTest extends ApiTestBase {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2;
    }

    private byte[] validManifest(String repo) {
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        byte[] layer = Oci.random(100);
        pushBlob(repo, config);
        pushBlob(repo, layer);
        return Oci.imageManifest(Oci.OCI_MANIFEST, config, layer);
    }

    /** A manifest is one JSON value: bytes after it made an invalid document that clients then failed to parse. */
    @Test
    void manifestWithBytesAfterItsJsonIsInvalid() {
        String repo = repo("fuzz-trailing");
        byte[] manifest = validManifest(repo);
        for (String trailer : new String[] {"x", "}", "{}", " 1", ","}) {
            byte[] body = (new String(manifest, StandardCharsets.UTF_8) + trailer).getBytes(StandardCharsets.UTF_8);
            assertError(putManifest(repo, "t", Oci.OCI_MANIFEST, body), 400, "MANIFEST_INVALID");
        }
        // whitespace after the value is still JSON
        byte[] spaced = (new String(manifest, StandardCharsets.UTF_8) + "\n").getBytes(StandardCharsets.UTF_8);
        org.assertj.core.api.Assertions.assertThat(putManifest(repo, "t", Oci.OCI_MANIFEST, spaced).statusCode())
                .isEqualTo(201);
    }

    /** schemaVersion 4294967298 (2^32 + 2) was read as an int, wrapped to 2, and accepted. */
    @Test
    void schemaVersionBeyondAnIntIsNotTwo() {
        String repo = repo("fuzz-schema");
        String manifest = new String(validManifest(repo), StandardCharsets.UTF_8);
        for (String version : new String[] {"4294967298", "-4294967294", "18446744073709551618"}) {
            byte[] body = manifest.replace("\"schemaVersion\":2", "\"schemaVersion\":" + version)
                    .getBytes(StandardCharsets.UTF_8);
            assertError(putManifest(repo, "t", Oci.OCI_MANIFEST, body), 400, "MANIFEST_INVALID");
        }
    }
}

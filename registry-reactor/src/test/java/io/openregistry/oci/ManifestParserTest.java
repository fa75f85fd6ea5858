package io.openregistry.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ManifestParserTest {
    private static final String D1 = "sha256:" + "1".repeat(64);
    private static final String D2 = "sha256:" + "2".repeat(64);
    private final ManifestParser parser = new ManifestParser(new ObjectMapper());

    private Manifest parse(String contentType, String json) {
        return parser.parse(contentType, json.getBytes(StandardCharsets.UTF_8));
    }

    private static void assertInvalid(Runnable r) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(OciException.class,
                e -> assertThat(e.code()).isEqualTo(OciError.MANIFEST_INVALID));
    }

    @Test
    void imageManifestWithSubjectAndArtifactType() {
        Manifest m = parse(MediaTypes.OCI_MANIFEST, "{\"schemaVersion\":2,\"artifactType\":\"x/y\","
                + "\"config\":{\"mediaType\":\"c/t\",\"digest\":\"" + D1 + "\",\"size\":2},"
                + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip+encrypted\",\"digest\":\"" + D2
                + "\",\"size\":10}],\"subject\":{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + D1
                + "\",\"size\":5},\"annotations\":{\"k\":\"v\"}}");
        assertThat(m.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
        assertThat(m.blobs()).extracting(d -> d.digest().toString()).containsExactly(D1, D2);
        assertThat(m.subject().digest().toString()).isEqualTo(D1);
        assertThat(m.artifactType()).isEqualTo("x/y");
        assertThat(m.annotations()).containsEntry("k", "v");
    }

    @Test
    void artifactTypeFallsBackToConfigMediaType() {
        Manifest m = parse(null, "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"c/t\",\"digest\":\"" + D1
                + "\",\"size\":2},\"layers\":[]}");
        assertThat(m.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
        assertThat(m.artifactType()).isEqualTo("c/t");
    }

    @Test
    void indexChildrenAreManifests() {
        Manifest m = parse(MediaTypes.DOCKER_MANIFEST_LIST, "{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.DOCKER_MANIFEST_LIST + "\",\"manifests\":[{\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST
                + "\",\"digest\":\"" + D1 + "\",\"size\":7,\"platform\":{\"os\":\"linux\"}}]}");
        assertThat(m.manifests()).hasSize(1);
        assertThat(m.blobs()).isEmpty();
    }

    @Test
    void nonDistributableLayersAreNotRequired() {
        Manifest m = parse(MediaTypes.DOCKER_MANIFEST, "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST
                + "\",\"config\":{\"mediaType\":\"c/t\",\"digest\":\"" + D1 + "\",\"size\":2},\"layers\":[{\"mediaType\":"
                + "\"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\",\"digest\":\"" + D2
                + "\",\"size\":1,\"urls\":[\"https://example.com/x\"]}]}");
        assertThat(m.blobs()).hasSize(1);
    }

    @Test
    void malformedManifests() {
        String config = "\"config\":{\"mediaType\":\"c/t\",\"digest\":\"" + D1 + "\",\"size\":2}";
        assertInvalid(() -> parse(MediaTypes.OCI_MANIFEST, "nope"));
        assertInvalid(() -> parse(MediaTypes.OCI_MANIFEST, "\"string\""));
        assertInvalid(() -> parse(MediaTypes.OCI_MANIFEST, "{\"schemaVersion\":2," + config + "}"));
        assertInvalid(() -> parse(MediaTypes.OCI_MANIFEST, "{\"schemaVersion\":\"2\"," + config + ",\"layers\":[]}"));
        assertInvalid(() -> parse(MediaTypes.OCI_MANIFEST, "{\"schemaVersion\":2,\"layers\":[]}"));
        assertInvalid(() -> parse(MediaTypes.OCI_MANIFEST, "{\"schemaVersion\":2," + config.replace("2}", "-1}") + ",\"layers\":[]}"));
        assertInvalid(() -> parse(MediaTypes.OCI_MANIFEST, "{\"schemaVersion\":2," + config.replace("\"size\":2", "\"size\":2.5")
                + ",\"layers\":[]}"));
        assertInvalid(() -> parse(MediaTypes.OCI_MANIFEST, "{\"schemaVersion\":2," + config + ",\"layers\":[],\"annotations\":{\"a\":1}}"));
        assertInvalid(() -> parse("text/plain", "{\"schemaVersion\":2," + config + ",\"layers\":[]}"));
        assertInvalid(() -> parse(MediaTypes.OCI_INDEX, "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST
                + "\"," + config + ",\"layers\":[]}"));
        assertInvalid(() -> parse(null, "{\"schemaVersion\":2}"));
    }
}

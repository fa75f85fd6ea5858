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
        // named all the same: the content graph records it
        assertThat(m.foreignLayers()).extracting(Descriptor::digest).containsExactly(Digest.parse(D2));
        assertThat(m.config().digest()).isEqualTo(Digest.parse(D1));
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

    @Test
    void theBodyMustFitTheDeclaredType() {
        String config = "\"config\":{\"mediaType\":\"c/t\",\"digest\":\"" + D1 + "\",\"size\":2}";
        String image = "{\"schemaVersion\":2," + config + ",\"layers\":[]}";
        String children = "\"manifests\":[{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + D2
                + "\",\"size\":7}]";
        String index = "{\"schemaVersion\":2," + children + "}";
        // OCI: mediaType is optional (SHOULD); the header then gives the type
        assertThat(parse(MediaTypes.OCI_MANIFEST, image).mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
        assertThat(parse(MediaTypes.OCI_INDEX, index).mediaType()).isEqualTo(MediaTypes.OCI_INDEX);
        assertThat(parse(null, index).mediaType()).isEqualTo(MediaTypes.OCI_INDEX);
        // Docker schema2: the body must name its type
        assertInvalid(() -> parse(MediaTypes.DOCKER_MANIFEST, image));
        assertInvalid(() -> parse(MediaTypes.DOCKER_MANIFEST_LIST, index));
        assertInvalid(() -> parse(MediaTypes.DOCKER_MANIFEST, withType(MediaTypes.OCI_MANIFEST, image)));
        assertThat(parse(MediaTypes.DOCKER_MANIFEST, withType(MediaTypes.DOCKER_MANIFEST, image)).mediaType())
                .isEqualTo(MediaTypes.DOCKER_MANIFEST);
        assertThat(parse(null, withType(MediaTypes.DOCKER_MANIFEST_LIST, index)).mediaType())
                .isEqualTo(MediaTypes.DOCKER_MANIFEST_LIST);
        // a present mediaType must equal the header
        assertInvalid(() -> parse(MediaTypes.OCI_MANIFEST, withType(MediaTypes.DOCKER_MANIFEST, image)));
        assertInvalid(() -> parse(MediaTypes.OCI_INDEX, withType(MediaTypes.OCI_MANIFEST, index)));
        // members of the other kind make the document ambiguous
        String both = "{\"schemaVersion\":2," + config + ",\"layers\":[]," + children + "}";
        assertInvalid(() -> parse(MediaTypes.OCI_MANIFEST, both));
        assertInvalid(() -> parse(MediaTypes.OCI_INDEX, both));
        assertInvalid(() -> parse(null, both));
        assertInvalid(() -> parse(MediaTypes.OCI_MANIFEST, withType(MediaTypes.OCI_MANIFEST, both)));
        assertInvalid(() -> parse(MediaTypes.DOCKER_MANIFEST_LIST, withType(MediaTypes.DOCKER_MANIFEST_LIST, both)));
        assertInvalid(() -> parse(MediaTypes.OCI_INDEX, "{\"schemaVersion\":2," + children + ",\"layers\":[]}"));
        assertInvalid(() -> parse(MediaTypes.OCI_MANIFEST, image.replace("\"layers\":[]", "\"layers\":[],\"manifests\":[]")));
        assertInvalid(() -> parse(MediaTypes.OCI_INDEX, image));
        assertInvalid(() -> parse(MediaTypes.OCI_MANIFEST, index));
        // a null member is no member (as in Distribution)
        assertThat(parse(MediaTypes.OCI_MANIFEST, image.replace("\"layers\":[]", "\"layers\":[],\"manifests\":null"))
                .mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
    }

    private static String withType(String type, String json) {
        return "{\"mediaType\":\"" + type + "\"," + json.substring(1);
    }
}

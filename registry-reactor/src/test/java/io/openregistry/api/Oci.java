package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.openregistry.oci.Digest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/** Builders for test content and assertions on OCI error bodies. */
final class Oci {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";

    private Oci() {
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    static String digest(byte[] content) {
        return Digest.sha256(content).toString();
    }

    static String descriptor(String mediaType, byte[] content) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest(content) + "\",\"size\":" + content.length + "}";
    }

    static byte[] imageManifest(String mediaType, byte[] config, byte[]... layers) {
        return imageManifest(mediaType, "application/vnd.oci.image.config.v1+json", null, null, config, layers);
    }

    /** An image or artifact manifest; {@code extra} is raw JSON members appended (e.g. subject). */
    static byte[] imageManifest(String mediaType, String configType, String layerType, String extra, byte[] config,
                                byte[]... layers) {
        StringBuilder sb = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"").append(mediaType).append("\",");
        sb.append("\"config\":").append(descriptor(configType, config)).append(",\"layers\":[");
        for (int i = 0; i < layers.length; i++) {
            sb.append(i > 0 ? "," : "").append(descriptor(layerType != null ? layerType
                    : "application/vnd.oci.image.layer.v1.tar+gzip", layers[i]));
        }
        sb.append("]");
        if (extra != null) {
            sb.append(",").append(extra);
        }
        return sb.append("}").toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] index(String mediaType, String childType, byte[]... children) {
        StringBuilder sb = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"").append(mediaType).append("\",\"manifests\":[");
        for (int i = 0; i < children.length; i++) {
            sb.append(i > 0 ? "," : "").append(descriptor(childType, children[i]).replace("}",
                    ",\"platform\":{\"architecture\":\"arch" + i + "\",\"os\":\"linux\"}}"));
        }
        return sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    static JsonNode json(HttpResponse<byte[]> r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Asserts the status and that the body is the OCI error JSON with this code. */
    static void assertError(HttpResponse<byte[]> r, int status, String code) {
        assertThat(r.statusCode()).as("status of %s %s: %s", r.request().method(), r.request().uri(),
                new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(status);
        if (!r.request().method().equals("HEAD")) {
            assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(json(r).path("errors").path(0).path("code").asText()).isEqualTo(code);
            assertThat(json(r).path("errors").path(0).path("message").asText()).isNotEmpty();
        }
    }
}

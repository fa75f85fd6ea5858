package io.openregistry.api;

import static io.openregistry.api.Oci.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.openregistry.RegistryServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Manifest and index push, pull, validation and delete. */
abstract class ManifestApiContract extends ApiTestBase {

    @Test
    void ociManifestRoundTripsByteExact() {
        String repo = repo("manifest");
        byte[] manifest = pushImage(repo, "v1", Oci.OCI_MANIFEST);
        String digest = Oci.digest(manifest);
        for (String ref : new String[] {"v1", digest}) {
            HttpResponse<byte[]> r = client.get("/v2/" + repo + "/manifests/" + ref, "Accept", Oci.OCI_MANIFEST);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(manifest);
            assertThat(r.headers().firstValue("Content-Type")).hasValue(Oci.OCI_MANIFEST);
            assertThat(r.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
            HttpResponse<byte[]> h = client.head("/v2/" + repo + "/manifests/" + ref);
            assertThat(h.statusCode()).isEqualTo(200);
            assertThat(h.headers().firstValue("Content-Length")).hasValue(String.valueOf(manifest.length));
            assertThat(h.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
        }
    }

    @Test
    void putAnswersLocationAndDigest() {
        String repo = repo("put");
        byte[] config = "{}".getBytes();
        pushBlob(repo, config);
        // whitespace and key order are kept: the digest is over the exact bytes
        byte[] manifest = ("{\n  \"schemaVersion\": 2, \"mediaType\": \"" + Oci.OCI_MANIFEST + "\",\n  \"config\": "
                + Oci.descriptor("application/vnd.oci.image.config.v1+json", config) + ", \"layers\": [] }\n")
                .getBytes(StandardCharsets.UTF_8);
        String digest = Oci.digest(manifest);
        HttpResponse<byte[]> r = putManifest(repo, digest, Oci.OCI_MANIFEST, manifest);
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.headers().firstValue("Location")).hasValue("/v2/" + repo + "/manifests/" + digest);
        assertThat(r.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
        assertThat(client.get("/v2/" + repo + "/manifests/" + digest).body()).isEqualTo(manifest);
    }

    @Test
    void dockerSchema2AndManifestList() {
        String repo = repo("docker");
        byte[] amd = pushImage(repo, "amd64", Oci.DOCKER_MANIFEST);
        byte[] arm = pushImage(repo, "arm64", Oci.DOCKER_MANIFEST);
        byte[] list = Oci.index(Oci.DOCKER_LIST, Oci.DOCKER_MANIFEST, amd, arm);
        assertThat(putManifest(repo, "latest", Oci.DOCKER_LIST, list).statusCode()).isEqualTo(201);
        HttpResponse<byte[]> r = client.get("/v2/" + repo + "/manifests/latest");
        assertThat(r.body()).isEqualTo(list);
        assertThat(r.headers().firstValue("Content-Type")).hasValue(Oci.DOCKER_LIST);
    }

    @Test
    void ociIndexRequiresItsChildren() {
        String repo = repo("index");
        byte[] child = pushImage(repo, "child", Oci.OCI_MANIFEST);
        byte[] missing = Oci.imageManifest(Oci.OCI_MANIFEST, Oci.random(10), Oci.random(10));
        assertError(putManifest(repo, "multi", Oci.OCI_INDEX, Oci.index(Oci.OCI_INDEX, Oci.OCI_MANIFEST, child, missing)),
                400, "MANIFEST_BLOB_UNKNOWN");
        assertError(client.get("/v2/" + repo + "/manifests/multi"), 404, "MANIFEST_UNKNOWN");
        assertThat(putManifest(repo, "multi", Oci.OCI_INDEX, Oci.index(Oci.OCI_INDEX, Oci.OCI_MANIFEST, child))
                .statusCode()).isEqualTo(201);
    }

    @Test
    void missingBlobsAreRefusedAndNothingIsStored() {
        String repo = repo("missing");
        byte[] config = "{}".getBytes();
        pushBlob(repo, config);
        byte[] layer = Oci.random(100);
        byte[] manifest = Oci.imageManifest(Oci.OCI_MANIFEST, config, layer);
        HttpResponse<byte[]> r = putManifest(repo, "t", Oci.OCI_MANIFEST, manifest);
        assertError(r, 400, "MANIFEST_BLOB_UNKNOWN");
        assertThat(Oci.json(r).path("errors").path(0).path("detail").path("digest").asText()).isEqualTo(Oci.digest(layer));
        assertError(client.get("/v2/" + repo + "/manifests/t"), 404, "MANIFEST_UNKNOWN");
        assertError(client.get("/v2/" + repo + "/manifests/" + Oci.digest(manifest)), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void invalidManifestsAreRejected() {
        String repo = repo("invalid");
        byte[] config = "{}".getBytes();
        pushBlob(repo, config);
        byte[] good = Oci.imageManifest(Oci.OCI_MANIFEST, config);
        assertError(putManifest(repo, "t", Oci.OCI_MANIFEST, "{not json".getBytes()), 400, "MANIFEST_INVALID");
        assertError(putManifest(repo, "t", Oci.OCI_MANIFEST, "[]".getBytes()), 400, "MANIFEST_INVALID");
        assertError(putManifest(repo, "t", "application/octet-stream", good), 400, "MANIFEST_INVALID");
        assertError(putManifest(repo, "t", Oci.DOCKER_MANIFEST, good), 400, "MANIFEST_INVALID");
        assertError(putManifest(repo, "t", Oci.OCI_MANIFEST,
                new String(good).replace("\"schemaVersion\":2", "\"schemaVersion\":1").getBytes()), 400, "MANIFEST_INVALID");
        assertError(putManifest(repo, "t", Oci.OCI_MANIFEST,
                new String(good).replace(Oci.digest(config), "sha256:1234").getBytes()), 400, "MANIFEST_INVALID");
        assertError(putManifest(repo, "t", Oci.OCI_MANIFEST, new byte[0]), 400, "MANIFEST_INVALID");
        assertError(putManifest(repo, "bad%21tag", Oci.OCI_MANIFEST, good), 400, "TAG_INVALID");
        assertError(putManifest(repo, "-leadingdash", Oci.OCI_MANIFEST, good), 400, "TAG_INVALID");
        assertError(putManifest(repo, Oci.digest(Oci.random(3)), Oci.OCI_MANIFEST, good), 400, "DIGEST_INVALID");
        assertError(client.get("/v2/" + repo + "/manifests/t"), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void aLookupByAnInvalidReferenceIsAnUnknownManifest() {
        String repo = repo("badref");
        byte[] manifest = pushImage(repo, "v1", Oci.OCI_MANIFEST);
        String[] invalid = {".INVALID_MANIFEST_NAME", "-leadingdash", "a".repeat(129), "sha256:1234",
                "sha256:" + "A".repeat(64), "md5:" + "a".repeat(32), "sha384:" + "a".repeat(96), "sha256:"};
        for (String ref : invalid) {
            String path = "/v2/" + repo + "/manifests/" + ref;
            assertError(client.get(path), 404, "MANIFEST_UNKNOWN");
            assertError(client.head(path), 404, "MANIFEST_UNKNOWN");
            assertError(client.delete(path), 404, "MANIFEST_UNKNOWN");
        }
        assertThat(Oci.json(client.get("/v2/" + repo + "/manifests/.INVALID_MANIFEST_NAME")).path("errors").path(0)
                .path("detail").path("reference").asText()).isEqualTo(".INVALID_MANIFEST_NAME");
        // a PUT would create it, so there the client learns what is wrong with the reference
        assertError(putManifest(repo, ".INVALID_MANIFEST_NAME", Oci.OCI_MANIFEST, manifest), 400, "TAG_INVALID");
        assertError(putManifest(repo, "sha256:1234", Oci.OCI_MANIFEST, manifest), 400, "DIGEST_INVALID");
        assertThat(client.get("/v2/" + repo + "/manifests/v1").statusCode()).isEqualTo(200);
    }

    @Test
    void theBodyMustFitItsContentType() {
        String repo = repo("mediatype");
        byte[] config = "{}".getBytes();
        pushBlob(repo, config);
        String withType = new String(Oci.imageManifest(Oci.OCI_MANIFEST, config), StandardCharsets.UTF_8);
        byte[] untyped = withType.replace("\"mediaType\":\"" + Oci.OCI_MANIFEST + "\",", "")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(new String(untyped, StandardCharsets.UTF_8)).startsWith("{\"schemaVersion\":2,\"config\"");
        // an OCI manifest without mediaType is not a Docker schema2 manifest
        assertError(putManifest(repo, "docker", Oci.DOCKER_MANIFEST, untyped), 400, "MANIFEST_INVALID");
        assertError(client.get("/v2/" + repo + "/manifests/docker"), 404, "MANIFEST_UNKNOWN");
        // ... but it is an OCI image manifest (mediaType is optional there), served as one
        assertThat(putManifest(repo, "oci", Oci.OCI_MANIFEST, untyped).statusCode()).isEqualTo(201);
        HttpResponse<byte[]> r = client.get("/v2/" + repo + "/manifests/oci");
        assertThat(r.headers().firstValue("Content-Type")).hasValue(Oci.OCI_MANIFEST);
        assertThat(r.body()).isEqualTo(untyped);
        // the wrong shape for the declared type
        assertError(putManifest(repo, "idx", Oci.OCI_INDEX, untyped), 400, "MANIFEST_INVALID");
        byte[] index = Oci.index(Oci.OCI_INDEX, Oci.OCI_MANIFEST, untyped);
        byte[] untypedIndex = new String(index, StandardCharsets.UTF_8)
                .replace("\"mediaType\":\"" + Oci.OCI_INDEX + "\",", "").getBytes(StandardCharsets.UTF_8);
        assertError(putManifest(repo, "img", Oci.OCI_MANIFEST, untypedIndex), 400, "MANIFEST_INVALID");
        assertError(putManifest(repo, "list", Oci.DOCKER_LIST, untypedIndex), 400, "MANIFEST_INVALID");
        assertThat(putManifest(repo, "idx", Oci.OCI_INDEX, untypedIndex).statusCode()).isEqualTo(201);
    }

    @Test
    void oversizedManifestIs413() {
        String repo = repo("large");
        byte[] config = "{}".getBytes();
        pushBlob(repo, config);
        String big = "\"annotations\":{\"x\":\"" + "a".repeat(RegistryServer.MANIFEST_MAX_BYTES) + "\"}";
        byte[] manifest = Oci.imageManifest(Oci.OCI_MANIFEST, "application/vnd.oci.image.config.v1+json", null, big, config);
        assertError(putManifest(repo, "big", Oci.OCI_MANIFEST, manifest), 413, "MANIFEST_INVALID");
        assertError(client.get("/v2/" + repo + "/manifests/big"), 404, "MANIFEST_UNKNOWN");
    }

    /**
     * A client that sends its whole oversized manifest before it reads (5 MiB, far beyond the limit
     * and the 1 MiB the registry reads to keep a connection) gets the 413 and its error JSON, not a
     * reset: with Content-Length (refused before the body is read) and chunked (refused while
     * streaming).
     */
    @Test
    void anOversizedManifestSentWholeStillGetsItsAnswer() throws IOException {
        String repo = repo("huge");
        byte[] body = new byte[5 * 1024 * 1024];
        java.util.Arrays.fill(body, (byte) ' ');
        for (boolean chunked : new boolean[] {false, true}) {
            String response = sendWhole("PUT /v2/" + repo + "/manifests/big", Oci.OCI_MANIFEST, body, chunked);
            assertThat(response).as("chunked: %s", chunked).startsWith("HTTP/1.1 413 ");
            assertThat(response.toLowerCase(java.util.Locale.ROOT)).contains("\r\nconnection: close\r\n");
            JsonNode error = Oci.JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
            assertThat(error.path("errors").path(0).path("code").asText()).isEqualTo("MANIFEST_INVALID");
        }
        // and a client that reads while it sends
        assertError(putManifest(repo, "big", Oci.OCI_MANIFEST, body), 413, "MANIFEST_INVALID");
        assertError(client.get("/v2/" + repo + "/manifests/big"), 404, "MANIFEST_UNKNOWN");
    }

    /** Writes the request head and the whole body, only then reads the response until the server closes. */
    private String sendWhole(String requestLine, String contentType, byte[] body, boolean chunked) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", registry.server().port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write((requestLine + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + contentType + "\r\n"
                    + (chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + body.length + "\r\n") + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            int step = 64 * 1024;
            for (int off = 0; off < body.length; off += step) {
                int n = Math.min(step, body.length - off);
                if (chunked) {
                    out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                }
                out.write(body, off, n);
                if (chunked) {
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
            }
            if (chunked) {
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void unknownConfigAndLayerTypesAreAccepted() {
        String repo = repo("encrypted");
        byte[] config = "{}".getBytes();
        byte[] layer = Oci.random(500);
        pushBlob(repo, config);
        pushBlob(repo, layer);
        byte[] manifest = Oci.imageManifest(Oci.OCI_MANIFEST, "application/vnd.example.config+json",
                "application/vnd.oci.image.layer.v1.tar+gzip+encrypted", null, config, layer);
        assertThat(putManifest(repo, "enc", Oci.OCI_MANIFEST, manifest).statusCode()).isEqualTo(201);
        assertThat(client.get("/v2/" + repo + "/manifests/enc").body()).isEqualTo(manifest);
    }

    @Test
    void deleteByTagKeepsTheManifestDeleteByDigestRemovesItAndItsTags() {
        String repo = repo("delete");
        byte[] manifest = pushImage(repo, "a", Oci.OCI_MANIFEST);
        String digest = Oci.digest(manifest);
        assertThat(putManifest(repo, "b", Oci.OCI_MANIFEST, manifest).statusCode()).isEqualTo(201);
        // read first, so that a cache holds what the deletes must then remove
        assertThat(client.get("/v2/" + repo + "/manifests/a").statusCode()).isEqualTo(200);
        assertThat(client.delete("/v2/" + repo + "/manifests/a").statusCode()).isEqualTo(202);
        assertError(client.get("/v2/" + repo + "/manifests/a"), 404, "MANIFEST_UNKNOWN");
        assertThat(client.get("/v2/" + repo + "/manifests/" + digest).statusCode()).isEqualTo(200);
        assertThat(client.get("/v2/" + repo + "/manifests/b").statusCode()).isEqualTo(200);
        assertThat(client.delete("/v2/" + repo + "/manifests/" + digest).statusCode()).isEqualTo(202);
        assertError(client.get("/v2/" + repo + "/manifests/" + digest), 404, "MANIFEST_UNKNOWN");
        assertError(client.get("/v2/" + repo + "/manifests/b"), 404, "MANIFEST_UNKNOWN");
        assertError(client.delete("/v2/" + repo + "/manifests/" + digest), 404, "MANIFEST_UNKNOWN");
        assertError(client.delete("/v2/" + repo + "/manifests/nosuchtag"), 404, "MANIFEST_UNKNOWN");
        assertThat(Oci.json(client.get("/v2/" + repo + "/tags/list")).path("tags").size()).isZero();
    }

    @Test
    void taggingMovesTheTag() {
        String repo = repo("retag");
        byte[] first = pushImage(repo, "latest", Oci.OCI_MANIFEST);
        // read first, so that a cache holds the tag the push must then move
        assertThat(client.get("/v2/" + repo + "/manifests/latest").body()).isEqualTo(first);
        byte[] second = pushImage(repo, "latest", Oci.OCI_MANIFEST);
        assertThat(client.get("/v2/" + repo + "/manifests/latest").body()).isEqualTo(second);
        assertThat(client.get("/v2/" + repo + "/manifests/" + Oci.digest(first)).body()).isEqualTo(first);
    }
}

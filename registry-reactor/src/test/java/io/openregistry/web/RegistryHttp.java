package io.openregistry.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.openregistry.api.TestClient;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** The registry's HTTP API as a client uses it, for what the browser tests set up without the UI. */
final class RegistryHttp {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final TestClient client;
    private final String service;

    RegistryHttp(String base, String service) {
        this.client = new TestClient(base, URI.create(base).getPort());
        this.service = service;
    }

    HttpResponse<byte[]> send(String method, String path, byte[] body, String... headers) {
        return client.send(method, path, body, headers);
    }

    static JsonNode json(HttpResponse<byte[]> r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + new String(r.body(), StandardCharsets.UTF_8), e);
        }
    }

    /** An account with a password, through the open sign-up. */
    void signUp(String username, String password) {
        var r = send("POST", "/auth/signup", ("{\"username\":\"" + username + "\",\"password\":\"" + password + "\"}")
                .getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json");
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(201);
    }

    /** A registry token for {@code scope}, asked with Basic credentials (a password or a PAT), or anonymously. */
    String token(String username, String secret, String scope) {
        String q = "/token?service=" + URLEncoder.encode(service, StandardCharsets.UTF_8) + "&scope="
                + URLEncoder.encode(scope, StandardCharsets.UTF_8);
        var r = username == null ? send("GET", q, null) : send("GET", q, null, "Authorization", "Basic "
                + Base64.getEncoder().encodeToString((username + ":" + secret).getBytes(StandardCharsets.UTF_8)));
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        return json(r).path("token").asText();
    }

    /** With {@code token} null: no Authorization header (a registry without access control). */
    void pushBlob(String repo, String token, TestImages.Blob blob) {
        var start = send("POST", "/v2/" + repo + "/blobs/uploads/", null, auth(token));
        assertThat(start.statusCode()).as(new String(start.body(), StandardCharsets.UTF_8)).isEqualTo(202);
        String location = start.headers().firstValue("Location").orElseThrow();
        String url = location + (location.contains("?") ? "&" : "?") + "digest=" + blob.digest();
        var put = send("PUT", url, blob.bytes(), with(auth(token), "Content-Type", "application/octet-stream"));
        assertThat(put.statusCode()).as(new String(put.body(), StandardCharsets.UTF_8)).isEqualTo(201);
    }

    void pushManifest(String repo, String token, String reference, TestImages.Blob manifest) {
        var r = send("PUT", "/v2/" + repo + "/manifests/" + reference, manifest.bytes(),
                with(auth(token), "Content-Type", manifest.mediaType()));
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(201);
    }

    private static String[] auth(String token) {
        return token == null ? new String[0] : new String[] {"Authorization", "Bearer " + token};
    }

    private static String[] with(String[] headers, String... more) {
        String[] all = java.util.Arrays.copyOf(headers, headers.length + more.length);
        System.arraycopy(more, 0, all, headers.length, more.length);
        return all;
    }
}

package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.openregistry.RegistryServer;
import io.openregistry.api.AuthFixture.Who;
import io.openregistry.http.RouteTemplates;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The browsing API ({@code /api/v1/repositories…}) through a real registry with access control
 * on: images pushed through {@code /v2/} (a two-platform index sharing a layer, an encrypted
 * layer, a referrer with a subject and an artifact type), then every field of the answers, paging
 * in both sorts, search, what others and anonymous callers see, deletes and pull counts. Every
 * answer is checked against the served OpenAPI document. Runs once per database through a subclass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class BrowseApiContract {
    static final String ENCRYPTED = "application/vnd.oci.image.layer.v1.tar+gzip+encrypted";
    static final String EMPTY = "application/vnd.oci.empty.v1+json";
    static final String SBOM = "application/vnd.example.sbom+json";
    AuthFixture auth;
    OpenApiChecker openApi;

    abstract RegistryServer.Backend backend();

    @BeforeAll
    void start() {
        auth = AuthFixture.start(backend());
        openApi = new OpenApiChecker(new String(auth.client.get("/api/v1/openapi.json").body(), StandardCharsets.UTF_8));
    }

    @AfterAll
    void stop() {
        auth.close();
    }

    // --- the client ---

    /** A call as {@code who} (Basic; anonymous without), the answer checked against the document. */
    HttpResponse<byte[]> call(Who who, String method, String path) {
        HttpResponse<byte[]> r = auth.client.send(method, path, null, who.basic());
        openApi.assertDocumented(method, RouteTemplates.uriTemplate(path), r);
        return r;
    }

    JsonNode get(Who who, String path) {
        HttpResponse<byte[]> r = call(who, "GET", path);
        assertThat(r.statusCode()).as(path + ": " + new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        return Oci.json(r);
    }

    void expectError(Who who, String method, String path, int status, String code) {
        Oci.assertError(call(who, method, path), status, code);
    }

    static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    static String q(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    /** Pushes through /v2/: blobs, then manifests; remembers nothing. */
    final class Pusher {
        final String repo;
        final String token;

        Pusher(Who who, String repo) {
            this.repo = repo;
            this.token = auth.token(who, "repository:" + repo + ":pull,push,delete");
        }

        void blob(byte[] blob) {
            HttpResponse<byte[]> r = auth.call(token, "POST", "/v2/" + repo + "/blobs/uploads/?digest=" + Oci.digest(blob),
                    blob, "Content-Type", "application/octet-stream");
            assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(201);
        }

        String manifest(String reference, String mediaType, byte[] manifest) {
            HttpResponse<byte[]> r = auth.call(token, "PUT", "/v2/" + repo + "/manifests/" + reference, manifest,
                    "Content-Type", mediaType);
            assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(201);
            return Oci.digest(manifest);
        }

        HttpResponse<byte[]> pull(String method, String reference) {
            return auth.call(token, method, "/v2/" + repo + "/manifests/" + reference, null,
                    "Accept", Oci.OCI_INDEX + ", " + Oci.OCI_MANIFEST);
        }
    }

    /** The pieces of the image pushed by {@link #pushImage}. */
    record Image(String repo, byte[] configA, byte[] configB, byte[] layer, byte[] shared, byte[] encrypted, byte[] sbom,
                 byte[] manifestA, byte[] manifestB, byte[] index, byte[] referrer) {
        long sizeA() {
            return manifestA.length + configA.length + layer.length + shared.length;
        }

        long sizeB() {
            return manifestB.length + configB.length + shared.length + encrypted.length;
        }

        long sizeIndex() {
            // the shared layer once
            return index.length + manifestA.length + manifestB.length + configA.length + configB.length + layer.length
                    + shared.length + encrypted.length;
        }

        long sizeReferrer() {
            return referrer.length + 2 + sbom.length;
        }

        long storage() {
            return Stream.of(configA, configB, layer, shared, encrypted, sbom, manifestA, manifestB, index, referrer)
                    .mapToLong(b -> b.length).sum() + 2;
        }
    }

    /**
     * A multi-platform image in {@code repo}: an index (tag v1) of an amd64 image (tag amd64) and an
     * arm64/v8 image with an encrypted layer, sharing one layer; and an SBOM referring to the index.
     */
    Image pushImage(Who who, String repo) {
        Pusher p = new Pusher(who, repo);
        byte[] configA = ("{\"created\":\"2026-11-30T10:00:00Z\",\"architecture\":\"amd64\",\"os\":\"linux\","
                + "\"config\":{\"Entrypoint\":[\"/bin/app\",\"--serve\"],\"Cmd\":[\"--port\",\"8080\"],"
                + "\"Labels\":{\"org.opencontainers.image.source\":\"https://example.com/app\",\"tier\":\"web\"}},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"n\":\"" + UUID.randomUUID() + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        byte[] configB = ("{\"created\":\"2026-11-29T09:00:00Z\",\"architecture\":\"arm64\",\"variant\":\"v8\","
                + "\"os\":\"linux\",\"config\":{\"Cmd\":[\"sh\"]},\"n\":\"" + UUID.randomUUID() + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        byte[] layer = Oci.random(1000);
        byte[] shared = Oci.random(2000);
        byte[] encrypted = Oci.random(3000);
        byte[] empty = "{}".getBytes(StandardCharsets.UTF_8);
        byte[] sbom = ("{\"spdxVersion\":\"SPDX-2.3\",\"n\":\"" + UUID.randomUUID() + "\"}").getBytes(StandardCharsets.UTF_8);
        for (byte[] blob : List.of(configA, configB, layer, shared, encrypted, empty, sbom)) {
            p.blob(blob);
        }
        byte[] manifestA = Oci.imageManifest(Oci.OCI_MANIFEST, configA, layer, shared);
        byte[] manifestB = ("{\"schemaVersion\":2,\"mediaType\":\"" + Oci.OCI_MANIFEST + "\",\"config\":"
                + Oci.descriptor("application/vnd.oci.image.config.v1+json", configB) + ",\"layers\":["
                + Oci.descriptor("application/vnd.oci.image.layer.v1.tar+gzip", shared) + ","
                + Oci.descriptor(ENCRYPTED, encrypted) + "]}").getBytes(StandardCharsets.UTF_8);
        byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"" + Oci.OCI_INDEX + "\",\"manifests\":["
                + Oci.descriptor(Oci.OCI_MANIFEST, manifestA).replace("}",
                ",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}") + ","
                + Oci.descriptor(Oci.OCI_MANIFEST, manifestB).replace("}",
                ",\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}}")
                + "],\"annotations\":{\"org.opencontainers.image.version\":\"1.0\"}}").getBytes(StandardCharsets.UTF_8);
        byte[] referrer = ("{\"schemaVersion\":2,\"mediaType\":\"" + Oci.OCI_MANIFEST + "\",\"artifactType\":\"" + SBOM
                + "\",\"config\":" + Oci.descriptor(EMPTY, empty) + ",\"layers\":["
                + Oci.descriptor("application/spdx+json", sbom) + "],\"subject\":" + Oci.descriptor(Oci.OCI_INDEX, index)
                + ",\"annotations\":{\"org.example.kind\":\"sbom\"}}").getBytes(StandardCharsets.UTF_8);
        p.manifest("amd64", Oci.OCI_MANIFEST, manifestA);
        p.manifest(Oci.digest(manifestB), Oci.OCI_MANIFEST, manifestB);
        p.manifest("v1", Oci.OCI_INDEX, index);
        p.manifest(Oci.digest(referrer), Oci.OCI_MANIFEST, referrer);
        return new Image(repo, configA, configB, layer, shared, encrypted, sbom, manifestA, manifestB, index, referrer);
    }

    static List<String> texts(JsonNode array, String field) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(field == null ? n.asText() : n.path(field).asText()));
        return out;
    }

    // --- a repository, its tags and manifests ---

    @Test
    void everyFieldOfARepositoryItsTagsAndManifests() {
        Who alice = auth.signUp("alice");
        Image image = pushImage(alice, alice.username() + "/app");
        String base = "/api/v1/repositories/" + image.repo();
        Instant before = Instant.now().minusSeconds(600);

        JsonNode repo = get(alice, base);
        assertThat(repo.path("name").asText()).isEqualTo(image.repo());
        assertThat(repo.path("visibility").asText()).isEqualTo("private");
        assertThat(repo.path("tag_count").asLong()).isEqualTo(2);
        assertThat(repo.path("storage_bytes").asLong()).isEqualTo(image.storage());
        assertThat(Instant.parse(repo.path("pushed_at").asText())).isAfter(before);
        assertThat(repo.path("can").path("push").asBoolean()).isTrue();
        assertThat(repo.path("can").path("delete").asBoolean()).isTrue();
        assertThat(repo.path("can").path("admin").asBoolean()).isTrue();

        JsonNode tags = get(alice, base + "/-/tags").path("tags");
        assertThat(texts(tags, "name")).containsExactly("amd64", "v1");
        assertThat(tags.path(0).path("digest").asText()).isEqualTo(Oci.digest(image.manifestA()));
        assertThat(tags.path(0).path("media_type").asText()).isEqualTo(Oci.OCI_MANIFEST);
        assertThat(tags.path(0).path("size").asLong()).isEqualTo(image.sizeA());
        assertThat(tags.path(1).path("digest").asText()).isEqualTo(Oci.digest(image.index()));
        assertThat(tags.path(1).path("media_type").asText()).isEqualTo(Oci.OCI_INDEX);
        assertThat(tags.path(1).path("size").asLong()).isEqualTo(image.sizeIndex());
        assertThat(Instant.parse(tags.path(1).path("pushed_at").asText()))
                .isAfterOrEqualTo(Instant.parse(tags.path(0).path("pushed_at").asText()));
        assertThat(get(alice, base + "/-/tags").path("next").isNull()).isTrue();

        // the index, by tag
        JsonNode index = get(alice, base + "/-/manifests/v1");
        assertThat(index.path("digest").asText()).isEqualTo(Oci.digest(image.index()));
        assertThat(index.path("media_type").asText()).isEqualTo(Oci.OCI_INDEX);
        assertThat(index.path("size").asLong()).isEqualTo(image.sizeIndex());
        assertThat(index.path("manifest_size").asLong()).isEqualTo(image.index().length);
        assertThat(index.path("artifact_type").isNull()).isTrue();
        assertThat(index.path("subject").isNull()).isTrue();
        assertThat(index.path("annotations").path("org.opencontainers.image.version").asText()).isEqualTo("1.0");
        assertThat(texts(index.path("tags"), null)).containsExactly("v1");
        assertThat(index.path("config").isNull()).isTrue();
        assertThat(index.path("layers")).isEmpty();
        JsonNode platforms = index.path("platforms");
        assertThat(platforms).hasSize(2);
        assertThat(platforms.path(0).path("digest").asText()).isEqualTo(Oci.digest(image.manifestA()));
        assertThat(platforms.path(0).path("media_type").asText()).isEqualTo(Oci.OCI_MANIFEST);
        assertThat(platforms.path(0).path("size").asLong()).isEqualTo(image.manifestA().length);
        assertThat(platforms.path(0).path("os").asText()).isEqualTo("linux");
        assertThat(platforms.path(0).path("architecture").asText()).isEqualTo("amd64");
        assertThat(platforms.path(0).path("variant").isNull()).isTrue();
        assertThat(platforms.path(1).path("digest").asText()).isEqualTo(Oci.digest(image.manifestB()));
        assertThat(platforms.path(1).path("architecture").asText()).isEqualTo("arm64");
        assertThat(platforms.path(1).path("variant").asText()).isEqualTo("v8");
        JsonNode referrers = index.path("referrers");
        assertThat(referrers).hasSize(1);
        assertThat(referrers.path(0).path("digest").asText()).isEqualTo(Oci.digest(image.referrer()));
        assertThat(referrers.path(0).path("artifact_type").asText()).isEqualTo(SBOM);
        assertThat(referrers.path(0).path("media_type").asText()).isEqualTo(Oci.OCI_MANIFEST);
        assertThat(referrers.path(0).path("size").asLong()).isEqualTo(image.referrer().length);
        assertThat(referrers.path(0).path("annotations").path("org.example.kind").asText()).isEqualTo("sbom");
        // the same by digest
        assertThat(get(alice, base + "/-/manifests/" + Oci.digest(image.index()))).isEqualTo(index);

        // an image: its config read from the blob, its layers
        JsonNode a = get(alice, base + "/-/manifests/" + Oci.digest(image.manifestA()));
        assertThat(a.path("media_type").asText()).isEqualTo(Oci.OCI_MANIFEST);
        assertThat(a.path("size").asLong()).isEqualTo(image.sizeA());
        assertThat(a.path("manifest_size").asLong()).isEqualTo(image.manifestA().length);
        assertThat(texts(a.path("tags"), null)).containsExactly("amd64");
        assertThat(a.path("platforms")).isEmpty();
        assertThat(a.path("referrers")).isEmpty();
        JsonNode config = a.path("config");
        assertThat(config.path("digest").asText()).isEqualTo(Oci.digest(image.configA()));
        assertThat(config.path("size").asLong()).isEqualTo(image.configA().length);
        assertThat(config.path("media_type").asText()).isEqualTo("application/vnd.oci.image.config.v1+json");
        assertThat(config.path("created").asText()).isEqualTo("2026-11-30T10:00:00Z");
        assertThat(config.path("os").asText()).isEqualTo("linux");
        assertThat(config.path("architecture").asText()).isEqualTo("amd64");
        assertThat(texts(config.path("entrypoint"), null)).containsExactly("/bin/app", "--serve");
        assertThat(texts(config.path("cmd"), null)).containsExactly("--port", "8080");
        assertThat(config.path("labels").path("org.opencontainers.image.source").asText()).isEqualTo("https://example.com/app");
        assertThat(config.path("labels").path("tier").asText()).isEqualTo("web");
        assertThat(texts(a.path("layers"), "digest")).containsExactly(Oci.digest(image.layer()), Oci.digest(image.shared()));
        assertThat(a.path("layers").path(0).path("size").asLong()).isEqualTo(image.layer().length);
        assertThat(a.path("layers").path(0).path("media_type").asText()).isEqualTo("application/vnd.oci.image.layer.v1.tar+gzip");

        // arm64: no entrypoint, the encrypted layer as it is
        JsonNode b = get(alice, base + "/-/manifests/" + Oci.digest(image.manifestB()));
        assertThat(b.path("tags")).isEmpty();
        assertThat(b.path("size").asLong()).isEqualTo(image.sizeB());
        assertThat(b.path("config").path("architecture").asText()).isEqualTo("arm64");
        assertThat(b.path("config").path("entrypoint").isNull()).isTrue();
        assertThat(texts(b.path("config").path("cmd"), null)).containsExactly("sh");
        assertThat(b.path("config").path("labels")).isEmpty();
        assertThat(b.path("layers").path(1).path("media_type").asText()).isEqualTo(ENCRYPTED);
        assertThat(b.path("layers").path(1).path("size").asLong()).isEqualTo(image.encrypted().length);

        // the referrer: its artifact type and subject; an artifact's config has no image fields
        JsonNode sbom = get(alice, base + "/-/manifests/" + Oci.digest(image.referrer()));
        assertThat(sbom.path("artifact_type").asText()).isEqualTo(SBOM);
        assertThat(sbom.path("subject").asText()).isEqualTo(Oci.digest(image.index()));
        assertThat(sbom.path("annotations").path("org.example.kind").asText()).isEqualTo("sbom");
        assertThat(sbom.path("size").asLong()).isEqualTo(image.sizeReferrer());
        assertThat(sbom.path("config").path("media_type").asText()).isEqualTo(EMPTY);
        assertThat(sbom.path("config").path("created").isNull()).isTrue();
        assertThat(sbom.path("layers").path(0).path("media_type").asText()).isEqualTo("application/spdx+json");

        // referrers grouped by artifact type: a signature pushed later comes first
        Pusher p = new Pusher(alice, image.repo());
        byte[] empty = "{}".getBytes(StandardCharsets.UTF_8);
        byte[] signature = Oci.random(64);
        p.blob(signature);
        String signatureType = "application/vnd.dev.cosign.artifact.sig.v1+json";
        byte[] signed = ("{\"schemaVersion\":2,\"mediaType\":\"" + Oci.OCI_MANIFEST + "\",\"artifactType\":\""
                + signatureType + "\",\"config\":" + Oci.descriptor(EMPTY, empty) + ",\"layers\":["
                + Oci.descriptor("application/octet-stream", signature) + "],\"subject\":"
                + Oci.descriptor(Oci.OCI_INDEX, image.index()) + "}").getBytes(StandardCharsets.UTF_8);
        p.manifest(Oci.digest(signed), Oci.OCI_MANIFEST, signed);
        assertThat(texts(get(alice, base + "/-/manifests/v1").path("referrers"), "artifact_type"))
                .containsExactly(signatureType, SBOM);

        // missing things
        expectError(alice, "GET", base + "/-/manifests/nope", 404, "MANIFEST_UNKNOWN");
        expectError(alice, "GET", base + "/-/manifests/sha256:" + "0".repeat(64), 404, "MANIFEST_UNKNOWN");
        expectError(alice, "GET", base + "/-/manifests/Not%20A%20Tag", 404, "MANIFEST_UNKNOWN");
        expectError(alice, "GET", "/api/v1/repositories/" + alice.username() + "/none/-/tags", 404, "NAME_UNKNOWN");
        expectError(alice, "GET", "/api/v1/repositories/Bad_Name/-/tags", 400, "NAME_INVALID");
        expectError(alice, "GET", base + "/-/tags?sort=size", 400, "INVALID_REQUEST");
        expectError(alice, "GET", base + "/-/tags?order=up", 400, "INVALID_REQUEST");
        expectError(alice, "GET", base + "/-/tags?n=0", 400, "PAGINATION_NUMBER_INVALID");
        expectError(alice, "GET", base + "/-/tags?sort=pushed&last=v1", 400, "INVALID_REQUEST");
        expectError(alice, "GET", base + "/-/stats?days=0", 400, "INVALID_REQUEST");
        expectError(alice, "GET", base + "/-/stats?days=x", 400, "INVALID_REQUEST");
    }

    // --- paging ---

    @Test
    void tagsPageInBothSortsAndBothOrdersAndFilterByName() {
        Who alice = auth.signUp("alice");
        Pusher p = new Pusher(alice, alice.username() + "/paging");
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\"}").getBytes(StandardCharsets.UTF_8);
        byte[] layer = Oci.random(500);
        p.blob(config);
        p.blob(layer);
        byte[] manifest = Oci.imageManifest(Oci.OCI_MANIFEST, config, layer);
        List<String> pushOrder = new ArrayList<>(List.of("rc-3", "v1.0", "latest", "v1.1", "v2.0", "dev", "v1.2", "a_b", "axb"));
        for (String tag : pushOrder) {
            p.manifest(tag, Oci.OCI_MANIFEST, manifest);
        }
        // pushing a tag again makes it the newest
        p.manifest("rc-3", Oci.OCI_MANIFEST, manifest);
        pushOrder.remove("rc-3");
        pushOrder.add("rc-3");
        String tags = "/api/v1/repositories/" + p.repo + "/-/tags";
        List<String> byName = pushOrder.stream().sorted().toList();

        assertThat(pages(alice, tags + "?n=2")).isEqualTo(byName);
        assertThat(pages(alice, tags + "?n=4&order=desc")).isEqualTo(reversed(byName));
        assertThat(pages(alice, tags + "?n=2&sort=pushed")).isEqualTo(pushOrder);
        assertThat(pages(alice, tags + "?n=3&sort=pushed&order=desc")).isEqualTo(reversed(pushOrder));
        assertThat(pages(alice, tags + "?n=1000&sort=pushed")).isEqualTo(pushOrder);
        // push times as listed: never decreasing in push order
        JsonNode all = get(alice, tags + "?sort=pushed").path("tags");
        List<Instant> times = new ArrayList<>();
        all.forEach(t -> times.add(Instant.parse(t.path("pushed_at").asText())));
        assertThat(times).isSortedAccordingTo(Comparator.naturalOrder());
        all.forEach(t -> assertThat(t.path("size").asLong()).isEqualTo(manifest.length + config.length + layer.length));

        // a substring of the name, in either sort; LIKE's wildcards are plain characters
        assertThat(pages(alice, tags + "?q=v1.&n=2")).containsExactly("v1.0", "v1.1", "v1.2");
        assertThat(pages(alice, tags + "?q=v1.&n=2&sort=pushed&order=desc")).containsExactly("v1.2", "v1.1", "v1.0");
        assertThat(pages(alice, tags + "?q=" + q("_"))).containsExactly("a_b");
        assertThat(pages(alice, tags + "?q=" + q("%"))).isEmpty();
        assertThat(pages(alice, tags + "?q=V1")).isEmpty();
    }

    static List<String> reversed(List<String> list) {
        List<String> out = new ArrayList<>(list);
        java.util.Collections.reverse(out);
        return out;
    }

    /** Every tag name of a listing, following {@code next} page by page. */
    List<String> pages(Who who, String first) {
        List<String> names = new ArrayList<>();
        String path = first;
        for (int page = 0; page < 100; page++) {
            JsonNode answer = get(who, path);
            names.addAll(texts(answer.path("tags").isMissingNode() ? answer.path("repositories") : answer.path("tags"),
                    "name"));
            if (answer.path("next").isNull()) {
                return names;
            }
            path = first + "&last=" + q(answer.path("next").asText());
        }
        throw new AssertionError("more than 100 pages");
    }

    // --- search and who sees what ---

    @Test
    void searchListsWhatTheCallerMayPull() {
        Who alice = auth.signUp("alice");
        Who bob = auth.signUp("bob");
        String u = unique();
        String a1 = alice.username() + "/svc-" + u + "-alpha";
        String a2 = alice.username() + "/svc-" + u + "-beta";
        String a3 = alice.username() + "/esc" + u + "_x";
        String a4 = alice.username() + "/esc" + u + "xx";
        String bPublic = bob.username() + "/pub-" + u + "-alpha";
        String bPrivate = bob.username() + "/priv-" + u + "-alpha";
        for (String repo : List.of(a1, a2, a3, a4)) {
            auth.pushImage(alice, repo, "latest");
        }
        for (String repo : List.of(bPublic, bPrivate)) {
            auth.pushImage(bob, repo, "latest");
        }
        Oci.json(auth.client.send("PATCH", "/api/v1/repositories/" + bPublic, AuthFixture.json("visibility", "public"),
                AuthFixture.concat(bob.basic(), "Content-Type", "application/json")));

        String list = "/api/v1/repositories?q=";
        assertThat(pages(alice, list + u + "-alpha")).containsExactly(a1, bPublic);
        assertThat(pages(alice, list + u + "-alpha&n=1")).containsExactly(a1, bPublic);
        assertThat(pages(bob, list + u + "-alpha&n=1")).containsExactly(bPrivate, bPublic);
        assertThat(pages(Who.ANONYMOUS, list + u)).containsExactly(bPublic);
        assertThat(pages(alice, list + u)).containsExactly(a3, a4, a1, a2, bPublic);
        // in lower case, whatever was typed; LIKE's wildcards are plain characters
        assertThat(pages(alice, list + u.toUpperCase(java.util.Locale.ROOT) + "-ALPHA")).containsExactly(a1, bPublic);
        assertThat(pages(alice, list + "esc" + u + "_")).containsExactly(a3);
        assertThat(pages(alice, list + q("%") + u)).isEmpty();
        assertThat(pages(alice, list + "zz" + u)).isEmpty();
        // an admin sees everything
        assertThat(pages(OrgApiContract.ADMIN, list + u + "-alpha")).containsExactly(a1, bPrivate, bPublic);

        JsonNode page = get(alice, list + u + "-alpha");
        JsonNode first = page.path("repositories").path(0);
        assertThat(first.path("visibility").asText()).isEqualTo("private");
        assertThat(Instant.parse(first.path("pushed_at").asText())).isAfter(Instant.now().minusSeconds(600));
        assertThat(page.path("repositories").path(1).path("visibility").asText()).isEqualTo("public");
        // without q: the caller's catalog
        assertThat(pages(Who.ANONYMOUS, "/api/v1/repositories?n=1000")).contains(bPublic).doesNotContain(bPrivate, a1);
        expectError(alice, "GET", "/api/v1/repositories?n=1001", 400, "PAGINATION_NUMBER_INVALID");
        expectError(alice, "GET", "/api/v1/repositories?q=" + "a".repeat(256), 400, "INVALID_REQUEST");
    }

    @Test
    void aPrivateRepositoryIsMissingForOthersAndAnonymousAPublicOneIsReadOnly() {
        Who alice = auth.signUp("alice");
        Who bob = auth.signUp("bob");
        Image image = pushImage(alice, alice.username() + "/secret");
        String base = "/api/v1/repositories/" + image.repo();
        String missing = "/api/v1/repositories/" + alice.username() + "/none";
        String indexDigest = Oci.digest(image.index());
        for (Who who : List.of(bob, Who.ANONYMOUS)) {
            for (String path : List.of(base, base + "/-/tags", base + "/-/manifests/v1", base + "/-/stats",
                    missing, missing + "/-/tags", missing + "/-/manifests/v1", missing + "/-/stats")) {
                HttpResponse<byte[]> r = call(who, "GET", path);
                Oci.assertError(r, 404, "NAME_UNKNOWN");
            }
            expectError(who, "DELETE", base + "/-/tags/v1", 404, "NAME_UNKNOWN");
            expectError(who, "DELETE", base + "/-/manifests/" + indexDigest, 404, "NAME_UNKNOWN");
            assertThat(pages(who, "/api/v1/repositories?q=" + q(image.repo()))).isEmpty();
        }
        // wrong credentials are a 401, not an anonymous answer
        Oci.assertError(call(new Who(alice.username(), "wrong-password"), "GET", base), 401, "UNAUTHORIZED");
        // a web session cookie that is no live session (signed out elsewhere, expired) reads as
        // anonymous, whatever other cookies come along; a change with it is a 401
        for (String cookie : List.of("openregistry_session=not-a-session", "theme=dark; openregistry_session=x",
                "theme=dark")) {
            HttpResponse<byte[]> stale = auth.client.send("GET", base, null, "Cookie", cookie);
            openApi.assertDocumented("GET", "/api/v1/repositories/{name}", stale);
            Oci.assertError(stale, 404, "NAME_UNKNOWN");
        }
        HttpResponse<byte[]> change = auth.client.send("DELETE", base + "/-/tags/v1", null, "Cookie",
                "openregistry_session=not-a-session");
        openApi.assertDocumented("DELETE", "/api/v1/repositories/{name}/-/tags/{tag}", change);
        Oci.assertError(change, 401, "UNAUTHORIZED");

        // public: anyone reads, only the owner deletes
        Oci.json(auth.client.send("PATCH", base, AuthFixture.json("visibility", "public"),
                AuthFixture.concat(alice.basic(), "Content-Type", "application/json")));
        for (Who who : List.of(bob, Who.ANONYMOUS)) {
            JsonNode repo = get(who, base);
            assertThat(repo.path("visibility").asText()).isEqualTo("public");
            assertThat(repo.path("tag_count").asLong()).isEqualTo(2);
            assertThat(repo.path("can").path("push").asBoolean()).isFalse();
            assertThat(repo.path("can").path("delete").asBoolean()).isFalse();
            assertThat(repo.path("can").path("admin").asBoolean()).isFalse();
            assertThat(get(who, base + "/-/manifests/v1").path("platforms")).hasSize(2);
            assertThat(texts(get(who, base + "/-/tags").path("tags"), "name")).containsExactly("amd64", "v1");
            assertThat(pages(who, "/api/v1/repositories?q=" + q(image.repo()))).containsExactly(image.repo());
            // a signed-in caller is refused; an anonymous one is asked to sign in, as /v2/ does
            int status = who == Who.ANONYMOUS ? 401 : 403;
            String code = who == Who.ANONYMOUS ? "UNAUTHORIZED" : "DENIED";
            expectError(who, "DELETE", base + "/-/tags/v1", status, code);
            expectError(who, "DELETE", base + "/-/manifests/" + indexDigest, status, code);
        }
        HttpResponse<byte[]> stale = auth.client.send("GET", base, null, "Cookie", "openregistry_session=not-a-session");
        assertThat(stale.statusCode()).isEqualTo(200);
        assertThat(Oci.json(stale).path("can").path("delete").asBoolean()).isFalse();
        assertThat(get(alice, base + "/-/tags").path("tags")).hasSize(2);
    }

    @Test
    void oddInputsAreEmptyAnswersOrClientErrorsNeverServerErrors() {
        Who alice = auth.signUp("alice");
        String repo = alice.username() + "/odd";
        auth.pushImage(alice, repo, "latest");
        String tags = "/api/v1/repositories/" + repo + "/-/tags";
        // texts no name or tag can hold: nothing found (PostgreSQL would refuse a NUL in a statement)
        for (String text : List.of("%00", "a%00b", "%C3%BC", "%F0%9F%90%B3", "A%20B", "%25%5C")) {
            assertThat(get(alice, "/api/v1/repositories?q=" + text).path("repositories")).as(text).isEmpty();
            assertThat(get(alice, tags + "?q=" + text).path("tags")).as(text).isEmpty();
        }
        expectError(alice, "GET", "/api/v1/repositories?last=a%00", 400, "INVALID_REQUEST");
        expectError(alice, "GET", tags + "?last=a%00", 400, "INVALID_REQUEST");
        expectError(alice, "GET", tags + "?sort=pushed&last=1%00~a", 400, "INVALID_REQUEST");
        // push-order cursors out of any database's range, or not numbers
        for (String cursor : List.of("999999999999999999~a", "-999999999999999999~a", "99999999999999999999~a", "~a",
                "x~a", "1")) {
            expectError(alice, "GET", tags + "?sort=pushed&last=" + q(cursor), 400, "INVALID_REQUEST");
        }
        // the extremes that are in range page fine
        assertThat(get(alice, tags + "?sort=pushed&last=" + q("253402300799000000~zzz")).path("tags")).isEmpty();
        assertThat(texts(get(alice, tags + "?sort=pushed&last=" + q("-62135596800000000~a")).path("tags"), "name"))
                .containsExactly("latest");
        assertThat(get(alice, tags + "?last=" + q("\uD83D\uDC33")).path("tags")).isEmpty();
    }

    // --- deletes ---

    @Test
    void deletesHaveTheEffectsOfTheV2Deletes() {
        Who alice = auth.signUp("alice");
        Image image = pushImage(alice, alice.username() + "/deletes");
        Pusher p = new Pusher(alice, image.repo());
        String base = "/api/v1/repositories/" + image.repo();
        String digestA = Oci.digest(image.manifestA());

        // a tag: only the tag goes
        HttpResponse<byte[]> r = call(alice, "DELETE", base + "/-/tags/amd64");
        assertThat(r.statusCode()).isEqualTo(204);
        assertThat(texts(get(alice, base + "/-/tags").path("tags"), "name")).containsExactly("v1");
        assertThat(p.pull("GET", "amd64").statusCode()).isEqualTo(404);
        assertThat(p.pull("GET", digestA).statusCode()).isEqualTo(200);
        expectError(alice, "DELETE", base + "/-/tags/amd64", 404, "MANIFEST_UNKNOWN");
        expectError(alice, "DELETE", base + "/-/tags/Bad%20Tag", 404, "MANIFEST_UNKNOWN");
        // a manifest must be named by digest
        expectError(alice, "DELETE", base + "/-/manifests/v1", 400, "INVALID_REQUEST");
        expectError(alice, "DELETE", base + "/-/manifests/sha256:" + "1".repeat(64), 404, "MANIFEST_UNKNOWN");

        // the referrer: gone from /v2/ and from the index's referrers
        r = call(alice, "DELETE", base + "/-/manifests/" + Oci.digest(image.referrer()));
        assertThat(r.statusCode()).isEqualTo(204);
        assertThat(p.pull("GET", Oci.digest(image.referrer())).statusCode()).isEqualTo(404);
        assertThat(get(alice, base + "/-/manifests/v1").path("referrers")).isEmpty();
        // the index: its tag goes with it
        r = call(alice, "DELETE", base + "/-/manifests/" + Oci.digest(image.index()));
        assertThat(r.statusCode()).isEqualTo(204);
        assertThat(p.pull("GET", "v1").statusCode()).isEqualTo(404);
        assertThat(get(alice, base).path("tag_count").asLong()).isZero();
        assertThat(get(alice, base + "/-/tags").path("tags")).isEmpty();
    }

    // --- pull counts ---

    @Test
    void pullsAreCountedPerDayAfterAFlush() {
        Who alice = auth.signUp("alice");
        Image image = pushImage(alice, alice.username() + "/pulled");
        Pusher p = new Pusher(alice, image.repo());
        String stats = "/api/v1/repositories/" + image.repo() + "/-/stats";
        JsonNode none = get(alice, stats);
        assertThat(none.path("pulls_total").asLong()).isZero();
        assertThat(none.path("pulls")).hasSize(30);
        assertThat(none.path("storage_bytes").asLong()).isEqualTo(image.storage());

        for (int i = 0; i < 3; i++) {
            assertThat(p.pull("GET", "v1").statusCode()).isEqualTo(200);
        }
        assertThat(p.pull("GET", Oci.digest(image.manifestA())).statusCode()).isEqualTo(200);
        // neither a HEAD nor a miss is a pull
        assertThat(p.pull("HEAD", "v1").statusCode()).isEqualTo(200);
        assertThat(p.pull("GET", "missing").statusCode()).isEqualTo(404);
        auth.server.flushPullCounts();
        assertThat(p.pull("GET", "v1").statusCode()).isEqualTo(200);
        auth.server.flushPullCounts();

        JsonNode week = get(alice, stats + "?days=7");
        assertThat(week.path("pulls_total").asLong()).isEqualTo(5);
        JsonNode days = week.path("pulls");
        assertThat(days).hasSize(7);
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        // written at the day of the pull: the test may straddle midnight (UTC)
        long counted = 0;
        for (int i = 0; i < 7; i++) {
            assertThat(days.path(i).path("day").asText()).isEqualTo(today.minusDays(6 - i).toString());
            counted += days.path(i).path("count").asLong();
        }
        assertThat(counted).isEqualTo(5);
        assertThat(days.path(6).path("count").asLong() + days.path(5).path("count").asLong()).isEqualTo(5);
        assertThat(get(alice, stats + "?days=1").path("pulls")).hasSize(1);
        assertThat(get(alice, stats + "?days=365").path("pulls")).hasSize(365);
    }
}

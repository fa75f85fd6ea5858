package io.openregistry.api;

import static io.openregistry.api.Oci.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tags list, catalog, and referrers. */
abstract class ListingApiContract extends ApiTestBase {

    @Test
    void tagsAreSortedAndPaginated() {
        String repo = repo("tags");
        byte[] manifest = pushImage(repo, "b", Oci.OCI_MANIFEST);
        for (String tag : new String[] {"a", "C", "_x", "1.0", "latest"}) {
            assertThat(putManifest(repo, tag, Oci.OCI_MANIFEST, manifest).statusCode()).isEqualTo(201);
        }
        List<String> all = strings(Oci.json(client.get("/v2/" + repo + "/tags/list")).path("tags"));
        assertThat(all).containsExactly("1.0", "C", "_x", "a", "b", "latest");
        assertThat(Oci.json(client.get("/v2/" + repo + "/tags/list")).path("name").asText()).isEqualTo(repo);

        List<String> paged = new ArrayList<>();
        String next = "/v2/" + repo + "/tags/list?n=2";
        int pages = 0;
        while (next != null) {
            HttpResponse<byte[]> r = client.get(next);
            assertThat(r.statusCode()).isEqualTo(200);
            paged.addAll(strings(Oci.json(r).path("tags")));
            next = r.headers().firstValue("Link").map(l -> l.substring(1, l.indexOf('>'))).orElse(null);
            pages++;
        }
        assertThat(paged).isEqualTo(all);
        assertThat(pages).isEqualTo(3);
        assertThat(strings(Oci.json(client.get("/v2/" + repo + "/tags/list?last=a")).path("tags")))
                .containsExactly("b", "latest");
        assertThat(strings(Oci.json(client.get("/v2/" + repo + "/tags/list?n=0")).path("tags"))).isEmpty();
        assertError(client.get("/v2/" + repo + "/tags/list?n=-1"), 400, "PAGINATION_NUMBER_INVALID");
        assertError(client.get("/v2/" + repo + "/tags/list?n=abc"), 400, "PAGINATION_NUMBER_INVALID");
    }

    @Test
    void tagsOfAnUnknownRepository() {
        assertError(client.get("/v2/" + repo("nosuch") + "/tags/list"), 404, "NAME_UNKNOWN");
        assertError(client.get("/v2/BAD/tags/list"), 400, "NAME_INVALID");
    }

    @Test
    void catalogIsSortedAndPaginated() {
        String prefix = "catalog" + System.nanoTime();
        List<String> names = List.of(prefix + "/a", prefix + "/b", prefix + "/c");
        for (String name : names) {
            pushImage(name, "v1", Oci.OCI_MANIFEST);
        }
        // the shared registry may hold more repositories than a default page: ask for all of them
        List<String> all = strings(Oci.json(client.get("/v2/_catalog?n=1000000")).path("repositories"));
        assertThat(all).containsSubsequence(names);
        assertThat(all).isSorted();
        HttpResponse<byte[]> page = client.get("/v2/_catalog?n=2&last=" + prefix + "/a");
        assertThat(strings(Oci.json(page).path("repositories"))).containsExactly(prefix + "/b", prefix + "/c");
        HttpResponse<byte[]> first = client.get("/v2/_catalog?n=1");
        assertThat(first.headers().firstValue("Link")).hasValueSatisfying(l -> assertThat(l)
                .startsWith("</v2/_catalog?n=1&last=").endsWith(">; rel=\"next\""));
    }

    @Test
    void referrersListsManifestsWithASubject() {
        String repo = repo("referrers");
        byte[] subject = pushImage(repo, "app", Oci.OCI_MANIFEST);
        String subjectDigest = Oci.digest(subject);
        byte[] empty = "{}".getBytes();
        byte[] sbom = Oci.random(200);
        pushBlob(repo, empty);
        pushBlob(repo, sbom);
        String subjectJson = "\"subject\":" + Oci.descriptor(Oci.OCI_MANIFEST, subject);
        byte[] sig = Oci.imageManifest(Oci.OCI_MANIFEST, "application/vnd.oci.empty.v1+json", "application/octet-stream",
                "\"artifactType\":\"application/vnd.example.sig\"," + subjectJson
                        + ",\"annotations\":{\"org.example.kind\":\"signature\"}", empty, sbom);
        byte[] bom = Oci.imageManifest(Oci.OCI_MANIFEST, "application/vnd.example.sbom.config+json", "application/json",
                subjectJson, empty, sbom);
        HttpResponse<byte[]> put = putManifest(repo, Oci.digest(sig), Oci.OCI_MANIFEST, sig);
        assertThat(put.statusCode()).isEqualTo(201);
        assertThat(put.headers().firstValue("OCI-Subject")).hasValue(subjectDigest);
        assertThat(putManifest(repo, Oci.digest(bom), Oci.OCI_MANIFEST, bom).statusCode()).isEqualTo(201);

        HttpResponse<byte[]> r = client.get("/v2/" + repo + "/referrers/" + subjectDigest);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue(Oci.OCI_INDEX);
        JsonNode index = Oci.json(r);
        assertThat(index.path("schemaVersion").asInt()).isEqualTo(2);
        assertThat(index.path("manifests").size()).isEqualTo(2);
        JsonNode sigEntry = find(index, Oci.digest(sig));
        assertThat(sigEntry.path("artifactType").asText()).isEqualTo("application/vnd.example.sig");
        assertThat(sigEntry.path("size").asLong()).isEqualTo(sig.length);
        assertThat(sigEntry.path("mediaType").asText()).isEqualTo(Oci.OCI_MANIFEST);
        assertThat(sigEntry.path("annotations").path("org.example.kind").asText()).isEqualTo("signature");
        assertThat(find(index, Oci.digest(bom)).path("artifactType").asText())
                .isEqualTo("application/vnd.example.sbom.config+json");

        HttpResponse<byte[]> filtered = client.get("/v2/" + repo + "/referrers/" + subjectDigest
                + "?artifactType=application/vnd.example.sig");
        assertThat(filtered.headers().firstValue("OCI-Filters-Applied")).hasValue("artifactType");
        assertThat(Oci.json(filtered).path("manifests").size()).isEqualTo(1);

        HttpResponse<byte[]> none = client.get("/v2/" + repo + "/referrers/" + Oci.digest(Oci.random(5)));
        assertThat(none.statusCode()).isEqualTo(200);
        assertThat(Oci.json(none).path("manifests").size()).isZero();
        assertError(client.get("/v2/" + repo + "/referrers/sha256:bad"), 400, "DIGEST_INVALID");

        assertThat(client.delete("/v2/" + repo + "/manifests/" + Oci.digest(sig)).statusCode()).isEqualTo(202);
        assertThat(Oci.json(client.get("/v2/" + repo + "/referrers/" + subjectDigest)).path("manifests").size()).isEqualTo(1);
    }

    private static JsonNode find(JsonNode index, String digest) {
        for (JsonNode m : index.path("manifests")) {
            if (m.path("digest").asText().equals(digest)) {
                return m;
            }
        }
        throw new AssertionError("no referrer " + digest + " in " + index);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}

package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.Registry;
import io.openregistry.RegistryServer;
import io.openregistry.config.Config;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A tags list or catalog asked without {@code n} answers a bounded first page (here
 * {@code api.listDefaultPageSize} = 3) with a {@code Link} to the next, in the format of the
 * {@code n}-paged answers; following the links yields everything once. An {@code n} larger than
 * the default is served as asked.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ListingDefaultPageTest {
    private Path dir;
    private Registry registry;
    private TestClient client;

    @BeforeAll
    void start() throws Exception {
        RegistryServer.installBlockHound();
        dir = Files.createTempDirectory("openregistry-listing");
        registry = Registry.start(new Config(
                new Config.Http(InetSocketAddress.createUnresolved("127.0.0.1", 0)),
                new Config.Storage("filesystem", dir),
                new Config.Database("r2dbc:h2:file:///" + dir.resolve("db/registry"), null, null, 4),
                new Config.Manifests(RegistryServer.MANIFEST_MAX_BYTES),
                new Config.Uploads(1024 * 1024, Duration.ofDays(1)),
                new Config.Log("INFO"),
                new Config.Admin(InetSocketAddress.createUnresolved("127.0.0.1", 0)),
                Config.Auth.disabled(),
                Config.Cache.defaults(),
                new Config.Api(3)));
        client = new TestClient("http://127.0.0.1:" + registry.port(), registry.port());
    }

    @AfterAll
    void stop() {
        registry.close();
        RegistryServer.deleteTree(dir);
    }

    @Test
    void tagsWithoutNAreAFirstPageWithALink() {
        String repo = "paged/tags";
        byte[] manifest = pushImage(repo, "t0");
        List<String> tags = new ArrayList<>(List.of("t0"));
        for (int i = 1; i < 7; i++) {
            assertThat(put(repo, "t" + i, manifest).statusCode()).isEqualTo(201);
            tags.add("t" + i);
        }
        HttpResponse<byte[]> first = client.get("/v2/" + repo + "/tags/list");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(strings(first, "tags")).containsExactly("t0", "t1", "t2");
        assertThat(first.headers().firstValue("Link")).hasValue("</v2/" + repo + "/tags/list?n=3&last=t2>; rel=\"next\"");
        assertThat(follow(first, "tags")).isEqualTo(tags);
        // a last without n: the default page after it
        assertThat(strings(client.get("/v2/" + repo + "/tags/list?last=t5"), "tags")).containsExactly("t6");
        // n beyond the default is served as asked, whole
        HttpResponse<byte[]> all = client.get("/v2/" + repo + "/tags/list?n=100");
        assertThat(strings(all, "tags")).isEqualTo(tags);
        assertThat(all.headers().firstValue("Link")).isEmpty();
        // exactly a default page: no Link
        HttpResponse<byte[]> last = client.get("/v2/" + repo + "/tags/list?last=t3");
        assertThat(strings(last, "tags")).containsExactly("t4", "t5", "t6");
        assertThat(last.headers().firstValue("Link")).isEmpty();
    }

    @Test
    void theCatalogWithoutNIsAFirstPageWithALink() {
        List<String> repos = List.of("cat/a", "cat/b", "cat/c", "cat/d", "cat/e");
        for (String repo : repos) {
            pushImage(repo, "v1");
        }
        HttpResponse<byte[]> first = client.get("/v2/_catalog");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(strings(first, "repositories")).hasSize(3);
        assertThat(first.headers().firstValue("Link")).hasValueSatisfying(link -> assertThat(link)
                .startsWith("</v2/_catalog?n=3&last=").endsWith(">; rel=\"next\""));
        assertThat(follow(first, "repositories")).containsSubsequence(repos).isSorted();
    }

    /** All entries from {@code first} on, following the Link headers. */
    private List<String> follow(HttpResponse<byte[]> first, String field) {
        List<String> all = new ArrayList<>(strings(first, field));
        HttpResponse<byte[]> r = first;
        while (r.headers().firstValue("Link").isPresent()) {
            String link = r.headers().firstValue("Link").get();
            r = client.get(link.substring(1, link.indexOf('>')));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(strings(r, field).size()).isLessThanOrEqualTo(3);
            all.addAll(strings(r, field));
        }
        return all;
    }

    private static List<String> strings(HttpResponse<byte[]> r, String field) {
        return StreamSupport.stream(Oci.json(r).path(field).spliterator(), false).map(n -> n.asText()).toList();
    }

    private byte[] pushImage(String repo, String tag) {
        byte[] config = ("{\"repo\":\"" + repo + "\"}").getBytes();
        String digest = Oci.digest(config);
        assertThat(client.post("/v2/" + repo + "/blobs/uploads/?digest=" + digest, config, "Content-Type",
                "application/octet-stream").statusCode()).isEqualTo(201);
        byte[] manifest = Oci.imageManifest(Oci.OCI_MANIFEST, config);
        assertThat(put(repo, tag, manifest).statusCode()).isEqualTo(201);
        return manifest;
    }

    private HttpResponse<byte[]> put(String repo, String tag, byte[] manifest) {
        return client.put("/v2/" + repo + "/manifests/" + tag, manifest, "Content-Type", Oci.OCI_MANIFEST);
    }
}

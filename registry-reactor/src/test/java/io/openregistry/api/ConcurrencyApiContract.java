package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Twenty clients at once on the same blob, and on the same tag. */
abstract class ConcurrencyApiContract extends ApiTestBase {
    private static final int CLIENTS = 20;

    @Test
    void sameBlobPushedByTwentyClients() throws Exception {
        String repo = repo("same-blob");
        byte[] content = Oci.random(2_000_000);
        String digest = Oci.digest(content);
        List<Integer> statuses = parallel(i -> {
            if (i % 2 == 0) {
                return client.post("/v2/" + repo + "/blobs/uploads/?digest=" + digest, content).statusCode();
            }
            String location = startUpload(repo);
            String next = client.patch(location, content).headers().firstValue("Location").orElseThrow();
            return client.put(with(next, "digest=" + digest), null).statusCode();
        });
        assertThat(statuses).containsOnly(201);
        HttpResponse<byte[]> r = client.get("/v2/" + repo + "/blobs/" + digest);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Oci.digest(r.body())).isEqualTo(digest);
    }

    @Test
    void sameTagMovedByTwentyClients() throws Exception {
        String repo = repo("same-tag");
        byte[] config = "{}".getBytes();
        pushBlob(repo, config);
        List<byte[]> manifests = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            byte[] layer = Oci.random(64);
            pushBlob(repo, layer);
            manifests.add(Oci.imageManifest(Oci.OCI_MANIFEST, config, layer));
        }
        List<Integer> statuses = parallel(i -> putManifest(repo, "moving", Oci.OCI_MANIFEST, manifests.get(i)).statusCode());
        assertThat(statuses).containsOnly(201);
        HttpResponse<byte[]> r = client.get("/v2/" + repo + "/manifests/moving");
        assertThat(r.statusCode()).isEqualTo(200);
        Set<String> candidates = manifests.stream().map(Oci::digest).collect(Collectors.toSet());
        assertThat(candidates).contains(Oci.digest(r.body()));
        assertThat(r.headers().firstValue("Docker-Content-Digest")).hasValue(Oci.digest(r.body()));
        assertThat(Oci.json(client.get("/v2/" + repo + "/tags/list")).path("tags").size()).isEqualTo(1);
        for (byte[] m : manifests) {
            assertThat(client.get("/v2/" + repo + "/manifests/" + Oci.digest(m)).body()).isEqualTo(m);
        }
    }

    interface Task {
        int run(int i) throws Exception;
    }

    private static List<Integer> parallel(Task task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<Integer>> futures = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                int n = i;
                futures.add(pool.submit((Callable<Integer>) () -> task.run(n)));
            }
            List<Integer> out = new ArrayList<>();
            for (Future<Integer> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}

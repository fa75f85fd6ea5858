package io.openregistry.api;

import static io.openregistry.api.Oci.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Blob pull, ranges, delete, mount, and the base endpoint. */
abstract class BlobApiContract extends ApiTestBase {

    @Test
    void baseAnswersWithApiVersion() {
        HttpResponse<byte[]> r = client.get("/v2/");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Docker-Distribution-API-Version")).hasValue("registry/2.0");
        assertThat(client.head("/v2/").statusCode()).isEqualTo(200);
    }

    @Test
    void pulledBlobIsByteExactWithHeaders() {
        String repo = repo("blob");
        byte[] content = Oci.random(300_000);
        String digest = pushBlob(repo, content);
        HttpResponse<byte[]> head = client.head("/v2/" + repo + "/blobs/" + digest);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("Content-Length")).hasValue("300000");
        assertThat(head.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
        assertThat(head.body()).isEmpty();
        HttpResponse<byte[]> get = client.get("/v2/" + repo + "/blobs/" + digest);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).isEqualTo(content);
        assertThat(get.headers().firstValue("Accept-Ranges")).hasValue("bytes");
    }

    @Test
    void rangeRequestsAreHonoured() {
        String repo = repo("range");
        byte[] content = Oci.random(1000);
        String digest = pushBlob(repo, content);
        String path = "/v2/" + repo + "/blobs/" + digest;
        HttpResponse<byte[]> mid = client.get(path, "Range", "bytes=10-19");
        assertThat(mid.statusCode()).isEqualTo(206);
        assertThat(mid.headers().firstValue("Content-Range")).hasValue("bytes 10-19/1000");
        assertThat(mid.body()).isEqualTo(Arrays.copyOfRange(content, 10, 20));
        HttpResponse<byte[]> open = client.get(path, "Range", "bytes=990-");
        assertThat(open.statusCode()).isEqualTo(206);
        assertThat(open.body()).isEqualTo(Arrays.copyOfRange(content, 990, 1000));
        HttpResponse<byte[]> suffix = client.get(path, "Range", "bytes=-5");
        assertThat(suffix.body()).isEqualTo(Arrays.copyOfRange(content, 995, 1000));
        HttpResponse<byte[]> clipped = client.get(path, "Range", "bytes=995-5000");
        assertThat(clipped.headers().firstValue("Content-Range")).hasValue("bytes 995-999/1000");
        HttpResponse<byte[]> beyond = client.get(path, "Range", "bytes=1000-");
        assertError(beyond, 416, "RANGE_INVALID");
        assertThat(beyond.headers().firstValue("Content-Range")).hasValue("bytes */1000");
    }

    @Test
    void oddRangesAreAnsweredExactly() {
        String repo = repo("odd-range");
        byte[] content = Oci.random(1000);
        String path = "/v2/" + repo + "/blobs/" + pushBlob(repo, content);
        // valid ranges that select nothing: 416 with the size, whatever the size of the numbers
        for (String range : new String[] {"bytes=9223372036854775807-", "bytes=9223372036854775808-",
                "bytes=99999999999999999999999999-", "bytes=1000-1000", "bytes=1000-99999999999999999999", "bytes=-0",
                "bytes=9223372036854775807-9223372036854775807"}) {
            HttpResponse<byte[]> r = client.get(path, "Range", range);
            assertError(r, 416, "RANGE_INVALID");
            assertThat(r.headers().firstValue("Content-Range")).as(range).hasValue("bytes */1000");
        }
        HttpResponse<byte[]> head = client.head(path, "Range", "bytes=9223372036854775807-");
        assertThat(head.statusCode()).isEqualTo(416);
        // huge last positions and suffix lengths reach the end of the blob
        for (String range : new String[] {"bytes=990-9223372036854775807", "bytes=990-99999999999999999999",
                "BYTES=990-", "bytes= 990-"}) {
            HttpResponse<byte[]> r = client.get(path, "Range", range);
            assertThat(r.statusCode()).as(range).isEqualTo(206);
            assertThat(r.headers().firstValue("Content-Range")).as(range).hasValue("bytes 990-999/1000");
            assertThat(r.body()).isEqualTo(Arrays.copyOfRange(content, 990, 1000));
        }
        for (String range : new String[] {"bytes=-9223372036854775807", "bytes=-99999999999999999999", "bytes=-1000"}) {
            HttpResponse<byte[]> r = client.get(path, "Range", range);
            assertThat(r.statusCode()).as(range).isEqualTo(206);
            assertThat(r.headers().firstValue("Content-Range")).as(range).hasValue("bytes 0-999/1000");
            assertThat(r.body()).isEqualTo(content);
        }
        // not a valid single byte range: ignored, the whole blob
        for (String range : new String[] {"bytes=20-10", "bytes=-", "bytes=abc", "items=0-5", "bytes=0-1,5-6",
                "bytes=1-2-3", "bytes=+5-9", "bytes=5--9"}) {
            HttpResponse<byte[]> r = client.get(path, "Range", range);
            assertThat(r.statusCode()).as(range).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Range")).as(range).isEmpty();
            assertThat(r.body()).as(range).isEqualTo(content);
        }
    }

    @Test
    void anyRangeOfAnEmptyBlobIsUnsatisfiable() {
        String repo = repo("empty-range");
        String path = "/v2/" + repo + "/blobs/" + pushBlob(repo, new byte[0]);
        for (String range : new String[] {"bytes=0-", "bytes=-1", "bytes=0-0"}) {
            HttpResponse<byte[]> r = client.get(path, "Range", range);
            assertError(r, 416, "RANGE_INVALID");
            assertThat(r.headers().firstValue("Content-Range")).as(range).hasValue("bytes */0");
        }
        assertThat(client.get(path, "Range", "bytes=5-1").statusCode()).isEqualTo(200);
    }

    @Test
    void unknownBlobIs404() {
        String repo = repo("unknown");
        String digest = Oci.digest(Oci.random(10));
        assertError(client.get("/v2/" + repo + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
        assertThat(client.head("/v2/" + repo + "/blobs/" + digest).statusCode()).isEqualTo(404);
    }

    @Test
    void blobIsOnlyPullableFromRepositoriesItIsLinkedTo() {
        String a = repo("linked-a");
        String b = repo("linked-b");
        String digest = pushBlob(a, Oci.random(100));
        pushBlob(b, Oci.random(100));
        assertError(client.get("/v2/" + b + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
    }

    @Test
    void deleteUnlinksTheBlob() {
        String repo = repo("delete");
        String digest = pushBlob(repo, Oci.random(100));
        // read first, so that a cache holds the link the delete must then remove
        assertThat(client.head("/v2/" + repo + "/blobs/" + digest).statusCode()).isEqualTo(200);
        assertThat(client.delete("/v2/" + repo + "/blobs/" + digest).statusCode()).isEqualTo(202);
        assertError(client.get("/v2/" + repo + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
        assertError(client.delete("/v2/" + repo + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
    }

    @Test
    void crossRepositoryMount() {
        String from = repo("mount-from");
        String to = repo("mount-to");
        byte[] content = Oci.random(5000);
        String digest = pushBlob(from, content);
        HttpResponse<byte[]> r = client.post("/v2/" + to + "/blobs/uploads/?mount=" + digest + "&from=" + from, null);
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.headers().firstValue("Location")).hasValue("/v2/" + to + "/blobs/" + digest);
        assertThat(r.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
        assertThat(client.get("/v2/" + to + "/blobs/" + digest).body()).isEqualTo(content);
    }

    @Test
    void mountOfAnUnknownBlobFallsBackToAnUpload() {
        String to = repo("mount-fallback");
        String digest = Oci.digest(Oci.random(10));
        HttpResponse<byte[]> r = client.post("/v2/" + to + "/blobs/uploads/?mount=" + digest + "&from=" + repo("none"), null);
        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(r.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).startsWith("/v2/" + to + "/blobs/uploads/"));
        assertError(client.get("/v2/" + to + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
    }

    @Test
    void mountWithInvalidArgumentsFallsBackToAnUpload() {
        String to = repo("mount-invalid");
        for (String query : new String[] {"mount=sha256:nothex&from=" + repo("x"), "mount=" + Oci.digest(new byte[1]) + "&from=UPPER",
                "mount=" + Oci.digest(new byte[2])}) {
            HttpResponse<byte[]> r = client.post("/v2/" + to + "/blobs/uploads/?" + query, null);
            assertThat(r.statusCode()).as(query).isEqualTo(202);
            assertThat(r.headers().firstValue("Location")).isPresent();
        }
    }

    @Test
    void malformedNamesAndDigestsAreRejected() {
        String digest = Oci.digest(new byte[1]);
        assertError(client.get("/v2/Upper/blobs/" + digest), 400, "NAME_INVALID");
        assertError(client.get("/v2/a..b/blobs/" + digest), 400, "NAME_INVALID");
        assertError(client.get("/v2/ok/blobs/sha256:xyz"), 400, "DIGEST_INVALID");
        assertError(client.get("/v2/ok/blobs/md5:d41d8cd98f00b204e9800998ecf8427e"), 400, "DIGEST_INVALID");
        assertError(client.get("/v2/ok/blobs/sha256:" + "A".repeat(64)), 400, "DIGEST_INVALID");
        assertError(client.get("/v2/" + "a".repeat(256) + "/blobs/" + digest), 400, "NAME_INVALID");
    }

    @Test
    void unknownEndpointsAndMethods() {
        assertError(client.get("/v2/foo/bar"), 404, "UNSUPPORTED");
        HttpResponse<byte[]> r = client.send("POST", "/v2/foo/tags/list", new byte[0]);
        assertError(r, 405, "UNSUPPORTED");
    }
}

package io.openregistry.api;

import static io.openregistry.api.Oci.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.oci.Digest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Upload sessions: monolithic, streamed, chunked, status, cancel, and every way to get them wrong. */
abstract class UploadApiContract extends ApiTestBase {

    @Test
    void postThenPutWithBody() {
        String repo = repo("two-step");
        byte[] content = Oci.random(70_000);
        String location = startUpload(repo);
        HttpResponse<byte[]> r = client.put(with(location, "digest=" + Oci.digest(content)), content);
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(client.get("/v2/" + repo + "/blobs/" + Oci.digest(content)).body()).isEqualTo(content);
        assertError(client.get(location), 404, "BLOB_UPLOAD_UNKNOWN");
    }

    @Test
    void chunkedUploadWithStatus() {
        String repo = repo("chunked");
        byte[] content = Oci.random(3 * 100_000);
        HttpResponse<byte[]> start = client.post("/v2/" + repo + "/blobs/uploads/", null);
        assertThat(start.statusCode()).isEqualTo(202);
        assertThat(start.headers().firstValue("OCI-Chunk-Min-Length")).isPresent();
        assertThat(start.headers().firstValue("Docker-Upload-UUID")).isPresent();
        String location = start.headers().firstValue("Location").orElseThrow();
        for (int i = 0; i < 3; i++) {
            int from = i * 100_000;
            HttpResponse<byte[]> p = client.patch(location, Arrays.copyOfRange(content, from, from + 100_000),
                    "Content-Range", from + "-" + (from + 99_999), "Content-Type", "application/octet-stream");
            assertThat(p.statusCode()).as(new String(p.body())).isEqualTo(202);
            assertThat(p.headers().firstValue("Range")).hasValue("0-" + (from + 99_999));
            location = p.headers().firstValue("Location").orElseThrow();
            HttpResponse<byte[]> status = client.get(location);
            assertThat(status.statusCode()).isEqualTo(204);
            assertThat(status.headers().firstValue("Range")).hasValue("0-" + (from + 99_999));
        }
        HttpResponse<byte[]> done = client.put(with(location, "digest=" + Oci.digest(content)), null);
        assertThat(done.statusCode()).isEqualTo(201);
        assertThat(client.get("/v2/" + repo + "/blobs/" + Oci.digest(content)).body()).isEqualTo(content);
    }

    @Test
    void streamedPatchWithoutContentRange() {
        String repo = repo("streamed");
        byte[] content = Oci.random(1_000_000);
        String location = startUpload(repo);
        HttpResponse<byte[]> p = client.patch(location, content);
        assertThat(p.statusCode()).isEqualTo(202);
        assertThat(p.headers().firstValue("Range")).hasValue("0-999999");
        byte[] last = Oci.random(10);
        byte[] whole = new byte[content.length + last.length];
        System.arraycopy(content, 0, whole, 0, content.length);
        System.arraycopy(last, 0, whole, content.length, last.length);
        HttpResponse<byte[]> done = client.put(with(p.headers().firstValue("Location").orElseThrow(),
                "digest=" + Oci.digest(whole)), last);
        assertThat(done.statusCode()).isEqualTo(201);
        assertThat(client.get("/v2/" + repo + "/blobs/" + Oci.digest(whole)).body()).isEqualTo(whole);
    }

    @Test
    void outOfOrderAndOverlappingChunksAre416() {
        String repo = repo("order");
        String location = startUpload(repo);
        assertThat(client.patch(location, new byte[100], "Content-Range", "0-99").statusCode()).isEqualTo(202);
        HttpResponse<byte[]> gap = client.patch(location, new byte[100], "Content-Range", "200-299");
        assertError(gap, 416, "RANGE_INVALID");
        assertThat(gap.headers().firstValue("Range")).hasValue("0-99");
        assertError(client.patch(location, new byte[100], "Content-Range", "50-149"), 416, "RANGE_INVALID");
        assertThat(client.get(location).headers().firstValue("Range")).hasValue("0-99");
    }

    @Test
    void badContentRangeAndLengthMismatch() {
        String location = startUpload(repo("bad-range"));
        HttpResponse<byte[]> malformed = client.patch(location, new byte[10], "Content-Range", "abc");
        assertError(malformed, 416, "RANGE_INVALID");
        assertThat(malformed.headers().firstValue("Range")).hasValue("0-0");
        assertThat(malformed.headers().firstValue("Location")).hasValue(location);
        assertError(client.patch(location, new byte[10], "Content-Range", "9-0"), 416, "RANGE_INVALID");
        assertError(client.patch(location, new byte[10], "Content-Range", "0-19"), 400, "SIZE_INVALID");
        assertThat(client.get(location).headers().firstValue("Range")).hasValue("0-0");
        assertThat(client.patch(location, new byte[10], "Content-Range", "0-9").statusCode()).isEqualTo(202);
    }

    @Test
    void digestMismatchLeavesNoTrace() {
        String repo = repo("mismatch");
        byte[] content = Oci.random(1000);
        String wrong = Oci.digest(Oci.random(1000));
        String location = startUpload(repo);
        client.patch(location, content);
        assertError(client.put(with(location, "digest=" + wrong), null), 400, "DIGEST_INVALID");
        assertError(client.get("/v2/" + repo + "/blobs/" + wrong), 404, "BLOB_UNKNOWN");
        assertError(client.get("/v2/" + repo + "/blobs/" + Oci.digest(content)), 404, "BLOB_UNKNOWN");
        assertError(client.get(location), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(client.post("/v2/" + repo + "/blobs/uploads/?digest=" + wrong, content), 400, "DIGEST_INVALID");
        assertError(client.head("/v2/" + repo + "/blobs/" + wrong), 404, "BLOB_UNKNOWN");
    }

    @Test
    void sha512Digests() {
        String repo = repo("sha512");
        byte[] content = Oci.random(5000);
        String digest = Digest.of(Digest.Algorithm.SHA512, content).toString();
        assertThat(client.post("/v2/" + repo + "/blobs/uploads/?digest=" + digest, content).statusCode()).isEqualTo(201);
        assertThat(client.get("/v2/" + repo + "/blobs/" + digest).body()).isEqualTo(content);
        byte[] other = Oci.random(5000);
        String location = startUpload(repo);
        String next = client.patch(location, other).headers().firstValue("Location").orElseThrow();
        String digest2 = Digest.of(Digest.Algorithm.SHA512, other).toString();
        assertThat(client.put(with(next, "digest=" + digest2), null).statusCode()).isEqualTo(201);
        assertThat(client.get("/v2/" + repo + "/blobs/" + digest2).body()).isEqualTo(other);
    }

    @Test
    void emptyBlob() {
        String repo = repo("empty");
        String digest = pushBlob(repo, new byte[0]);
        HttpResponse<byte[]> r = client.get("/v2/" + repo + "/blobs/" + digest);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEmpty();
    }

    @Test
    void cancelAndUnknownUploads() {
        String repo = repo("cancel");
        String location = startUpload(repo);
        client.patch(location, new byte[10]);
        assertThat(client.delete(location).statusCode()).isEqualTo(204);
        assertError(client.get(location), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(client.patch(location, new byte[1]), 404, "BLOB_UPLOAD_UNKNOWN");
        assertError(client.delete(location), 404, "BLOB_UPLOAD_UNKNOWN");
        String other = startUpload(repo("cancel-other"));
        String foreign = "/v2/" + repo + "/blobs/uploads/" + other.substring(other.lastIndexOf('/') + 1);
        assertError(client.get(foreign), 404, "BLOB_UPLOAD_UNKNOWN");
    }

    @Test
    void malformedQueryStringIsAClientError() throws Exception {
        String repo = repo("query");
        for (String target : new String[] {"/v2/" + repo + "/blobs/uploads/?digest=%ZZ", "/v2/" + repo + "/tags/list?last=%"}) {
            String response = client.raw(target.contains("uploads") ? "POST" : "GET", target);
            assertThat(response).startsWith("HTTP/1.1 400 ").contains("\"code\":\"UNSUPPORTED\"");
        }
    }

    @Test
    void putWithoutDigestIsRejected() {
        String location = startUpload(repo("nodigest"));
        assertError(client.put(location, new byte[1]), 400, "DIGEST_INVALID");
        assertError(client.put(with(location, "digest=sha256:nothex"), null), 400, "DIGEST_INVALID");
    }

    @Test
    void truncatedUploadsCommitNothing() throws Exception {
        String repo = repo("truncated");
        byte[] content = Oci.random(50_000);
        String digest = Oci.digest(content);
        client.truncated("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + digest, 100_000, content);
        assertError(client.get("/v2/" + repo + "/blobs/" + digest), 404, "BLOB_UNKNOWN");
        String location = startUpload(repo);
        assertThat(client.patch(location, Arrays.copyOf(content, 1000)).statusCode()).isEqualTo(202);
        client.truncated("PATCH", location, 100_000, Arrays.copyOfRange(content, 1000, 20_000));
        HttpResponse<byte[]> status = client.get(location);
        assertThat(status.statusCode()).isEqualTo(204);
        assertThat(status.headers().firstValue("Range")).hasValue("0-999");
        // the session is still usable from where it really was (once the server has noticed the cut)
        HttpResponse<byte[]> resumed = null;
        for (int attempt = 0; attempt < 50; attempt++) {
            resumed = client.patch(location, Arrays.copyOfRange(content, 1000, content.length),
                    "Content-Range", "1000-" + (content.length - 1));
            if (resumed.statusCode() != 416) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(resumed.statusCode()).isEqualTo(202);
        assertThat(client.put(with(location, "digest=" + digest), null).statusCode()).isEqualTo(201);
        assertThat(client.get("/v2/" + repo + "/blobs/" + digest).body()).isEqualTo(content);
    }
}

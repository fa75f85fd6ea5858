package io.openregistry.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** The OCI upload protocol, request by request, against whichever replica each request is sent to. */
final class ReplicaHttp {
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private ReplicaHttp() {
    }

    static String base(RegistryProcess replica) {
        return "http://127.0.0.1:" + replica.port();
    }

    static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    static String digest(byte[] content) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String withDigest(String location, String digest) {
        return location + (location.contains("?") ? "&" : "?") + "digest=" + digest;
    }

    /** A request to {@code replica}; {@code path} is absolute-path (upload locations are relative). */
    static HttpResponse<byte[]> send(RegistryProcess replica, String method, String path, byte[] body,
                                     String... headers) {
        return exchange(replica, method, path,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body),
                headers);
    }

    /** A body of unknown length: the client sends it with {@code Transfer-Encoding: chunked}. */
    static HttpResponse<byte[]> sendStreamed(RegistryProcess replica, String method, String path, byte[] body,
                                             String... headers) {
        return exchange(replica, method, path, HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)),
                headers);
    }

    private static HttpResponse<byte[]> exchange(RegistryProcess replica, String method, String path,
                                             HttpRequest.BodyPublisher body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base(replica) + path))
                .timeout(Duration.ofSeconds(120)).method(method, body);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " on port " + replica.port(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A GET on the replica's admin listener. */
    static HttpResponse<byte[]> sendAdmin(RegistryProcess replica, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + replica.adminPort() + path))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String text(HttpResponse<byte[]> r) {
        return r.request().method() + " " + r.request().uri() + " -> " + r.statusCode() + " "
                + new String(r.body(), StandardCharsets.UTF_8);
    }

    static String startUpload(RegistryProcess replica, String repo) {
        HttpResponse<byte[]> post = send(replica, "POST", "/v2/" + repo + "/blobs/uploads/", null);
        assertThat(post.statusCode()).as(text(post)).isEqualTo(202);
        return post.headers().firstValue("Location").orElseThrow();
    }

    /** PATCH bytes [from, to) of {@code content} with a Content-Range; returns the next location. */
    static String patch(RegistryProcess replica, String location, byte[] content, int from, int to) {
        HttpResponse<byte[]> r = send(replica, "PATCH", location, Arrays.copyOfRange(content, from, to),
                "Content-Type", "application/octet-stream", "Content-Range", from + "-" + (to - 1));
        assertThat(r.statusCode()).as(text(r)).isEqualTo(202);
        assertThat(r.headers().firstValue("Range")).as(text(r)).hasValue("0-" + (to - 1));
        return r.headers().firstValue("Location").orElseThrow();
    }

    /** A blob GET on {@code replica} whose body is {@code content}, with its digest in the header. */
    static void assertBlob(RegistryProcess replica, String repo, byte[] content) {
        String digest = digest(content);
        HttpResponse<byte[]> get = send(replica, "GET", "/v2/" + repo + "/blobs/" + digest, null);
        assertThat(get.statusCode()).as(text(get)).isEqualTo(200);
        assertThat(get.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
        assertThat(digest(get.body())).as("digest of the bytes pulled from port %d", replica.port()).isEqualTo(digest);
    }

    /** POST on one replica, PUT with the whole body and the digest on the other: 201. */
    static void pushMonolithic(RegistryProcess post, RegistryProcess put, String repo, byte[] content) {
        String location = startUpload(post, repo);
        HttpResponse<byte[]> r = send(put, "PUT", withDigest(location, digest(content)), content,
                "Content-Type", "application/octet-stream");
        assertThat(r.statusCode()).as(text(r)).isEqualTo(201);
    }

    /**
     * A request whose body is left unfinished on the wire: headers and the first part of the body
     * are written through a plain socket, and the rest never comes (until the socket is closed).
     */
    static final class InFlight implements AutoCloseable {
        private final Socket socket;

        private InFlight(Socket socket) {
            this.socket = socket;
        }

        /** A PATCH of [from, to) with Content-Range and Content-Length, of which {@code sent} bytes go out. */
        static InFlight patch(RegistryProcess replica, String location, byte[] content, int from, int to, int sent)
                throws IOException {
            InFlight f = open(replica, "PATCH " + location + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/octet-stream\r\nContent-Range: " + from + "-" + (to - 1)
                    + "\r\nContent-Length: " + (to - from) + "\r\n\r\n");
            f.socket.getOutputStream().write(content, from, sent);
            f.socket.getOutputStream().flush();
            return f;
        }

        /** A PUT ?digest= whose body is chunk-encoded (no Content-Length), of which {@code sent} bytes go out. */
        static InFlight streamedPut(RegistryProcess replica, String location, String digest, byte[] content, int sent)
                throws IOException {
            InFlight f = open(replica, "PUT " + withDigest(location, digest) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
            OutputStream out = f.socket.getOutputStream();
            for (int at = 0; at < sent; at += 64 * 1024) {
                int n = Math.min(64 * 1024, sent - at);
                out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(content, at, n);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.flush();
            return f;
        }

        private static InFlight open(RegistryProcess replica, String head) throws IOException {
            Socket socket = new Socket("127.0.0.1", replica.port());
            socket.setSoTimeout(120_000);
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            return new InFlight(socket);
        }

        /** Whatever the server answered before the connection ended (nothing, when it was killed). */
        String answer() {
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            try {
                InputStream in = socket.getInputStream();
                byte[] buffer = new byte[8192];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    got.write(buffer, 0, n);
                }
            } catch (IOException reset) {
                // a killed process's kernel resets the connection: what came before is the answer
            }
            return got.toString(StandardCharsets.ISO_8859_1);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}

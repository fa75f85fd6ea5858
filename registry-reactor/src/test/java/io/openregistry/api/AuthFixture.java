package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.openregistry.RegistryServer;
import io.openregistry.config.Config;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A registry with access control on, and the client side of the token protocol as docker,
 * podman and containerd speak it: ask {@code /token} for scopes (Basic credentials or none), then
 * call the API with the bearer token.
 */
final class AuthFixture implements AutoCloseable {
    static final String SERVICE = "openregistry-test";
    static final String ADMIN = "root";
    static final String ADMIN_PASSWORD = "root-password-1";

    final RegistryServer server;
    final TestClient client;

    /** Who asks for a token: a username and a password or PAT, or anonymous (both null). */
    record Who(String username, String secret) {
        static final Who ANONYMOUS = new Who(null, null);

        String[] basic() {
            return username == null ? new String[0] : new String[] {"Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString((username + ":" + secret).getBytes(StandardCharsets.UTF_8))};
        }
    }

    private AuthFixture(RegistryServer server) {
        this.server = server;
        this.client = new TestClient(server.baseUrl(), server.port());
    }

    static AuthFixture start(RegistryServer.Backend backend, boolean signup, int requestsPerMinute, int failuresPerMinute) {
        return start(backend, dir -> auth(dir, signup, requestsPerMinute, failuresPerMinute));
    }

    /** A registry with access control as {@code auth} makes it from the data directory. */
    static AuthFixture start(RegistryServer.Backend backend, java.util.function.Function<Path, Config.Auth> auth) {
        return new AuthFixture(RegistryServer.start(backend, null, null, auth));
    }

    /** The client side for a registry started elsewhere with {@link #auth} (for example with other upload settings). */
    static AuthFixture of(RegistryServer server) {
        return new AuthFixture(server);
    }

    static AuthFixture start(RegistryServer.Backend backend) {
        return start(backend, true, 100_000, 100_000);
    }

    /** Per-account failures three times the per-address ones; sign-ups and hashing practically unlimited. */
    static Config.Auth auth(Path dir, boolean signup, int requestsPerMinute, int failuresPerMinute) {
        return auth(dir, signup, requestsPerMinute, failuresPerMinute,
                (int) Math.min(1_000_000L, 3L * failuresPerMinute), 100_000);
    }

    static Config.Auth auth(Path dir, boolean signup, int requestsPerMinute, int failuresPerMinute,
                            int accountFailuresPerMinute, int signupsPerHour) {
        return new Config.Auth(true, SERVICE, "openregistry-test-issuer", null, Duration.ofMinutes(5),
                dir.resolve("keys"), ADMIN, ADMIN_PASSWORD, signup, false, Duration.ofDays(1), requestsPerMinute,
                failuresPerMinute, accountFailuresPerMinute, signupsPerHour, 4, Duration.ofSeconds(30));
    }

    /** An answer read off a raw socket. */
    record Raw(int status, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }

        JsonNode json() {
            try {
                return Oci.JSON.readTree(body);
            } catch (java.io.IOException e) {
                throw new AssertionError("not JSON: " + new String(body, StandardCharsets.UTF_8), e);
            }
        }

        /** Asserts the status and that the body is the OCI error JSON with this code. */
        void assertError(int expectedStatus, String code) {
            assertThat(status).as(new String(body, StandardCharsets.UTF_8)).isEqualTo(expectedStatus);
            assertThat(header("Content-Type")).isEqualTo("application/json");
            assertThat(json().path("errors").path(0).path("code").asText()).isEqualTo(code);
        }
    }

    /**
     * Sends one request from the loopback address {@code from} (any of 127.0.0.0/8: the
     * registry keys its rate limits by the TCP peer's address, so this is another client).
     */
    Raw from(String from, String method, String path, byte[] body, String... headers) {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.bind(new java.net.InetSocketAddress(from, 0));
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()), 10_000);
            socket.setSoTimeout(60_000);
            StringBuilder head = new StringBuilder(method).append(' ').append(path)
                    .append(" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
            for (int i = 0; i < headers.length; i += 2) {
                head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
            }
            head.append("Content-Length: ").append(body == null ? 0 : body.length).append("\r\n\r\n");
            java.io.OutputStream out = socket.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                out.write(body);
            }
            out.flush();
            byte[] all = socket.getInputStream().readAllBytes();
            String text = new String(all, StandardCharsets.ISO_8859_1);
            int end = text.indexOf("\r\n\r\n");
            assertThat(end).as(text).isPositive();
            String[] lines = text.substring(0, end).split("\r\n");
            Map<String, String> answerHeaders = new java.util.HashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                answerHeaders.put(lines[i].substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
            String length = answerHeaders.get("content-length");
            int bodyLength = length == null ? all.length - end - 4 : Integer.parseInt(length);
            return new Raw(Integer.parseInt(lines[0].split(" ")[1]), answerHeaders,
                    java.util.Arrays.copyOfRange(all, end + 4, end + 4 + bodyLength));
        } catch (java.io.IOException e) {
            throw new AssertionError(method + " " + path + " from " + from + " failed: " + e, e);
        }
    }

    /** A token request for {@code who} from the loopback address {@code from}. */
    Raw tokenFrom(String from, Who who, String... scopes) {
        StringBuilder path = new StringBuilder("/token?service=").append(SERVICE);
        for (String scope : scopes) {
            path.append("&scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
        }
        return from(from, "GET", path.toString(), null, who.basic());
    }

    /** A sign-in through the account API from the loopback address {@code from}. */
    Raw signInFrom(String from, Who who) {
        return from(from, "POST", "/auth/signin", json("username", who.username(), "password", who.secret()),
                "Content-Type", "application/json");
    }

    /** A fresh account; returns its credentials. */
    Who signUp(String prefix) {
        String username = prefix + UUID.randomUUID().toString().substring(0, 8);
        String password = "pw-" + UUID.randomUUID();
        HttpResponse<byte[]> r = client.post("/auth/signup", json("username", username, "password", password),
                "Content-Type", "application/json");
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(201);
        return new Who(username, password);
    }

    /** Creates a personal access token for {@code owner}; returns [id, secret]. */
    String[] createPat(Who owner, List<String> actions, List<String> repositories) {
        ObjectNode body = Oci.JSON.createObjectNode().put("name", "test token");
        ArrayNode a = body.putArray("actions");
        actions.forEach(a::add);
        ArrayNode r = body.putArray("repositories");
        repositories.forEach(r::add);
        HttpResponse<byte[]> response = client.post("/auth/tokens", body.toString().getBytes(StandardCharsets.UTF_8),
                concat(owner.basic(), "Content-Type", "application/json"));
        assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(201);
        JsonNode json = Oci.json(response);
        return new String[] {json.path("id").asText(), json.path("token").asText()};
    }

    HttpResponse<byte[]> tokenResponse(Who who, String... scopes) {
        StringBuilder path = new StringBuilder("/token?service=").append(SERVICE);
        for (String scope : scopes) {
            path.append("&scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
        }
        return client.get(path.toString(), who.basic());
    }

    /** A registry token for the scopes, or null when the token endpoint refuses the credentials. */
    String token(Who who, String... scopes) {
        HttpResponse<byte[]> r = tokenResponse(who, scopes);
        if (r.statusCode() == 401) {
            return null;
        }
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
        return Oci.json(r).path("token").asText();
    }

    /** Calls the API with {@code token} as bearer (none when null). */
    HttpResponse<byte[]> call(String token, String method, String path, byte[] body, String... headers) {
        String[] all = token == null ? headers : concat(new String[] {"Authorization", "Bearer " + token}, headers);
        return client.send(method, path, body, all);
    }

    /** Pushes a small unique image to {@code repo} under {@code tag} as {@code who}; returns the manifest digest. */
    String pushImage(Who who, String repo, String tag) {
        String token = token(who, "repository:" + repo + ":pull,push");
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"n\":\"" + UUID.randomUUID() + "\"}").getBytes();
        byte[] layer = Oci.random(300);
        for (byte[] blob : List.of(config, layer)) {
            HttpResponse<byte[]> r = call(token, "POST", "/v2/" + repo + "/blobs/uploads/?digest=" + Oci.digest(blob), blob,
                    "Content-Type", "application/octet-stream");
            assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(201);
        }
        byte[] manifest = Oci.imageManifest(Oci.OCI_MANIFEST, config, layer);
        HttpResponse<byte[]> r = call(token, "PUT", "/v2/" + repo + "/manifests/" + tag, manifest,
                "Content-Type", Oci.OCI_MANIFEST);
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(201);
        return Oci.digest(manifest);
    }

    /** Sets a repository's visibility through the account API as {@code who}. */
    HttpResponse<byte[]> setVisibility(Who who, String repo, String visibility) {
        return client.send("PATCH", "/auth/repositories/" + repo, json("visibility", visibility),
                concat(who.basic(), "Content-Type", "application/json"));
    }

    /** The decoded payload (claims JSON) of a v4.public token. */
    static JsonNode claims(String token) {
        String body = token.substring("v4.public.".length());
        int dot = body.indexOf('.');
        byte[] raw = Base64.getUrlDecoder().decode(dot < 0 ? body : body.substring(0, dot));
        byte[] message = java.util.Arrays.copyOf(raw, raw.length - 64);
        try {
            return Oci.JSON.readTree(message);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] json(String... keyValues) {
        ObjectNode node = Oci.JSON.createObjectNode();
        for (int i = 0; i < keyValues.length; i += 2) {
            node.put(keyValues[i], keyValues[i + 1]);
        }
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    static String[] concat(String[] a, String... b) {
        List<String> all = new ArrayList<>(List.of(a));
        all.addAll(List.of(b));
        return all.toArray(String[]::new);
    }

    @Override
    public void close() {
        server.close();
    }
}

package io.openregistry.api;

import static io.openregistry.api.Oci.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.openregistry.RegistryServer;
import io.openregistry.api.AuthFixture.Who;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Access control over HTTP, with access control on: the access matrix
 * {anonymous, owner, other user, pull-only PAT, revoked PAT} × {public, private repository} ×
 * {pull, push, delete, catalog}, the challenges, grants, mounts and visibility. Runs once per
 * database through a subclass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AccessApiContract {
    AuthFixture auth;
    TestClient client;

    abstract RegistryServer.Backend backend();

    @BeforeAll
    void start() {
        auth = AuthFixture.start(backend());
        client = auth.client;
    }

    @AfterAll
    void stop() {
        auth.close();
    }

    @Test
    void accessMatrix() {
        Who owner = auth.signUp("owner");
        Who other = auth.signUp("other");
        String pub = owner.username() + "/public-app";
        String priv = owner.username() + "/private-app";
        auth.pushImage(owner, pub, "latest");
        auth.pushImage(owner, priv, "latest");
        assertThat(auth.setVisibility(owner, pub, "public").statusCode()).isEqualTo(200);
        String[] pullPat = auth.createPat(owner, List.of("pull"), List.of());
        String[] revokedPat = auth.createPat(owner, List.of("pull", "push", "delete"), List.of());
        assertThat(auth.token(new Who(owner.username(), revokedPat[1]), "repository:" + priv + ":pull")).isNotNull();
        assertThat(client.send("DELETE", "/auth/tokens/" + revokedPat[0], null, owner.basic()).statusCode()).isEqualTo(204);

        Map<String, Who> callers = new LinkedHashMap<>();
        callers.put("anonymous", Who.ANONYMOUS);
        callers.put("owner", owner);
        callers.put("other user", other);
        callers.put("PAT pull only", new Who(owner.username(), pullPat[1]));
        callers.put("PAT revoked", new Who(owner.username(), revokedPat[1]));

        Map<String, Boolean> actual = new LinkedHashMap<>();
        for (var caller : callers.entrySet()) {
            for (String repo : List.of(pub, priv)) {
                String kind = repo.equals(pub) ? "public" : "private";
                String cell = caller.getKey() + " × " + kind + " × ";
                actual.put(cell + "pull", pull(caller.getValue(), repo));
                actual.put(cell + "push", push(caller.getValue(), repo));
                actual.put(cell + "delete", delete(caller.getValue(), owner, repo));
                actual.put(cell + "catalog", catalogShows(caller.getValue(), repo));
            }
        }

        Map<String, Boolean> expected = new LinkedHashMap<>();
        expect(expected, "anonymous", true, false, false, true, false, false, false, false);
        expect(expected, "owner", true, true, true, true, true, true, true, true);
        expect(expected, "other user", true, false, false, true, false, false, false, false);
        expect(expected, "PAT pull only", true, false, false, true, true, false, false, true);
        expect(expected, "PAT revoked", false, false, false, false, false, false, false, false);
        assertThat(actual).containsExactlyEntriesOf(expected);
    }

    /** Public repo pull, push, delete, catalog; then the same for the private repo. */
    private static void expect(Map<String, Boolean> m, String caller, boolean... cells) {
        String[] ops = {"pull", "push", "delete", "catalog"};
        for (int i = 0; i < 8; i++) {
            m.put(caller + " × " + (i < 4 ? "public" : "private") + " × " + ops[i % 4], cells[i]);
        }
    }

    /** Whether {@code who} can fetch the manifest (and only then, whether the registry says 401 otherwise). */
    private boolean pull(Who who, String repo) {
        String token = auth.token(who, "repository:" + repo + ":pull");
        HttpResponse<byte[]> r = auth.call(token, "GET", "/v2/" + repo + "/manifests/latest", null,
                "Accept", Oci.OCI_MANIFEST);
        return allowedOr401(r, 200);
    }

    private boolean push(Who who, String repo) {
        String token = auth.token(who, "repository:" + repo + ":pull,push");
        byte[] blob = Oci.random(100);
        HttpResponse<byte[]> r = auth.call(token, "POST", "/v2/" + repo + "/blobs/uploads/?digest=" + Oci.digest(blob),
                blob, "Content-Type", "application/octet-stream");
        return allowedOr401(r, 201);
    }

    /** Deletes a manifest the owner pushed for the purpose (so each cell has something to delete). */
    private boolean delete(Who who, Who owner, String repo) {
        String digest = auth.pushImage(owner, repo, "doomed");
        String token = auth.token(who, "repository:" + repo + ":delete");
        HttpResponse<byte[]> r = auth.call(token, "DELETE", "/v2/" + repo + "/manifests/" + digest, null);
        return allowedOr401(r, 202);
    }

    private boolean catalogShows(Who who, String repo) {
        String token = auth.token(who, "registry:catalog:*");
        HttpResponse<byte[]> r = auth.call(token, "GET", "/v2/_catalog", null);
        if (r.statusCode() == 401) {
            return false;
        }
        assertThat(r.statusCode()).isEqualTo(200);
        List<String> names = new ArrayList<>();
        Oci.json(r).path("repositories").forEach(n -> names.add(n.asText()));
        return names.contains(repo);
    }

    /** True for the success status; false for a 401 challenge; anything else fails the test. */
    private static boolean allowedOr401(HttpResponse<byte[]> r, int success) {
        if (r.statusCode() == success) {
            return true;
        }
        assertError(r, 401, "UNAUTHORIZED");
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer "));
        return false;
    }

    @Test
    void privateRepositoryAnswersExactlyLikeAMissingOne() {
        Who owner = auth.signUp("owner");
        Who other = auth.signUp("other");
        String priv = owner.username() + "/secret";
        auth.pushImage(owner, priv, "v1");
        String missing = owner.username() + "/nothing-here";
        for (Who who : List.of(Who.ANONYMOUS, other)) {
            for (String path : List.of("/manifests/v1", "/tags/list", "/blobs/sha256:" + "0".repeat(64))) {
                HttpResponse<byte[]> a = auth.call(auth.token(who, "repository:" + priv + ":pull"), "GET",
                        "/v2/" + priv + path, null);
                HttpResponse<byte[]> b = auth.call(auth.token(who, "repository:" + missing + ":pull"), "GET",
                        "/v2/" + missing + path, null);
                assertThat(a.statusCode()).isEqualTo(401).isEqualTo(b.statusCode());
                assertThat(new String(a.body()).replace(priv, "NAME"))
                        .isEqualTo(new String(b.body()).replace(missing, "NAME"));
                assertThat(a.headers().firstValue("WWW-Authenticate").orElseThrow().replace(priv, "NAME"))
                        .isEqualTo(b.headers().firstValue("WWW-Authenticate").orElseThrow().replace(missing, "NAME"));
            }
            // the account API does not tell them apart either
            HttpResponse<byte[]> a = client.get("/auth/repositories/" + priv, who.basic());
            HttpResponse<byte[]> b = client.get("/auth/repositories/" + missing, who.basic());
            assertThat(a.statusCode()).isEqualTo(b.statusCode()).isIn(401, 404);
        }
    }

    @Test
    void challengesNameExactlyTheScopeARequestNeeds() {
        String repo = "someone/app";
        String digest = "sha256:" + "a".repeat(64);
        Map<String[], String> cases = new LinkedHashMap<>();
        cases.put(new String[] {"GET", "/v2/"}, null);
        cases.put(new String[] {"GET", "/v2/_catalog"}, "registry:catalog:*");
        cases.put(new String[] {"GET", "/v2/" + repo + "/tags/list"}, "repository:someone/app:pull");
        cases.put(new String[] {"HEAD", "/v2/" + repo + "/manifests/latest"}, "repository:someone/app:pull");
        cases.put(new String[] {"GET", "/v2/" + repo + "/blobs/" + digest}, "repository:someone/app:pull");
        cases.put(new String[] {"PUT", "/v2/" + repo + "/manifests/latest"}, "repository:someone/app:pull,push");
        cases.put(new String[] {"POST", "/v2/" + repo + "/blobs/uploads/"}, "repository:someone/app:pull,push");
        cases.put(new String[] {"PATCH", "/v2/" + repo + "/blobs/uploads/abc"}, "repository:someone/app:pull,push");
        cases.put(new String[] {"DELETE", "/v2/" + repo + "/manifests/" + digest}, "repository:someone/app:delete");
        cases.put(new String[] {"DELETE", "/v2/" + repo + "/blobs/" + digest}, "repository:someone/app:delete");
        cases.put(new String[] {"GET", "/v2/" + repo + "/referrers/" + digest}, "repository:someone/app:pull");
        for (var c : cases.entrySet()) {
            HttpResponse<byte[]> r = client.send(c.getKey()[0], c.getKey()[1], null);
            assertThat(r.statusCode()).as(c.getKey()[0] + " " + c.getKey()[1]).isEqualTo(401);
            String expected = "Bearer realm=\"" + auth.server.baseUrl() + "/token\",service=\"" + AuthFixture.SERVICE + "\""
                    + (c.getValue() == null ? "" : ",scope=\"" + c.getValue() + "\"");
            assertThat(r.headers().firstValue("WWW-Authenticate")).as(c.getKey()[1]).hasValue(expected);
        }
        // a token without the scope: insufficient_scope; a broken token: invalid_token
        Who user = auth.signUp("u");
        String pullOnly = auth.token(user, "repository:" + user.username() + "/x:pull");
        HttpResponse<byte[]> r = auth.call(pullOnly, "POST", "/v2/" + user.username() + "/x/blobs/uploads/", null);
        assertError(r, 401, "UNAUTHORIZED");
        assertThat(r.headers().firstValue("WWW-Authenticate").orElseThrow())
                .endsWith(",scope=\"repository:" + user.username() + "/x:pull,push\",error=\"insufficient_scope\"");
        r = auth.call(pullOnly.substring(0, pullOnly.length() - 4) + "AAAA", "GET", "/v2/", null);
        assertThat(r.headers().firstValue("WWW-Authenticate").orElseThrow()).endsWith(",error=\"invalid_token\"");
        assertThat(auth.call(pullOnly, "GET", "/v2/", null).statusCode()).isEqualTo(200);
        // the second use of a token is a cache hit (one signature check per token)
        double hits = cacheHits();
        assertThat(auth.call(pullOnly, "GET", "/v2/", null).statusCode()).isEqualTo(200);
        assertThat(cacheHits()).isEqualTo(hits + 1);
    }

    private double cacheHits() {
        HttpResponse<byte[]> scrape = client.get(auth.server.adminUrl() + "/metrics");
        for (String line : new String(scrape.body()).split("\n")) {
            if (line.startsWith("cache_gets_total{") && line.contains("cache=\"access-tokens\"")
                    && line.contains("result=\"hit\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no access-token cache hits in the metrics");
    }

    @Test
    void aTokenGrantsTheIntersectionOfRequestAndRights() {
        Who alice = auth.signUp("alice");
        Who bob = auth.signUp("bob");
        auth.pushImage(alice, alice.username() + "/app", "v1");
        HttpResponse<byte[]> r = auth.tokenResponse(bob, "repository:" + alice.username() + "/app:pull,push",
                "repository:" + bob.username() + "/tool:pull,push,delete", "registry:catalog:*",
                "repository:not a name:pull", "garbage");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = Oci.json(r);
        assertThat(body.path("access_token").asText()).isEqualTo(body.path("token").asText());
        assertThat(body.path("expires_in").asLong()).isEqualTo(300);
        assertThat(body.path("issued_at").asText()).isNotEmpty();
        assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
        JsonNode claims = AuthFixture.claims(body.path("token").asText());
        assertThat(claims.path("sub").asText()).isEqualTo(bob.username());
        assertThat(claims.path("aud").asText()).isEqualTo(AuthFixture.SERVICE);
        assertThat(claims.path("iss").asText()).isEqualTo("openregistry-test-issuer");
        assertThat(claims.path("jti").asText()).isNotEmpty();
        assertThat(claims.path("access").toString()).isEqualTo("[{\"type\":\"repository\",\"name\":\"" + bob.username()
                + "/tool\",\"actions\":[\"pull\",\"push\",\"delete\"]},{\"type\":\"registry\",\"name\":\"catalog\","
                + "\"actions\":[\"*\"]}]");

        // anonymous: nothing but what is public, and the catalog (filtered)
        JsonNode anon = AuthFixture.claims(auth.token(Who.ANONYMOUS, "repository:" + alice.username() + "/app:pull"));
        assertThat(anon.path("sub").asText()).isEmpty();
        assertThat(anon.path("access").size()).isZero();
        // a PAT limited to one repository grants nothing elsewhere, even in its owner's namespace
        String[] pat = auth.createPat(alice, List.of("push"), List.of(alice.username() + "/app"));
        JsonNode limited = AuthFixture.claims(auth.token(new Who(alice.username(), pat[1]),
                "repository:" + alice.username() + "/app:pull,push,delete", "repository:" + alice.username() + "/other:pull"));
        assertThat(limited.path("access").toString()).isEqualTo("[{\"type\":\"repository\",\"name\":\""
                + alice.username() + "/app\",\"actions\":[\"pull\",\"push\"]}]");
        // ... and no catalog, which would list the namespace beyond its repositories
        assertThat(AuthFixture.claims(auth.token(new Who(alice.username(), pat[1]), "registry:catalog:*"))
                .path("access").size()).isZero();
        // the PAT of one account is no password of another
        assertThat(auth.tokenResponse(new Who(bob.username(), pat[1]), "registry:catalog:*").statusCode()).isEqualTo(401);
        // another service is refused
        assertError(client.get("/token?service=elsewhere&scope=registry:catalog:*"), 400, "INVALID_REQUEST");
    }

    @Test
    void pushingIntoSomeoneElsesNamespaceIsDenied() {
        Who alice = auth.signUp("alice");
        Who bob = auth.signUp("bob");
        String token = auth.token(bob, "repository:" + alice.username() + "/new:pull,push");
        byte[] blob = Oci.random(10);
        assertError(auth.call(token, "POST", "/v2/" + alice.username() + "/new/blobs/uploads/?digest=" + Oci.digest(blob),
                blob), 401, "UNAUTHORIZED");
        // nor at the top level, which belongs to no account
        token = auth.token(bob, "repository:toplevel:pull,push");
        assertError(auth.call(token, "POST", "/v2/toplevel/blobs/uploads/", null), 401, "UNAUTHORIZED");
        // the admin may push anywhere
        Who admin = new Who(AuthFixture.ADMIN, AuthFixture.ADMIN_PASSWORD);
        auth.pushImage(admin, "toplevel" + UUID.randomUUID().toString().substring(0, 6), "v1");
        // a namespace the admin filled is not free for the taking by a sign-up of that name
        String team = "team" + UUID.randomUUID().toString().substring(0, 6);
        auth.pushImage(admin, team + "/app", "v1");
        assertError(signUp(team, "long-enough-pw"), 409, "ALREADY_EXISTS");
        auth.pushImage(admin, alice.username() + "/by-admin", "v1");
        // the first push created alice's repository private: bob cannot read it, alice can
        assertThat(auth.call(auth.token(bob, "repository:" + alice.username() + "/by-admin:pull"), "GET",
                "/v2/" + alice.username() + "/by-admin/tags/list", null).statusCode()).isEqualTo(401);
        assertThat(auth.call(auth.token(alice, "repository:" + alice.username() + "/by-admin:pull"), "GET",
                "/v2/" + alice.username() + "/by-admin/tags/list", null).statusCode()).isEqualTo(200);
    }

    @Test
    void mountingFromARepositoryOneCannotReadUploadsInstead() {
        Who alice = auth.signUp("alice");
        Who bob = auth.signUp("bob");
        String source = alice.username() + "/src";
        byte[] layer = Oci.random(500);
        String alicePush = auth.token(alice, "repository:" + source + ":pull,push");
        assertThat(auth.call(alicePush, "POST", "/v2/" + source + "/blobs/uploads/?digest=" + Oci.digest(layer), layer)
                .statusCode()).isEqualTo(201);
        String mount = "/blobs/uploads/?mount=" + Oci.digest(layer) + "&from=" + source;
        String bobToken = auth.token(bob, "repository:" + bob.username() + "/dst:pull,push", "repository:" + source + ":pull");
        HttpResponse<byte[]> r = auth.call(bobToken, "POST", "/v2/" + bob.username() + "/dst" + mount, null);
        assertThat(r.statusCode()).isEqualTo(202);
        String aliceToken = auth.token(alice, "repository:" + alice.username() + "/dst:pull,push", "repository:" + source + ":pull");
        assertThat(auth.call(aliceToken, "POST", "/v2/" + alice.username() + "/dst" + mount, null).statusCode())
                .isEqualTo(201);
        // once public, anyone may mount from it
        assertThat(auth.setVisibility(alice, source, "public").statusCode()).isEqualTo(200);
        bobToken = auth.token(bob, "repository:" + bob.username() + "/dst:pull,push", "repository:" + source + ":pull");
        assertThat(auth.call(bobToken, "POST", "/v2/" + bob.username() + "/dst" + mount, null).statusCode()).isEqualTo(201);
    }

    /** A refused account-API request with a body (drained by the error mapper) keeps its connection usable. */
    @Test
    void aRefusedRequestWithABodyLeavesTheConnectionUsable() throws Exception {
        Who bob = auth.signUp("bob");
        String body = "{\"visibility\":\"public\"}";
        String refused = "PATCH /auth/repositories/someone/else HTTP/1.1\r\nHost: 127.0.0.1\r\n" + bob.basic()[0] + ": "
                + bob.basic()[1] + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
        String next = "GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", auth.server.port())) {
            socket.setSoTimeout(10_000);
            var out = socket.getOutputStream();
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            out.write(refused.getBytes(StandardCharsets.UTF_8));
            out.flush();
            assertThat(TestClient.readResponse(in)).isEqualTo("HTTP/1.1 404 Not Found");
            out.write(next.getBytes(StandardCharsets.UTF_8));
            out.flush();
            assertThat(in.readLine()).isEqualTo("HTTP/1.1 401 Unauthorized");
        }
    }

    @Test
    void onlyTheOwnerChangesVisibility() {
        Who alice = auth.signUp("alice");
        Who bob = auth.signUp("bob");
        String repo = alice.username() + "/vis";
        auth.pushImage(alice, repo, "v1");
        HttpResponse<byte[]> r = client.get("/auth/repositories/" + repo, alice.basic());
        assertThat(Oci.json(r).path("visibility").asText()).isEqualTo("private");
        assertError(auth.setVisibility(bob, repo, "public"), 404, "NAME_UNKNOWN");
        assertError(auth.setVisibility(alice, repo, "open"), 400, "INVALID_REQUEST");
        assertError(auth.setVisibility(alice, alice.username() + "/none", "public"), 404, "NAME_UNKNOWN");
        assertError(client.send("PATCH", "/auth/repositories/" + repo, AuthFixture.json("visibility", "public")),
                401, "UNAUTHORIZED");
        assertThat(Oci.json(auth.setVisibility(alice, repo, "public")).path("visibility").asText()).isEqualTo("public");
        assertThat(auth.call(auth.token(Who.ANONYMOUS, "repository:" + repo + ":pull"), "GET", "/v2/" + repo + "/tags/list",
                null).statusCode()).isEqualTo(200);
        Who admin = new Who(AuthFixture.ADMIN, AuthFixture.ADMIN_PASSWORD);
        assertThat(auth.setVisibility(admin, repo, "private").statusCode()).isEqualTo(200);
        assertThat(auth.call(auth.token(Who.ANONYMOUS, "repository:" + repo + ":pull"), "GET", "/v2/" + repo + "/tags/list",
                null).statusCode()).isEqualTo(401);
    }

    @Test
    void accountSessionsAndOAuthFlows() {
        Who alice = auth.signUp("alice");
        // sign-in gives a session that works for the account API
        HttpResponse<byte[]> signin = client.post("/auth/signin", AuthFixture.json("username", alice.username(),
                "password", alice.secret()), "Content-Type", "application/json");
        assertThat(signin.statusCode()).isEqualTo(200);
        String session = Oci.json(signin).path("session").asText();
        assertThat(Oci.json(signin).path("expires_in").asLong()).isEqualTo(Duration.ofDays(1).toSeconds());
        assertThat(session).startsWith("orses_");
        HttpResponse<byte[]> me = client.get("/auth/account", "Authorization", "Bearer " + session);
        assertThat(Oci.json(me).path("username").asText()).isEqualTo(alice.username());
        assertThat(Oci.json(me).path("admin").asBoolean()).isFalse();

        // PATs: the secret once, then only descriptions
        String[] pat = auth.createPat(alice, List.of("pull", "push"), List.of());
        assertThat(pat[1]).startsWith("orpat_");
        HttpResponse<byte[]> list = client.get("/auth/tokens", "Authorization", "Bearer " + session);
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(new String(list.body())).contains(pat[0]).doesNotContain(pat[1]);
        // a PAT cannot manage PATs
        assertError(client.get("/auth/tokens", new Who(alice.username(), pat[1]).basic()), 401, "UNAUTHORIZED");

        // OAuth2 password grant with a refresh token, then the refresh grant (as containerd does)
        String repo = alice.username() + "/oauth";
        HttpResponse<byte[]> r = client.post("/token", form("grant_type", "password", "username", alice.username(),
                "password", alice.secret(), "service", AuthFixture.SERVICE, "scope", "repository:" + repo + ":pull,push",
                "client_id", "test", "access_type", "offline"), "Content-Type", "application/x-www-form-urlencoded");
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
        String refresh = Oci.json(r).path("refresh_token").asText();
        assertThat(refresh).startsWith("orses_");
        r = client.post("/token", form("grant_type", "refresh_token", "refresh_token", refresh, "service",
                AuthFixture.SERVICE, "scope", "repository:" + repo + ":pull registry:catalog:*"),
                "Content-Type", "application/x-www-form-urlencoded");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(AuthFixture.claims(Oci.json(r).path("access_token").asText()).path("access").size()).isEqualTo(2);
        assertError(client.post("/token", form("grant_type", "client_credentials"), "Content-Type",
                "application/x-www-form-urlencoded"), 400, "INVALID_REQUEST");
        // GET with offline_token=true also hands out a refresh token, for a password only
        assertThat(Oci.json(client.get("/token?service=" + AuthFixture.SERVICE + "&offline_token=true", alice.basic()))
                .has("refresh_token")).isTrue();
        assertThat(Oci.json(client.get("/token?service=" + AuthFixture.SERVICE + "&offline_token=true",
                new Who(alice.username(), pat[1]).basic())).has("refresh_token")).isFalse();

        // sign-out ends the session and with it the refresh token it was
        assertThat(client.post("/auth/signout", null, "Authorization", "Bearer " + session).statusCode()).isEqualTo(204);
        assertError(client.get("/auth/account", "Authorization", "Bearer " + session), 401, "UNAUTHORIZED");
        assertThat(client.post("/auth/signout", null, "Authorization", "Bearer " + refresh).statusCode()).isEqualTo(204);
        assertError(client.post("/token", form("grant_type", "refresh_token", "refresh_token", refresh),
                "Content-Type", "application/x-www-form-urlencoded"), 401, "UNAUTHORIZED");

        // wrong passwords and unknown accounts fail alike
        HttpResponse<byte[]> wrong = auth.tokenResponse(new Who(alice.username(), "not-the-password"));
        HttpResponse<byte[]> unknown = auth.tokenResponse(new Who("nobody-" + UUID.randomUUID().toString().substring(0, 6),
                "whatever-password"));
        assertError(wrong, 401, "UNAUTHORIZED");
        assertThat(new String(wrong.body())).isEqualTo(new String(unknown.body()));
        // no Basic challenge: a browser would cache the credentials (clients send Basic unprompted)
        assertThat(wrong.headers().firstValue("WWW-Authenticate")).isEmpty();
    }

    @Test
    void signUpValidatesItsInput() {
        assertError(signUp("Alice", "long-enough-pw"), 400, "INVALID_REQUEST");
        assertError(signUp("a/b", "long-enough-pw"), 400, "INVALID_REQUEST");
        assertError(signUp("ok-name", "short"), 400, "INVALID_REQUEST");
        assertError(client.post("/auth/signup", "{not json".getBytes(), "Content-Type", "application/json"),
                400, "INVALID_REQUEST");
        assertError(client.post("/auth/signup", "[1]".getBytes(), "Content-Type", "application/json"),
                400, "INVALID_REQUEST");
        Who taken = auth.signUp("taken");
        assertError(signUp(taken.username(), "long-enough-pw"), 409, "ALREADY_EXISTS");
        assertError(signUp(AuthFixture.ADMIN, "long-enough-pw"), 409, "ALREADY_EXISTS");
        // PAT input
        HttpResponse<byte[]> r = client.post("/auth/tokens", "{\"name\":\"x\",\"actions\":[\"admin\"]}".getBytes(),
                AuthFixture.concat(taken.basic(), "Content-Type", "application/json"));
        assertError(r, 400, "INVALID_REQUEST");
        r = client.post("/auth/tokens", "{\"name\":\"x\",\"actions\":[\"pull\"],\"expires_at\":\"2001-01-01T00:00:00Z\"}"
                .getBytes(), AuthFixture.concat(taken.basic(), "Content-Type", "application/json"));
        assertError(r, 400, "INVALID_REQUEST");
        r = client.post("/auth/tokens", "{\"name\":\"x\",\"actions\":[\"pull\"],\"expires_at\":\"+999999-01-01T00:00:00Z\"}"
                .getBytes(), AuthFixture.concat(taken.basic(), "Content-Type", "application/json"));
        assertError(r, 400, "INVALID_REQUEST");
        r = client.post("/auth/tokens", "{\"name\":\"x\",\"actions\":[\"pull\"],\"expires_in_days\":30}".getBytes(),
                AuthFixture.concat(taken.basic(), "Content-Type", "application/json"));
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(Oci.json(r).path("expires_at").asText()).isNotEmpty();
        // as many repositories as allowed, with long names, fit
        StringBuilder many = new StringBuilder("{\"name\":\"many\",\"actions\":[\"pull\"],\"repositories\":[");
        for (int i = 0; i < 100; i++) {
            many.append(i == 0 ? "" : ",").append('"').append(taken.username()).append('/').append("r".repeat(200))
                    .append(i).append('"');
        }
        r = client.post("/auth/tokens", many.append("]}").toString().getBytes(), AuthFixture.concat(taken.basic(),
                "Content-Type", "application/json"));
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(201);
        assertError(client.send("DELETE", "/auth/tokens/nosuchtoken", null, taken.basic()), 404, "NOT_FOUND");
    }

    private HttpResponse<byte[]> signUp(String username, String password) {
        return client.post("/auth/signup", AuthFixture.json("username", username, "password", password),
                "Content-Type", "application/json");
    }

    static byte[] form(String... keyValues) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < keyValues.length; i += 2) {
            if (sb.length() > 0) {
                sb.append('&');
            }
            sb.append(java.net.URLEncoder.encode(keyValues[i], StandardCharsets.UTF_8)).append('=')
                    .append(java.net.URLEncoder.encode(keyValues[i + 1], StandardCharsets.UTF_8));
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}

package io.openregistry.api;

import static io.openregistry.api.FuzzGen.junk;
import static io.openregistry.api.FuzzGen.pick;
import static io.openregistry.api.FuzzRunner.allOf;
import static io.openregistry.api.FuzzRunner.anyOf;
import static io.openregistry.api.FuzzRunner.error;
import static io.openregistry.api.FuzzRunner.status;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.openregistry.RegistryServer;
import io.openregistry.api.FuzzRunner.Expect;
import io.openregistry.api.FuzzRunner.Req;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Property-based fuzzing with access control on (H2 and the filesystem store): the guard in front
 * of the distribution API (names and references with no token, a garbage token, a token for other
 * repositories, a good one), the token endpoint (random scopes, services, grant types, Basic
 * headers of garbage base64) and the account API (bodies of every shape). Password checks cost an
 * Argon2 hash each, so the generators reach them only now and then.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FuzzAuthTest {
    private static final String REPO = FuzzOpenTest.REPO;
    private static final int POOL = 20;
    private RegistryServer server;
    private FuzzRunner fuzz;
    private long started;
    private long sentBefore;
    /** A token of the admin for pull, push and delete on {@link #REPO} and the pool names. */
    private String token;
    /** The admin's account API session. */
    private String session;
    private String layerDigest;
    private final List<String> pool = new ArrayList<>();

    @BeforeAll
    void start() {
        sentBefore = FuzzRunner.SENT.get();
        server = RegistryServer.start(RegistryServer.Backend.H2, null, null,
                dir -> AuthFixture.auth(dir, true, 1_000_000, 1_000_000));
        TestClient client = new TestClient(server.baseUrl(), server.port());
        fuzz = new FuzzRunner(new FuzzHttp(server.port(), 401));
        pool.add(REPO);
        for (int i = 1; i < POOL; i++) {
            pool.add("fuzz/p" + i);
        }
        StringBuilder scopes = new StringBuilder("/token?service=" + AuthFixture.SERVICE);
        pool.forEach(n -> scopes.append("&scope=repository:").append(n).append(":pull,push,delete"));
        scopes.append("&scope=registry:catalog:*");
        AuthFixture.Who admin = new AuthFixture.Who(AuthFixture.ADMIN, AuthFixture.ADMIN_PASSWORD);
        HttpResponse<byte[]> r = client.get(scopes.toString(), admin.basic());
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
        token = Oci.json(r).path("token").asText();
        r = client.post("/auth/signin", AuthFixture.json("username", AuthFixture.ADMIN, "password", AuthFixture.ADMIN_PASSWORD),
                "Content-Type", "application/json");
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
        session = Oci.json(r).path("session").asText();
        byte[] layer = Oci.random(500);
        byte[] config = "{\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        for (byte[] blob : new byte[][] {config, layer}) {
            r = client.post("/v2/" + REPO + "/blobs/uploads/?digest=" + Oci.digest(blob), blob, "Authorization", "Bearer " + token);
            assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(201);
        }
        layerDigest = Oci.digest(layer);
        r = client.put("/v2/" + REPO + "/manifests/latest", Oci.imageManifest(Oci.OCI_MANIFEST, config, layer),
                "Content-Type", Oci.OCI_MANIFEST, "Authorization", "Bearer " + token);
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(201);
        // a user's catalog, filtered to what it may see, is another query
        AuthFixture.Who user = new AuthFixture.Who("fuzzer", "fuzzer-password-1");
        r = client.post("/auth/signup", AuthFixture.json("username", user.username(), "password", user.secret()),
                "Content-Type", "application/json");
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(201);
        r = client.get("/token?service=" + AuthFixture.SERVICE + "&scope=registry:catalog:*", user.basic());
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
        userCatalogToken = Oci.json(r).path("token").asText();
        r = client.get("/token?service=" + AuthFixture.SERVICE + "&scope=registry:catalog:*");
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
        anonymousCatalogToken = Oci.json(r).path("token").asText();
        started = System.nanoTime();
    }

    private String userCatalogToken;
    private String anonymousCatalogToken;

    @Test
    void catalogPages() {
        fuzz.forAll("catalog pages", 400, (r, t) -> {
            String bearer = pick(r, token, userCatalogToken, anonymousCatalogToken);
            if (r.nextInt(4) == 0) {
                FuzzOpenTest.listing(r, t, "/v2/" + REPO + "/tags/list", "tags", "Authorization", "Bearer " + token);
            } else {
                FuzzOpenTest.listing(r, t, "/v2/_catalog", "repositories", "Authorization", "Bearer " + bearer);
            }
        });
    }

    @AfterAll
    void stop() {
        long sent = FuzzRunner.SENT.get() - sentBefore;
        System.out.printf("fuzz: FuzzAuthTest sent %d requests in %.1f s (all fuzz suites so far: %d); seed %d%n",
                sent, (System.nanoTime() - started) / 1e9, FuzzRunner.SENT.get(), FuzzRunner.SEED);
        server.close();
    }

    // ---- the guard ----

    @Test
    void guardedNames() {
        fuzz.forAll("guarded names", 1000, (r, t) -> {
            String name = r.nextBoolean() ? pick(r, pool) : FuzzGen.name(r);
            boolean valid = FuzzGen.validName(name);
            boolean granted = pool.contains(name);
            String credential = switch (r.nextInt(4)) {
                case 0 -> null;
                case 1 -> "Bearer " + garbageToken(r);
                default -> "Bearer " + token;
            };
            String ref = r.nextInt(3) == 0 ? "latest" : FuzzGen.reference(r);
            String[] op = pick(r, new String[][] {
                    {"GET", "/tags/list", "pull"}, {"GET", "/manifests/" + ref, "pull"}, {"HEAD", "/manifests/" + ref, "pull"},
                    {"GET", "/blobs/" + layerDigest, "pull"}, {"POST", "/blobs/uploads/", "pull,push"},
                    {"GET", "/referrers/" + layerDigest, "pull"}, {"DELETE", "/manifests/" + FuzzGen.sha256(r), "delete"}});
            Req req = new Req(op[0], "/v2/" + name + op[1]);
            if (credential != null) {
                req.header("Authorization", credential);
            }
            String item = op[1].substring(op[1].indexOf('/', 1) + 1);
            boolean refRoutable = !op[1].startsWith("/manifests/") || (!item.isEmpty() && !item.contains("/"));
            Expect expect;
            if (!refRoutable) {
                expect = status(404, 401);
            } else if (!valid) {
                expect = FuzzOpenTest.INVALID_NAME;
            } else if (credential == null || !credential.equals("Bearer " + token) || !granted) {
                String error = credential == null ? "" : credential.equals("Bearer " + token) ? ",error=\"insufficient_scope\""
                        : ",error=\"invalid_token\"";
                expect = allOf(error(401, "UNAUTHORIZED"), challenge("repository:" + name + ":" + op[2], error));
            } else {
                expect = answer(name, op, ref);
            }
            t.send(op[0] + " " + op[1].replaceAll("/[^/]*$", "/…") + (credential == null ? ", no token"
                    : credential.equals("Bearer " + token) ? (granted ? ", token" : ", token for other names")
                    : ", garbage token"), req, expect);
        });
    }

    /** What a granted request gets: as in open mode. */
    private Expect answer(String name, String[] op, String ref) {
        boolean ours = name.equals(REPO);
        return switch (op[1].substring(0, op[1].indexOf('/', 1) < 0 ? op[1].length() : op[1].indexOf('/', 1))) {
            case "/tags" -> ours ? status(200) : error(404, "NAME_UNKNOWN");
            case "/manifests" -> op[0].equals("DELETE") ? error(404, "MANIFEST_UNKNOWN", "NAME_UNKNOWN")
                    : ours && ref.equals("latest") ? status(200) : error(404, "MANIFEST_UNKNOWN", "NAME_UNKNOWN");
            case "/blobs" -> op[0].equals("POST") ? status(202) : ours ? status(200) : error(404, "BLOB_UNKNOWN", "NAME_UNKNOWN");
            default -> status(200);
        };
    }

    /** The challenge names exactly the scope the request needs, with the error a token earned. */
    private Expect challenge(String scope, String error) {
        String expected = "Bearer realm=\"" + server.baseUrl() + "/token\",service=\"" + AuthFixture.SERVICE
                + "\",scope=\"" + scope + "\"" + error;
        return r -> expected.equals(r.header("WWW-Authenticate")) ? null : "expected WWW-Authenticate: " + expected;
    }

    /** Tokens that are not tokens, and real ones broken in small ways. */
    private String garbageToken(Random r) {
        return switch (r.nextInt(8)) {
            case 0 -> "x" + junk(r).replaceAll("[\\x00-\\x20\\x7f]", "");
            case 1 -> "v4.public." + b64(r, 64 + r.nextInt(200));
            case 2 -> "v4.public." + b64(r, 64 + r.nextInt(200)) + "." + Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(pick(r, "{\"kid\":\"x\"}", "{}", "[]", "null", "{\"kid\":1}", "{\"kid\":\"" + "k".repeat(500)
                            + "\"}", "{\"kid\":\"a\",\"kid\":\"b\"}", "\u0000", FuzzGen.nested(2000, false, "1"))
                            .getBytes(StandardCharsets.UTF_8));
            case 3 -> {
                char[] c = token.toCharArray();
                int at = 10 + r.nextInt(c.length - 10);
                c[at] = c[at] == 'A' ? 'B' : 'A';
                yield new String(c);
            }
            case 4 -> token.substring(0, 10 + r.nextInt(token.length() - 10));
            case 5 -> token + pick(r, "A", ".", "..", "=", ".e30", "AAAA");
            case 6 -> pick(r, "v4.local.", "v3.public.", "V4.PUBLIC.", "v4.public") + token.substring(10);
            default -> pick(r, "v4.public.", "v4.public..", "v4.public.===", "v4.public.AAAA.", "v4.public." + "A".repeat(6000));
        };
    }

    private static String b64(Random r, int bytes) {
        byte[] b = new byte[bytes];
        r.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    // ---- the token endpoint ----

    static String scope(Random r) {
        return switch (r.nextInt(8)) {
            case 0, 1 -> "repository:" + FuzzGen.name(r) + ":" + pick(r, "pull", "push", "pull,push", "delete", "*",
                    "pull,push,delete", "", ",", "admin", "pull,,push", "PULL");
            case 2 -> pick(r, "registry:catalog:*", "registry:catalog:pull", "registry:other:*", "repository(plugin):a/b:pull");
            case 3 -> pick(r, ":", "::", ":::", "a:b", "a:b:c:d", "repository::pull", "repository:a:", " ", "repository:a b:pull");
            case 4 -> "repository:" + "a/".repeat(200) + "a:pull";
            default -> junk(r);
        };
    }

    @Test
    void tokenRequests() {
        fuzz.forAll("token requests", 800, (r, t) -> {
            boolean raw = r.nextInt(6) == 0;
            List<String> params = new ArrayList<>();
            String service = switch (r.nextInt(5)) {
                case 0 -> null;
                case 1 -> junk(r);
                default -> AuthFixture.SERVICE;
            };
            if (service != null) {
                params.add("service=" + encode(r, service, raw));
            }
            int scopes = r.nextInt(4);
            for (int i = 0; i < scopes; i++) {
                params.add("scope=" + encode(r, r.nextBoolean() ? scope(r) : scope(r) + " " + scope(r), raw));
            }
            if (r.nextInt(4) == 0) {
                params.add(pick(r, "offline_token=true", "offline_token=" + encode(r, junk(r), raw), "client_id=" + encode(r, junk(r), raw),
                        "account=" + encode(r, junk(r), raw), encode(r, junk(r), raw) + "=" + encode(r, junk(r), raw)));
            }
            java.util.Collections.shuffle(params, r);
            boolean serviceWrong = service != null && !service.equals(AuthFixture.SERVICE);
            if (r.nextBoolean()) {
                String authorization = authorization(r);
                Req req = new Req("GET", "/token" + (params.isEmpty() ? "" : "?" + String.join("&", params)));
                if (authorization != null) {
                    req.header("Authorization", authorization);
                }
                Expect issued = r2 -> {
                    JsonNode body = FuzzRunner.json(r2);
                    return r2.status() == 200 && body != null && body.path("token").isTextual()
                            && body.path("access_token").isTextual() && body.path("expires_in").isNumber()
                            && body.path("issued_at").isTextual() ? null : "expected 200 with a token";
                };
                Expect expect = raw ? anyOf(issued, status(400, 401))
                        : serviceWrong ? anyOf(error(400, "INVALID_REQUEST"), error(401, "UNAUTHORIZED"))
                        : authorization == null ? issued : anyOf(issued, error(401, "UNAUTHORIZED"));
                t.send("GET /token" + (authorization == null ? ", anonymous" : ", with Authorization"), req, expect);
                return;
            }
            String grant = pick(r, "password", "refresh_token", "refresh_token", "client_credentials", "", null, junk(r));
            if (grant != null) {
                params.add("grant_type=" + encode(r, grant, raw));
            }
            boolean hashes = r.nextInt(6) == 0;
            if ("password".equals(grant) && (hashes || r.nextBoolean())) {
                params.add("username=" + encode(r, hashes ? FuzzGen.component(r) : junk(r), raw));
                if (hashes) {
                    params.add("password=" + encode(r, "pw-" + junk(r), raw));
                }
            }
            if ("refresh_token".equals(grant) && r.nextBoolean()) {
                params.add("refresh_token=" + encode(r, r.nextBoolean() ? "orses_" + b64(r, 64).substring(0, 65) : junk(r), raw));
            }
            if (r.nextInt(8) == 0) {
                params.add(pick(r, "%zz", "a=%", "=", "&&", "a=%E0%A4%A", "scope=%", "%u0041=1"));
                raw = true;
            }
            Req req = new Req("POST", "/token").header("Content-Type", pick(r, "application/x-www-form-urlencoded",
                    "application/x-www-form-urlencoded; charset=utf-8", "application/json", "text/plain"))
                    .body(String.join("&", params));
            t.send("POST /token" + (raw ? ", raw form" : ""), req, raw ? status(200, 400, 401)
                    : serviceWrong ? error(400, "INVALID_REQUEST") : status(200, 400, 401));
        });
    }

    private static String encode(Random r, String value, boolean raw) {
        return raw ? FuzzGen.queryValue(r, value) : URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** An Authorization header for /token: absent, garbage, or (now and then) Basic credentials that get checked. */
    private String authorization(Random r) {
        Base64.Encoder b64 = Base64.getEncoder();
        return switch (r.nextInt(12)) {
            case 0, 1, 2, 3 -> null;
            case 4 -> "Basic " + pick(r, "", "!!!", "====", "YQ", "YWJj", "YTpi=", "%%", junk(r).replaceAll("[\\r\\n]", ""));
            case 5 -> "Basic " + b64.encodeToString(junk(r).replace(":", "").getBytes(StandardCharsets.UTF_8)); // no colon
            case 6 -> "Basic " + b64.encodeToString(FuzzGen.hex(r, 40).getBytes(StandardCharsets.ISO_8859_1)).replace('=', '.');
            case 7 -> pick(r, "Bearer " + token, "Bearer x", "Digest a=b", "Basic", "basic", "Negotiate abc", "", " ",
                    "Basic  " + b64.encodeToString("a:b".getBytes(StandardCharsets.UTF_8)).replace("=", ""));
            case 8 -> "Basic " + b64.encodeToString(new byte[] {(byte) 0xff, (byte) 0xfe, ':', (byte) 0x80});
            case 9 -> "Basic " + b64.encodeToString((":" + junk(r)).getBytes(StandardCharsets.UTF_8)); // empty username
            case 10 -> r.nextInt(3) == 0
                    ? "Basic " + b64.encodeToString((FuzzGen.component(r) + ":pw-" + FuzzGen.hex(r, 8)).getBytes(StandardCharsets.UTF_8))
                    : "Basic " + b64.encodeToString((junk(r) + junk(r)).getBytes(StandardCharsets.UTF_8));
            default -> "Basic " + b64.encodeToString(("orpat_" + FuzzGen.hex(r, 65) + ":" + "orpat_" + b64(r, 64).substring(0, 65))
                    .getBytes(StandardCharsets.UTF_8));
        };
    }

    // ---- the account API ----

    @Test
    void accountBodies() {
        fuzz.forAll("account bodies", 300, (r, t) -> {
            String body = accountBody(r);
            String type = pick(r, "application/json", "application/json", "application/json", "application/json; charset=utf-8",
                    "text/plain", null);
            Expect answered = status(200, 201, 204, 400, 401, 404, 409, 413, 415, 429);
            Req req;
            String label;
            switch (r.nextInt(6)) {
                case 0 -> {
                    req = new Req("POST", "/auth/signup");
                    label = "sign-up";
                }
                case 1 -> {
                    req = new Req("POST", "/auth/signin");
                    label = "sign-in";
                    // a sign-in that gets as far as the password check costs a hash: only now and then
                    body = r.nextInt(3) == 0 ? body : "{\"username\":7}";
                }
                case 2, 3 -> {
                    req = new Req("POST", "/auth/tokens").header("Authorization", "Bearer " + session);
                    label = "token creation";
                }
                case 4 -> {
                    String name = r.nextBoolean() ? REPO : FuzzGen.name(r);
                    req = new Req("PATCH", "/auth/repositories/" + name).header("Authorization", "Bearer " + session);
                    label = "visibility";
                    if (!FuzzGen.validName(name)) {
                        answered = anyOf(error(400, "NAME_INVALID", "INVALID_REQUEST"), status(404, 415));
                    }
                }
                default -> {
                    String id = r.nextBoolean() ? junk(r) : b64(r, 16);
                    t.send("token revocation", new Req("DELETE", "/auth/tokens/" + URLEncoder.encode(id, StandardCharsets.UTF_8))
                            .header("Authorization", "Bearer " + session), status(204, 400, 404));
                    return;
                }
            }
            if (type != null) {
                req.header("Content-Type", type);
            }
            t.send(label + " body", req.body(body), answered);
        });
    }

    /** A JSON body for the account API: the right fields with values of any kind, or anything at all. */
    private static String accountBody(Random r) {
        if (r.nextInt(4) == 0) {
            return FuzzGen.jsonValue(r, 0);
        }
        StringBuilder sb = new StringBuilder("{");
        List<String> members = new ArrayList<>();
        String[] keys = {"username", "password", "name", "actions", "repositories", "expires_at", "expires_in_days", "visibility"};
        for (String key : keys) {
            if (r.nextInt(3) > 0) {
                members.add("\"" + key + "\":" + accountValue(r, key));
            }
        }
        if (r.nextInt(6) == 0 && !members.isEmpty()) {
            members.add(members.get(0).replaceFirst(":.*", ":") + FuzzGen.jsonValue(r, 2)); // a duplicate key
        }
        return sb.append(String.join(",", members)).append('}').toString();
    }

    private static String accountValue(Random r, String key) {
        if (r.nextInt(4) == 0) {
            return FuzzGen.jsonValue(r, 1);
        }
        return switch (key) {
            case "actions" -> "[" + String.join(",", java.util.stream.IntStream.range(0, r.nextInt(4))
                    .mapToObj(i -> "\"" + pick(r, "pull", "push", "delete", "*", "admin", "") + "\"").toList()) + "]";
            case "repositories" -> "[" + String.join(",", java.util.stream.IntStream.range(0, r.nextInt(4))
                    .mapToObj(i -> Oci.JSON.getNodeFactory().textNode(FuzzGen.name(r)).toString()).toList()) + "]";
            case "expires_at" -> "\"" + pick(r, "2030-01-01T00:00:00Z", "2000-01-01T00:00:00Z", "tomorrow", "",
                    "+999999999-12-31T23:59:59Z", "2030-02-30T00:00:00Z", "2030-01-01T00:00:00+25:00") + "\"";
            case "expires_in_days" -> pick(r, "1", "0", "-1", "3650", "3651", "1.5", "1e3", "99999999999999999999", "\"7\"");
            case "visibility" -> "\"" + pick(r, "public", "private", "PUBLIC", "", "internal") + "\"";
            default -> Oci.JSON.getNodeFactory().textNode(junk(r)).toString();
        };
    }
}

package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.openregistry.RegistryServer;
import io.openregistry.api.AuthFixture.Who;
import io.openregistry.http.PathRouter;
import io.openregistry.http.RouteMatch;
import io.openregistry.http.RouteTemplates;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Random requests to every operation of the management API, as a registry admin and as a plain
 * user (sessions, so that no request waits for a password hash): path parameters that are valid,
 * taken, reserved or garbage; bodies that are the documented fields with values of any type, extra
 * fields, other JSON or no JSON. Every answer must be a client error or a success, never a 500, and
 * documented for its operation in the OpenAPI document (status and body schema). A fixed seed
 * makes a failure reproducible; it is printed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ManagementFuzzTest {
    private static final int ROUNDS = 12;
    private static final List<String> NAMES = List.of("acme", "alice", "library", "devs", "ci", "x", "a-b.c_d",
            "UPPER", "a/b", "..", "%2F", "a%00b", "ü", "a".repeat(65), "org+robot", "", "0");
    private AuthFixture auth;
    private OpenApiChecker openApi;
    private final Random random = new Random(Long.getLong("fuzz.seed", 20261130L));

    @BeforeAll
    void start() {
        auth = AuthFixture.start(RegistryServer.Backend.H2);
        openApi = new OpenApiChecker(new String(auth.client.get("/api/v1/openapi.json").body(), StandardCharsets.UTF_8));
    }

    @AfterAll
    void stop() {
        auth.close();
    }

    @Test
    void everyAnswerIsDocumentedAndNoneIsAServerError() {
        System.out.println("ManagementFuzzTest seed " + Long.getLong("fuzz.seed", 20261130L));
        Who alice = auth.signUp("alice");
        // something to find: an organization with a team, a robot and a repository
        auth.client.post("/api/v1/orgs", AuthFixture.json("name", "acme"),
                AuthFixture.concat(alice.basic(), "Content-Type", "application/json"));
        // and an image for the browsing API to show and delete
        auth.pushImage(alice, "acme/x", "latest");
        List<String[]> callers = List.of(bearer(new Who(AuthFixture.ADMIN, AuthFixture.ADMIN_PASSWORD)), bearer(alice),
                new String[0]);
        int requests = 0;
        for (Iterator<String> paths = openApi.document.path("paths").fieldNames(); paths.hasNext(); ) {
            String template = paths.next();
            for (String method : openApi.methods(template)) {
                JsonNode operation = openApi.pathItem(template).path(method.toLowerCase(java.util.Locale.ROOT));
                for (int round = 0; round < ROUNDS; round++) {
                    String path = fill(template);
                    String[] caller = callers.get(random.nextInt(callers.size()));
                    byte[] body = operation.has("requestBody") || random.nextInt(4) == 0 ? body(operation) : null;
                    String[] headers = body == null || random.nextInt(10) == 0 ? caller
                            : AuthFixture.concat(caller, "Content-Type", "application/json");
                    HttpResponse<byte[]> r = auth.client.send(method, path + query(), body, headers);
                    requests++;
                    String what = method + " " + path + " " + (body == null ? "" : new String(body, StandardCharsets.UTF_8))
                            + " → " + r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8);
                    assertThat(r.statusCode()).as(what).isLessThan(500);
                    RouteMatch match = PathRouter.route(path);
                    if (match != null && RouteTemplates.of(match).equals(template)) {
                        openApi.assertDocumented(method, template, r);
                    } else {
                        // garbage in a path parameter made another path: the router's 404, never a 500
                        assertThat(r.statusCode()).as(what).isIn(400, 404, 405);
                    }
                }
            }
        }
        assertThat(requests).isGreaterThan(400);
    }

    private String[] bearer(Who who) {
        HttpResponse<byte[]> r = auth.client.post("/auth/signin", AuthFixture.json("username", who.username(),
                "password", who.secret()), "Content-Type", "application/json");
        assertThat(r.statusCode()).isEqualTo(200);
        return new String[] {"Authorization", "Bearer " + Oci.json(r).path("session").asText()};
    }

    private String fill(String template) {
        String path = template;
        for (String param : List.of("{org}", "{user}", "{team}", "{ns}", "{short}")) {
            while (path.contains(param)) {
                path = path.replaceFirst(java.util.regex.Pattern.quote(param), encode(pick()));
            }
        }
        path = path.replace("{repo}", pick() + (random.nextBoolean() ? "/" + pick() : ""));
        path = path.replace("{name}", (random.nextInt(5) == 0 ? "" : "acme/") + pick());
        path = path.replace("{tag}", encode(reference()));
        path = path.replace("{reference}", encode(reference()));
        return path;
    }

    /** A tag or digest, valid or not. */
    private String reference() {
        return List.of("latest", "v1", "sha256:" + "a".repeat(64), "sha256:short", "md5:abc", "UPPER", "a".repeat(129),
                "-x").get(random.nextInt(8));
    }

    private String pick() {
        return NAMES.get(random.nextInt(NAMES.size()));
    }

    private String encode(String s) {
        return s.contains("%") ? s : URLEncoder.encode(s, StandardCharsets.UTF_8).replace("%2F", "/");
    }

    private String query() {
        return switch (random.nextInt(10)) {
            case 0 -> "?n=" + List.of("0", "1", "1001", "-3", "x", "999999999999").get(random.nextInt(6));
            case 6 -> "?q=" + List.of("a", "%25", "_", "x%00y", "%C3%BC", "a".repeat(300), "").get(random.nextInt(7));
            case 7 -> "?sort=" + List.of("name", "pushed", "size").get(random.nextInt(3)) + "&order="
                    + List.of("asc", "desc", "up").get(random.nextInt(3)) + "&last=" + List.of("1~a", "x~", "~", "a")
                    .get(random.nextInt(4));
            case 8 -> "?days=" + List.of("0", "1", "365", "366", "x", "-1", "99999999999").get(random.nextInt(7));
            case 1 -> "?deleteRepositories=" + List.of("true", "false", "maybe", "").get(random.nextInt(4));
            case 2 -> "?before=" + List.of("1", "-1", "x", "99999999999999999999").get(random.nextInt(4));
            case 3 -> "?last=" + pick();
            default -> "";
        };
    }

    /** The documented fields of the operation's body with values of any type, sometimes more, sometimes no JSON. */
    private byte[] body(JsonNode operation) {
        switch (random.nextInt(8)) {
            case 0:
                return "{".getBytes(StandardCharsets.UTF_8);
            case 1:
                return "[1,2]".getBytes(StandardCharsets.UTF_8);
            case 2:
                return new byte[] {(byte) 0xff, (byte) 0xfe, '{', '}'};
            default:
                break;
        }
        JsonNode schema = openApi.resolve(operation.path("requestBody").path("content").path("application/json")
                .path("schema"));
        List<String> fields = new ArrayList<>();
        schema.path("properties").fieldNames().forEachRemaining(fields::add);
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        for (String field : fields) {
            if (random.nextInt(4) != 0) {
                body.set(field, value(field));
            }
        }
        if (random.nextInt(6) == 0) {
            body.put("unexpected", true);
        }
        return body.toString().getBytes(StandardCharsets.UTF_8);
    }

    private JsonNode value(String field) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        Map<String, List<String>> plausible = Map.of(
                "role", List.of("member", "admin", "owner", "read", "write", "Owner", ""),
                "visibility", List.of("public", "private", "secret"),
                "expires_at", List.of("2099-01-01T00:00:00Z", "2001-01-01T00:00:00Z", "soon"),
                "password", List.of("a-long-password-1", "short", ""),
                "current", List.of("wrong", AuthFixture.ADMIN_PASSWORD));
        return switch (random.nextInt(7)) {
            case 0 -> f.nullNode();
            case 1 -> f.numberNode(random.nextInt(2000) - 1000);
            case 2 -> f.booleanNode(random.nextBoolean());
            case 3 -> {
                ArrayNode a = f.arrayNode();
                a.add(random.nextBoolean() ? "acme/" + pick() : pick());
                if (random.nextBoolean()) {
                    a.add(7);
                }
                yield a;
            }
            case 4 -> f.objectNode().put("x", 1);
            default -> f.textNode(plausible.getOrDefault(field, NAMES).get(random.nextInt(
                    plausible.getOrDefault(field, NAMES).size())));
        };
    }
}

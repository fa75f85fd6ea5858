package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.RegistryServer;
import io.openregistry.api.AuthFixture.Who;
import io.openregistry.http.Endpoint;
import io.openregistry.http.PathRouter;
import io.openregistry.http.RouteMatch;
import io.openregistry.http.RouteTemplates;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The OpenAPI 3.1 document of {@code /api/v1} as the registry serves it: swagger-parser reads it
 * without a message; it lists exactly the routes the router knows under {@code /api/v1}, each with
 * exactly the methods the server answers (read off the {@code Allow} of a 405); and the answers of
 * real requests (errors here; every happy path in {@link OrgApiContract}) validate against it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiDocumentTest {
    /** A value for each path parameter, so that a template becomes a path the router must send back to it. */
    private static final Map<String, String> SAMPLES = Map.of("{org}", "acme", "{user}", "alice", "{team}", "devs",
            "{repo}", "app/web", "{ns}", "acme", "{short}", "ci", "{name}", "acme/app", "{tag}", "v1",
            "{reference}", "latest");
    private AuthFixture auth;
    private OpenApiChecker openApi;

    @BeforeAll
    void start() {
        auth = AuthFixture.start(RegistryServer.Backend.H2);
        HttpResponse<byte[]> r = auth.client.get("/api/v1/openapi.json");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        openApi = new OpenApiChecker(new String(r.body(), StandardCharsets.UTF_8));
    }

    @AfterAll
    void stop() {
        auth.close();
    }

    @Test
    void swaggerParserReadsTheServedDocumentWithoutAMessage() throws IOException {
        assertThat(openApi.parsed.getMessages()).isEmpty();
        assertThat(openApi.openApi()).isNotNull();
        assertThat(openApi.openApi().getOpenapi()).isEqualTo("3.1.0");
        assertThat(openApi.openApi().getComponents().getSecuritySchemes()).containsOnlyKeys("basic", "bearer");
        assertThat(openApi.openApi().getComponents().getSchemas()).containsKey("Error");
        // the very bytes of the jar's resource
        try (InputStream in = getClass().getResourceAsStream("/openapi/api-v1.json")) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(openApi.text);
        }
        // every operation names an id, and documents its 401 unless it is public
        openApi.openApi().getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, op) -> {
            assertThat(op.getOperationId()).as(method + " " + path).isNotBlank();
            if (!path.equals("/api/v1/openapi.json")) {
                assertThat(op.getResponses()).as(method + " " + path).containsKey("401");
            }
        }));
    }

    @Test
    void theSchemaCheckRefusesWhatTheDocumentDoesNotAllow() throws IOException {
        assertThat(openApi.errorsAgainst("Error", Oci.JSON.readTree("{\"errors\":[]}"))).isNotEmpty();
        assertThat(openApi.errorsAgainst("Error", Oci.JSON.readTree("{\"errors\":[{\"code\":\"X\",\"message\":\"m\"}]}")))
                .isEmpty();
        assertThat(openApi.errorsAgainst("Organization", Oci.JSON.readTree(
                "{\"created_by\":\"a\",\"created_at\":null,\"role\":null}"))).isNotEmpty();
        assertThat(openApi.errorsAgainst("Team", Oci.JSON.readTree("{\"organization\":\"o\",\"name\":\"t\","
                + "\"description\":null,\"role\":\"superuser\",\"all_repositories\":false,\"may_create\":false,"
                + "\"created_at\":null}"))).isNotEmpty();
    }

    @Test
    void theDocumentListsExactlyTheRoutesAndMethodsTheServerKnows() {
        Map<String, Set<String>> served = new TreeMap<>();
        for (Endpoint endpoint : Endpoint.values()) {
            if (!endpoint.isManagementApi()) {
                continue;
            }
            String template = RouteTemplates.of(new RouteMatch(endpoint, null, null));
            String path = template;
            for (var sample : SAMPLES.entrySet()) {
                path = path.replace(sample.getKey(), sample.getValue());
            }
            RouteMatch match = PathRouter.route(path);
            assertThat(match).as(path).isNotNull();
            assertThat(match.endpoint()).as(path).isEqualTo(endpoint);
            assertThat(RouteTemplates.uriTemplate(path + "?n=1")).as("the metrics template of " + path).isEqualTo(template);
            // no route answers OPTIONS: the 405 lists the methods it does answer
            HttpResponse<byte[]> r = auth.client.send("OPTIONS", path, null);
            assertThat(r.statusCode()).as(path).isEqualTo(405);
            served.put(template, new TreeSet<>(Arrays.asList(r.headers().firstValue("Allow").orElseThrow().split(", "))));
        }
        Map<String, Set<String>> documented = new TreeMap<>();
        for (Iterator<String> paths = openApi.document.path("paths").fieldNames(); paths.hasNext(); ) {
            String template = paths.next();
            documented.put(template, openApi.methods(template));
        }
        assertThat(documented).isEqualTo(served);
    }

    @Test
    void errorAnswersValidateAgainstTheDocument() {
        Who admin = new Who(AuthFixture.ADMIN, AuthFixture.ADMIN_PASSWORD);
        String[] json = {"Content-Type", "application/json"};
        // no credentials
        HttpResponse<byte[]> r = auth.client.get("/api/v1/orgs");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).isPresent();
        openApi.assertDocumented("GET", "/api/v1/orgs", r);
        // a wrong password
        r = auth.client.get("/api/v1/users", new Who(AuthFixture.ADMIN, "wrong-password").basic());
        assertThat(r.statusCode()).isEqualTo(401);
        openApi.assertDocumented("GET", "/api/v1/users", r);
        // a robot, before any password check
        r = auth.client.get("/api/v1/orgs", new Who("acme+ci", "orrobot_" + "A".repeat(43)).basic());
        Oci.assertError(r, 401, "UNAUTHORIZED");
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("robot");
        // a body that is not JSON, not an object, with an unknown field, or of another type
        for (String body : List.of("{", "[]", "{\"name\":\"acme\",\"colour\":\"red\"}", "{\"name\":7}", "{}")) {
            r = auth.client.post("/api/v1/orgs", body.getBytes(StandardCharsets.UTF_8),
                    AuthFixture.concat(admin.basic(), json));
            Oci.assertError(r, 400, "INVALID_REQUEST");
            openApi.assertDocumented("POST", "/api/v1/orgs", r);
        }
        r = auth.client.post("/api/v1/orgs", "{\"name\":\"acme\",\"colour\":\"red\"}".getBytes(StandardCharsets.UTF_8),
                AuthFixture.concat(admin.basic(), json));
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("colour");
        // an invalid name: 400 naming the field
        r = auth.client.post("/api/v1/orgs", AuthFixture.json("name", "Not_Valid!"), AuthFixture.concat(admin.basic(), json));
        Oci.assertError(r, 400, "INVALID_REQUEST");
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("name must be");
        // not declared JSON; too large
        r = auth.client.post("/api/v1/orgs", AuthFixture.json("name", "acme"), admin.basic());
        assertThat(r.statusCode()).isEqualTo(415);
        openApi.assertDocumented("POST", "/api/v1/orgs", r);
        byte[] big = ("{\"name\":\"" + "a".repeat(70_000) + "\"}").getBytes(StandardCharsets.UTF_8);
        r = auth.client.post("/api/v1/orgs", big, AuthFixture.concat(admin.basic(), json));
        assertThat(r.statusCode()).isEqualTo(413);
        openApi.assertDocumented("POST", "/api/v1/orgs", r);
        // bad roles, page sizes and flags
        r = auth.client.put("/api/v1/orgs/acme/members/alice", AuthFixture.json("role", "king"),
                AuthFixture.concat(admin.basic(), json));
        Oci.assertError(r, 400, "INVALID_REQUEST");
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("role must be member, admin or owner");
        openApi.assertDocumented("PUT", "/api/v1/orgs/{org}/members/{user}", r);
        r = auth.client.get("/api/v1/users?n=0", admin.basic());
        Oci.assertError(r, 400, "PAGINATION_NUMBER_INVALID");
        openApi.assertDocumented("GET", "/api/v1/users", r);
        r = auth.client.send("DELETE", "/api/v1/users/alice?deleteRepositories=maybe", null, admin.basic());
        Oci.assertError(r, 400, "INVALID_REQUEST");
        openApi.assertDocumented("DELETE", "/api/v1/users/{user}", r);
        r = auth.client.send("PUT", "/api/v1/orgs/acme/teams/Bad%20Team/members/alice", null, admin.basic());
        Oci.assertError(r, 400, "INVALID_REQUEST");
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("team must be");
        openApi.assertDocumented("PUT", "/api/v1/orgs/{org}/teams/{team}/members/{user}", r);
    }
}

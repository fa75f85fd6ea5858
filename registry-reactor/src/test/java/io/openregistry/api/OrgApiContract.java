package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.openregistry.RegistryServer;
import io.openregistry.api.AuthFixture.Who;
import io.openregistry.http.RouteTemplates;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
 * The management API ({@code /api/v1}) through a real registry with access control on: every
 * route's happy path and its errors (400 naming the field, 404 for what the caller may not see
 * exactly as for what does not exist, 403 for what it sees but may not change, 409s), and every
 * answer checked against the served OpenAPI document. Runs once per database through a subclass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class OrgApiContract {
    static final Who ADMIN = new Who(AuthFixture.ADMIN, AuthFixture.ADMIN_PASSWORD);
    AuthFixture auth;
    OpenApiChecker openApi;

    abstract RegistryServer.Backend backend();

    @BeforeAll
    void start() {
        auth = AuthFixture.start(backend());
        openApi = new OpenApiChecker(new String(auth.client.get("/api/v1/openapi.json").body(), StandardCharsets.UTF_8));
    }

    @AfterAll
    void stop() {
        auth.close();
    }

    // --- the client ---

    /** A call as {@code who} (Basic), the answer checked against the document. */
    HttpResponse<byte[]> call(Who who, String method, String path, Object body) {
        return callWith(who.basic(), method, path, body);
    }

    HttpResponse<byte[]> callWith(String[] credentials, String method, String path, Object body) {
        byte[] bytes = null;
        String[] headers = credentials;
        if (body != null) {
            try {
                bytes = Oci.JSON.writeValueAsBytes(body);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            headers = AuthFixture.concat(credentials, "Content-Type", "application/json");
        }
        HttpResponse<byte[]> r = auth.client.send(method, path, bytes, headers);
        openApi.assertDocumented(method, RouteTemplates.uriTemplate(path), r);
        return r;
    }

    /** The JSON answer, asserting its status. */
    static JsonNode expect(HttpResponse<byte[]> r, int status) {
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(status);
        return r.body().length == 0 ? null : Oci.json(r);
    }

    static void expectError(HttpResponse<byte[]> r, int status, String code) {
        Oci.assertError(r, status, code);
    }

    static Map<String, Object> body(Object... keyValues) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            out.put((String) keyValues[i], keyValues[i + 1]);
        }
        return out;
    }

    static String unique(String prefix) {
        return prefix + UUID.randomUUID().toString().substring(0, 8);
    }

    /** An organization owned by {@code owner}. */
    String organization(Who owner) {
        String name = unique("org");
        JsonNode org = expect(call(owner, "POST", "/api/v1/orgs", body("name", name)), 201);
        assertThat(org.path("name").asText()).isEqualTo(name);
        assertThat(org.path("role").asText()).isEqualTo("owner");
        assertThat(org.path("created_by").asText()).isEqualTo(owner.username());
        return name;
    }

    static List<String> texts(JsonNode array, String field) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(field == null ? n.asText() : n.path(field).asText()));
        return out;
    }

    // --- organizations and members ---

    @Test
    void organizationsAndMembers() {
        Who alice = auth.signUp("alice");
        Who bob = auth.signUp("bob");
        Who carol = auth.signUp("carol");
        String org = organization(alice);
        String path = "/api/v1/orgs/" + org;

        assertThat(expect(call(alice, "GET", path, null), 200).path("role").asText()).isEqualTo("owner");
        assertThat(texts(expect(call(alice, "GET", "/api/v1/orgs", null), 200).path("organizations"), "name"))
                .containsExactly(org);
        assertThat(texts(expect(call(ADMIN, "GET", "/api/v1/orgs?n=1000", null), 200).path("organizations"), "name"))
                .contains(org);
        // a non-member: exactly as for no organization at all
        HttpResponse<byte[]> hidden = call(bob, "GET", path, null);
        HttpResponse<byte[]> missing = call(bob, "GET", "/api/v1/orgs/" + unique("none"), null);
        expectError(hidden, 404, "NOT_FOUND");
        expectError(missing, 404, "NOT_FOUND");
        assertThat(Oci.json(hidden).path("errors").path(0).path("message").asText().replace(org, "X"))
                .isEqualTo(Oci.json(missing).path("errors").path(0).path("message").asText().replaceAll("none\\w+", "X"));
        expectError(call(bob, "DELETE", path, null), 404, "NOT_FOUND");
        expectError(call(bob, "GET", path + "/members", null), 404, "NOT_FOUND");
        assertThat(texts(expect(call(bob, "GET", "/api/v1/orgs", null), 200).path("organizations"), "name")).isEmpty();

        // members
        JsonNode member = expect(call(alice, "PUT", path + "/members/" + bob.username(), body("role", "member")), 200);
        assertThat(member.path("username").asText()).isEqualTo(bob.username());
        assertThat(member.path("role").asText()).isEqualTo("member");
        assertThat(expect(call(bob, "GET", path, null), 200).path("role").asText()).isEqualTo("member");
        assertThat(texts(expect(call(bob, "GET", path + "/members", null), 200).path("members"), "username"))
                .containsExactlyInAnyOrder(alice.username(), bob.username());
        // a member sees, may not change
        expectError(call(bob, "PUT", path + "/members/" + carol.username(), body("role", "member")), 403, "DENIED");
        expectError(call(bob, "DELETE", path, null), 403, "DENIED");
        expectError(call(bob, "GET", path + "/audit", null), 403, "DENIED");
        // an admin manages members, not owners
        expect(call(alice, "PUT", path + "/members/" + bob.username(), body("role", "admin")), 200);
        expect(call(bob, "PUT", path + "/members/" + carol.username(), body("role", "member")), 200);
        expectError(call(bob, "PUT", path + "/members/" + carol.username(), body("role", "owner")), 403, "DENIED");
        expectError(call(bob, "PUT", path + "/members/" + alice.username(), body("role", "member")), 403, "DENIED");
        expectError(call(bob, "DELETE", path + "/members/" + alice.username(), null), 403, "DENIED");
        expectError(call(bob, "DELETE", path, null), 403, "DENIED");
        // the last owner stays
        expectError(call(alice, "PUT", path + "/members/" + alice.username(), body("role", "admin")), 409, "LAST_OWNER");
        expectError(call(alice, "DELETE", path + "/members/" + alice.username(), null), 409, "LAST_OWNER");
        // an account that does not exist; a member that is not one; bad input
        expectError(call(alice, "PUT", path + "/members/" + unique("ghost"), body("role", "member")), 404, "NOT_FOUND");
        expectError(call(alice, "DELETE", path + "/members/" + unique("ghost"), null), 404, "NOT_FOUND");
        expectError(call(alice, "PUT", path + "/members/" + carol.username(), body()), 400, "INVALID_REQUEST");
        expectError(call(alice, "PUT", path + "/members/Not.Valid!", body("role", "member")), 400, "INVALID_REQUEST");
        // a member leaves on its own
        expect(call(carol, "DELETE", path + "/members/" + carol.username(), null), 204);
        expectError(call(carol, "GET", path, null), 404, "NOT_FOUND");
        // a second owner; then the first may go
        expect(call(alice, "PUT", path + "/members/" + bob.username(), body("role", "owner")), 200);
        expect(call(bob, "DELETE", path + "/members/" + alice.username(), null), 204);
        assertThat(texts(expect(call(bob, "GET", path + "/members", null), 200).path("members"), "username"))
                .containsExactly(bob.username());
        // the name is taken now, by an organization: for organizations and for sign-up alike
        expectError(call(carol, "POST", "/api/v1/orgs", body("name", org)), 409, "ALREADY_EXISTS");
        HttpResponse<byte[]> signUp = auth.client.post("/auth/signup", AuthFixture.json("username", org, "password",
                "a-long-password"), "Content-Type", "application/json");
        Oci.assertError(signUp, 409, "ALREADY_EXISTS");
        // deleted by its owner (it holds no repository)
        expect(call(bob, "DELETE", path, null), 204);
        expectError(call(bob, "GET", path, null), 404, "NOT_FOUND");
    }

    // --- teams ---

    @Test
    void teamsTheirMembersAndRepositories() {
        Who alice = auth.signUp("alice");
        Who bob = auth.signUp("bob");
        Who outsider = auth.signUp("out");
        String org = organization(alice);
        String teams = "/api/v1/orgs/" + org + "/teams";
        expect(call(alice, "PUT", "/api/v1/orgs/" + org + "/members/" + bob.username(), body("role", "member")), 200);

        JsonNode team = expect(call(alice, "POST", teams, body("name", "devs", "description", "the developers",
                "role", "write")), 201);
        assertThat(team.path("organization").asText()).isEqualTo(org);
        assertThat(team.path("role").asText()).isEqualTo("write");
        assertThat(team.path("all_repositories").asBoolean()).isFalse();
        assertThat(team.path("may_create").asBoolean()).isFalse();
        JsonNode readers = expect(call(alice, "POST", teams, body("name", "readers")), 201);
        assertThat(readers.path("role").asText()).isEqualTo("read");
        expectError(call(alice, "POST", teams, body("name", "devs")), 409, "ALREADY_EXISTS");
        expectError(call(alice, "POST", teams, body("name", "Dev Team")), 400, "INVALID_REQUEST");
        expectError(call(alice, "POST", teams, body("name", "x", "role", "owner")), 400, "INVALID_REQUEST");
        expectError(call(alice, "POST", teams, body("name", "x", "may_create", "yes")), 400, "INVALID_REQUEST");
        // members see teams, only owners and admins change them; others do not see them
        assertThat(texts(expect(call(bob, "GET", teams, null), 200).path("teams"), "name"))
                .containsExactlyInAnyOrder("devs", "readers");
        expectError(call(bob, "POST", teams, body("name", "mine")), 403, "DENIED");
        expectError(call(bob, "PATCH", teams + "/devs", body("role", "admin")), 403, "DENIED");
        expectError(call(outsider, "GET", teams, null), 404, "NOT_FOUND");
        expectError(call(outsider, "GET", teams + "/devs", null), 404, "NOT_FOUND");

        JsonNode patched = expect(call(alice, "PATCH", teams + "/devs", body("role", "admin", "all_repositories", true,
                "may_create", true)), 200);
        assertThat(patched.path("role").asText()).isEqualTo("admin");
        assertThat(patched.path("all_repositories").asBoolean()).isTrue();
        assertThat(patched.path("description").asText()).isEqualTo("the developers");
        assertThat(expect(call(bob, "GET", teams + "/devs", null), 200).path("may_create").asBoolean()).isTrue();
        expectError(call(alice, "PATCH", teams + "/devs", body("name", "renamed")), 400, "INVALID_REQUEST");
        expectError(call(alice, "PATCH", teams + "/nobody", body("role", "read")), 404, "NOT_FOUND");

        // team members: an outsider added to a team joins the organization
        expect(call(alice, "PUT", teams + "/devs/members/" + outsider.username(), null), 204);
        expect(call(alice, "PUT", teams + "/devs/members/" + bob.username(), null), 204);
        assertThat(texts(expect(call(bob, "GET", teams + "/devs/members", null), 200).path("members"), null))
                .containsExactlyInAnyOrder(outsider.username(), bob.username());
        assertThat(expect(call(outsider, "GET", "/api/v1/orgs/" + org, null), 200).path("role").asText())
                .isEqualTo("member");
        expectError(call(bob, "PUT", teams + "/devs/members/" + alice.username(), null), 403, "DENIED");
        expectError(call(alice, "PUT", teams + "/devs/members/" + unique("ghost"), null), 404, "NOT_FOUND");
        expect(call(alice, "DELETE", teams + "/devs/members/" + outsider.username(), null), 204);
        assertThat(texts(expect(call(alice, "GET", teams + "/devs/members", null), 200).path("members"), null))
                .containsExactly(bob.username());

        // team repositories: paths inside the organization, slashes and all
        expect(call(alice, "PUT", teams + "/readers/repositories/app", null), 204);
        expect(call(alice, "PUT", teams + "/readers/repositories/group/web", null), 204);
        assertThat(texts(expect(call(bob, "GET", teams + "/readers/repositories", null), 200).path("repositories"), null))
                .containsExactlyInAnyOrder(org + "/app", org + "/group/web");
        expectError(call(alice, "PUT", teams + "/readers/repositories/Bad..Name", null), 400, "NAME_INVALID");
        expectError(call(bob, "PUT", teams + "/readers/repositories/other", null), 403, "DENIED");
        expect(call(alice, "DELETE", teams + "/readers/repositories/group/web", null), 204);
        assertThat(texts(expect(call(alice, "GET", teams + "/readers/repositories", null), 200).path("repositories"), null))
                .containsExactly(org + "/app");

        expect(call(alice, "DELETE", teams + "/readers", null), 204);
        expectError(call(alice, "GET", teams + "/readers", null), 404, "NOT_FOUND");
        expectError(call(alice, "GET", teams + "/readers/repositories", null), 404, "NOT_FOUND");
        assertThat(texts(expect(call(alice, "GET", teams, null), 200).path("teams"), "name")).containsExactly("devs");
    }

    // --- robots ---

    @Test
    void robotsOfAnOrganizationAndOfAUser() {
        Who alice = auth.signUp("alice");
        Who bob = auth.signUp("bob");
        Who outsider = auth.signUp("out");
        String org = organization(alice);
        expect(call(alice, "PUT", "/api/v1/orgs/" + org + "/members/" + bob.username(), body("role", "member")), 200);
        String robots = "/api/v1/namespaces/" + org + "/robots";

        HttpResponse<byte[]> created = call(alice, "POST", robots, body("name", "ci", "description", "the CI",
                "role", "write", "repositories", List.of(org + "/app"), "expires_at", "2099-01-01T00:00:00Z"));
        JsonNode robot = expect(created, 201);
        assertThat(created.headers().firstValue("Cache-Control")).hasValue("no-store");
        String secret = robot.path("secret").asText();
        assertThat(secret).startsWith("orrobot_");
        assertThat(robot.path("name").asText()).isEqualTo(org + "+ci");
        assertThat(robot.path("short_name").asText()).isEqualTo("ci");
        assertThat(texts(robot.path("repositories"), null)).containsExactly(org + "/app");
        assertThat(robot.path("expires_at").asText()).isEqualTo("2099-01-01T00:00:00Z");
        assertThat(robot.path("created_by").asText()).isEqualTo(alice.username());
        // never shown again
        JsonNode listed = expect(call(alice, "GET", robots, null), 200);
        assertThat(listed.toString()).doesNotContain(secret).doesNotContain("secret");
        assertThat(expect(call(alice, "GET", robots + "/ci", null), 200).has("secret")).isFalse();

        expectError(call(alice, "POST", robots, body("name", "ci")), 409, "ALREADY_EXISTS");
        expectError(call(alice, "POST", robots, body("name", "x", "repositories", List.of("elsewhere/app"))), 400,
                "INVALID_REQUEST");
        expectError(call(alice, "POST", robots, body("name", "x", "expires_at", "2001-01-01T00:00:00Z")), 400,
                "INVALID_REQUEST");
        expectError(call(alice, "POST", robots, body("name", "x", "expires_at", "tomorrow")), 400, "INVALID_REQUEST");
        // a year Java parses but the database cannot store: a 400, not a 500
        expectError(call(alice, "POST", robots, body("name", "x", "expires_at", "+999999-01-01T00:00:00Z")), 400,
                "INVALID_REQUEST");
        expectError(call(alice, "POST", robots, body("name", "a+b")), 400, "INVALID_REQUEST");
        // a member sees the namespace but manages no robot; an outsider does not see it
        expectError(call(bob, "GET", robots, null), 403, "DENIED");
        expectError(call(bob, "POST", robots, body("name", "mine")), 403, "DENIED");
        expectError(call(outsider, "GET", robots, null), 404, "NOT_FOUND");
        expectError(call(outsider, "GET", robots + "/ci", null), 404, "NOT_FOUND");

        JsonNode updated = expect(call(alice, "PATCH", robots + "/ci", body("role", "read", "all_repositories", true,
                "expires_at", null)), 200);
        assertThat(updated.path("role").asText()).isEqualTo("read");
        assertThat(updated.path("all_repositories").asBoolean()).isTrue();
        assertThat(updated.path("expires_at").isNull()).isTrue();
        assertThat(updated.path("description").asText()).isEqualTo("the CI");

        JsonNode rotated = expect(call(alice, "POST", robots + "/ci/secret", null), 200);
        assertThat(rotated.path("secret").asText()).startsWith("orrobot_").isNotEqualTo(secret);

        // a robot never uses the management API, with either secret
        for (String s : List.of(secret, rotated.path("secret").asText())) {
            expectError(call(new Who(org + "+ci", s), "GET", robots, null), 401, "UNAUTHORIZED");
        }

        expect(call(alice, "DELETE", robots + "/ci", null), 204);
        expectError(call(alice, "GET", robots + "/ci", null), 404, "NOT_FOUND");
        expectError(call(alice, "POST", robots + "/ci/secret", null), 404, "NOT_FOUND");
        assertThat(expect(call(alice, "GET", robots, null), 200).path("robots").size()).isZero();

        // a user's own namespace
        String own = "/api/v1/namespaces/" + bob.username() + "/robots";
        JsonNode bobs = expect(call(bob, "POST", own, body("name", "deploy", "role", "read", "all_repositories", true)), 201);
        assertThat(bobs.path("name").asText()).isEqualTo(bob.username() + "+deploy");
        expectError(call(alice, "GET", own, null), 404, "NOT_FOUND");
        assertThat(texts(expect(call(ADMIN, "GET", own, null), 200).path("robots"), "name"))
                .containsExactly(bob.username() + "+deploy");
        expectError(call(alice, "GET", "/api/v1/namespaces/" + unique("none") + "/robots", null), 404, "NOT_FOUND");
    }

    // --- repositories: visibility and grants ---

    @Test
    void repositoryVisibilityAndGrants() {
        Who alice = auth.signUp("alice");
        Who bob = auth.signUp("bob");
        String repo = alice.username() + "/app";
        auth.pushImage(alice, repo, "v1");
        String path = "/api/v1/repositories/" + repo;

        assertThat(expect(call(alice, "GET", path, null), 200).path("visibility").asText()).isEqualTo("private");
        // private: exactly as missing to bob
        HttpResponse<byte[]> hidden = call(bob, "GET", path, null);
        expectError(hidden, 404, "NAME_UNKNOWN");
        expectError(call(bob, "GET", "/api/v1/repositories/" + alice.username() + "/nothing", null), 404, "NAME_UNKNOWN");
        expectError(call(bob, "PATCH", path, body("visibility", "public")), 404, "NAME_UNKNOWN");
        expectError(call(bob, "GET", path + "/grants", null), 404, "NAME_UNKNOWN");
        expectError(call(alice, "GET", "/api/v1/repositories/" + alice.username() + "/nothing", null), 404,
                "NAME_UNKNOWN");

        assertThat(expect(call(alice, "PATCH", path, body("visibility", "public")), 200).path("visibility").asText())
                .isEqualTo("public");
        // public: bob sees it, may not change it
        assertThat(expect(call(bob, "GET", path, null), 200).path("visibility").asText()).isEqualTo("public");
        expectError(call(bob, "PATCH", path, body("visibility", "private")), 403, "DENIED");
        expectError(call(bob, "GET", path + "/grants", null), 403, "DENIED");
        expectError(call(alice, "PATCH", path, body("visibility", "secret")), 400, "INVALID_REQUEST");
        expectError(call(alice, "PATCH", path, body("visibility", "public", "owner", "bob")), 400, "INVALID_REQUEST");
        expect(call(alice, "PATCH", path, body("visibility", "private")), 200);

        // grants
        JsonNode grant = expect(call(alice, "PUT", path + "/grants/" + bob.username(), body("role", "write")), 200);
        assertThat(grant.path("repository").asText()).isEqualTo(repo);
        assertThat(grant.path("role").asText()).isEqualTo("write");
        assertThat(texts(expect(call(alice, "GET", path + "/grants", null), 200).path("grants"), "username"))
                .containsExactly(bob.username());
        // with a grant bob sees the private repository, yet may not administer it
        assertThat(expect(call(bob, "GET", path, null), 200).path("visibility").asText()).isEqualTo("private");
        expectError(call(bob, "PUT", path + "/grants/" + bob.username(), body("role", "admin")), 403, "DENIED");
        expectError(call(alice, "PUT", path + "/grants/" + unique("ghost"), body("role", "read")), 404, "NOT_FOUND");
        expectError(call(alice, "PUT", path + "/grants/" + bob.username(), body("role", "owner")), 400, "INVALID_REQUEST");
        expectError(call(alice, "PUT", path + "/grants/" + bob.username(), body()), 400, "INVALID_REQUEST");
        expect(call(alice, "PUT", path + "/grants/" + bob.username(), body("role", "admin")), 200);
        expect(call(bob, "PATCH", path, body("visibility", "private")), 200);
        expect(call(alice, "DELETE", path + "/grants/" + bob.username(), null), 204);
        expectError(call(bob, "GET", path, null), 404, "NAME_UNKNOWN");
        expectError(call(alice, "DELETE", path + "/grants/" + bob.username(), null), 404, "NOT_FOUND");
        expectError(call(alice, "GET", "/api/v1/repositories/Bad..Name", null), 400, "NAME_INVALID");
    }

    // --- users ---

    @Test
    void adminUserManagement() {
        Who alice = auth.signUp("alice");
        Who bob = auth.signUp("bob");
        String users = "/api/v1/users";
        JsonNode page = expect(call(ADMIN, "GET", users + "?n=1000", null), 200);
        assertThat(texts(page.path("users"), "username")).contains(alice.username(), AuthFixture.ADMIN);
        JsonNode first = expect(call(ADMIN, "GET", users + "?n=1", null), 200);
        assertThat(first.path("users").size()).isEqualTo(1);
        String next = first.path("next").asText();
        JsonNode second = expect(call(ADMIN, "GET", users + "?n=1&last=" + next, null), 200);
        assertThat(second.path("users").path(0).path("username").asText()).isGreaterThan(next);
        expectError(call(alice, "GET", users, null), 403, "DENIED");
        expectError(call(alice, "GET", users + "/" + bob.username(), null), 403, "DENIED");
        expectError(call(alice, "GET", users + "/" + unique("ghost"), null), 403, "DENIED");
        JsonNode self = expect(call(alice, "GET", users + "/" + alice.username(), null), 200);
        assertThat(self.path("admin").asBoolean()).isFalse();
        assertThat(self.path("disabled").asBoolean()).isFalse();
        expectError(call(ADMIN, "GET", users + "/" + unique("ghost"), null), 404, "NOT_FOUND");

        // disable: no API, no registry token; re-enable: both again
        assertThat(expect(call(ADMIN, "PATCH", users + "/" + bob.username(), body("disabled", true)), 200)
                .path("disabled").asBoolean()).isTrue();
        expectError(call(bob, "GET", "/api/v1/orgs", null), 401, "UNAUTHORIZED");
        expect(call(ADMIN, "PATCH", users + "/" + bob.username(), body("disabled", false)), 200);
        expect(call(bob, "GET", "/api/v1/orgs", null), 200);
        expectError(call(alice, "PATCH", users + "/" + bob.username(), body("disabled", true)), 403, "DENIED");
        expectError(call(ADMIN, "PATCH", users + "/" + bob.username(), body()), 400, "INVALID_REQUEST");
        expectError(call(ADMIN, "PATCH", users + "/" + AuthFixture.ADMIN, body("disabled", true)), 400, "INVALID_REQUEST");
        expectError(call(ADMIN, "PATCH", users + "/" + unique("ghost"), body("disabled", true)), 404, "NOT_FOUND");

        // an admin's reset ends the sessions
        String session = session(bob);
        expect(callWith(bearer(session), "GET", "/api/v1/orgs", null), 200);
        expect(call(ADMIN, "PUT", users + "/" + bob.username() + "/password", body("password", "reset-password-1")), 204);
        expectError(call(bob, "GET", "/api/v1/orgs", null), 401, "UNAUTHORIZED");
        expectError(callWith(bearer(session), "GET", "/api/v1/orgs", null), 401, "UNAUTHORIZED");
        Who bobNow = new Who(bob.username(), "reset-password-1");
        expect(call(bobNow, "GET", "/api/v1/orgs", null), 200);
        expectError(call(ADMIN, "PUT", users + "/" + bob.username() + "/password", body("password", "short")), 400,
                "INVALID_REQUEST");
        expectError(call(alice, "PUT", users + "/" + bob.username() + "/password", body("password", "reset-password-2")),
                403, "DENIED");

        // an admin creates accounts, reserved names too
        String name = unique("made");
        JsonNode made = expect(call(ADMIN, "POST", users, body("username", name, "password", "made-password-1")), 201);
        assertThat(made.path("username").asText()).isEqualTo(name);
        assertThat(made.path("admin").asBoolean()).isFalse();
        expectError(call(ADMIN, "POST", users, body("username", name, "password", "made-password-1")), 409,
                "ALREADY_EXISTS");
        expectError(call(alice, "POST", users, body("username", unique("x"), "password", "made-password-1")), 403,
                "DENIED");

        // delete: refused while its namespace holds repositories, unless asked to take them along
        auth.pushImage(bobNow, bob.username() + "/app", "v1");
        expectError(call(ADMIN, "DELETE", users + "/" + bob.username(), null), 409, "HOLDS_REPOSITORIES");
        expectError(call(alice, "DELETE", users + "/" + bob.username(), null), 403, "DENIED");
        expect(call(ADMIN, "DELETE", users + "/" + bob.username() + "?deleteRepositories=true", null), 204);
        expectError(call(ADMIN, "GET", users + "/" + bob.username(), null), 404, "NOT_FOUND");
        expectError(call(bobNow, "GET", "/api/v1/orgs", null), 401, "UNAUTHORIZED");
        String adminToken = auth.token(ADMIN, "repository:" + bob.username() + "/app:pull");
        assertThat(auth.call(adminToken, "GET", "/v2/" + bob.username() + "/app/manifests/v1", null,
                "Accept", Oci.OCI_MANIFEST).statusCode()).isEqualTo(404);
        expectError(call(ADMIN, "DELETE", users + "/" + AuthFixture.ADMIN, null), 400, "INVALID_REQUEST");
        // the last owner of an organization stays
        String org = organization(alice);
        expectError(call(ADMIN, "DELETE", users + "/" + alice.username(), null), 409, "LAST_OWNER");
        expect(call(ADMIN, "DELETE", "/api/v1/orgs/" + org, null), 204);
        expect(call(ADMIN, "DELETE", users + "/" + alice.username(), null), 204);
    }

    /**
     * Disabling stops the account's password, sessions and PATs (and its robots) from getting
     * registry tokens at once; re-enabling gives them back. The refusal is the token endpoint's
     * (auth.Accounts, helper orgpolicy); the switch is this API's.
     */
    @Test
    void aDisabledAccountGetsNoRegistryTokenUntilReEnabled() {
        Who bob = auth.signUp("bob");
        String scope = "repository:" + bob.username() + "/app:pull,push";
        String[] pat = auth.createPat(bob, List.of("pull", "push"), List.of());
        Who viaPat = new Who(bob.username(), pat[1]);
        String session = session(bob);
        JsonNode robot = expect(call(bob, "POST", "/api/v1/namespaces/" + bob.username() + "/robots",
                body("name", "ci", "role", "write", "all_repositories", true, "may_create", true)), 201);
        Who viaRobot = new Who(robot.path("name").asText(), robot.path("secret").asText());
        for (Who who : List.of(bob, viaPat, viaRobot)) {
            assertThat(auth.token(who, scope)).as(who.username()).isNotNull();
        }
        expect(call(ADMIN, "PATCH", "/api/v1/users/" + bob.username(), body("disabled", true)), 200);
        for (Who who : List.of(bob, viaPat, viaRobot)) {
            assertThat(auth.token(who, scope)).as(who.username() + " disabled").isNull();
        }
        HttpResponse<byte[]> refresh = auth.client.post("/token", ("grant_type=refresh_token&service="
                + AuthFixture.SERVICE + "&refresh_token=" + session).getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/x-www-form-urlencoded");
        assertThat(refresh.statusCode()).isEqualTo(401);
        expectError(callWith(bearer(session), "GET", "/api/v1/orgs", null), 401, "UNAUTHORIZED");
        expect(call(ADMIN, "PATCH", "/api/v1/users/" + bob.username(), body("disabled", false)), 200);
        for (Who who : List.of(bob, viaPat, viaRobot)) {
            assertThat(auth.token(who, scope)).as(who.username() + " re-enabled").isNotNull();
        }
        expect(callWith(bearer(session), "GET", "/api/v1/orgs", null), 200);
    }

    @Test
    void ownPasswordChange() {
        Who alice = auth.signUp("alice");
        String path = "/api/v1/user/password";
        expectError(call(alice, "PUT", path, body("current", "wrong-password", "password", "new-password-1")), 401,
                "UNAUTHORIZED");
        expectError(call(alice, "PUT", path, body("current", alice.secret(), "password", "short")), 400,
                "INVALID_REQUEST");
        expectError(call(alice, "PUT", path, body("password", "new-password-1")), 400, "INVALID_REQUEST");
        String other = session(alice);
        expect(call(alice, "PUT", path, body("current", alice.secret(), "password", "new-password-1")), 204);
        expectError(call(alice, "GET", "/api/v1/orgs", null), 401, "UNAUTHORIZED");
        expectError(callWith(bearer(other), "GET", "/api/v1/orgs", null), 401, "UNAUTHORIZED");
        Who now = new Who(alice.username(), "new-password-1");
        // through a session: the others end, the caller gets a new one
        String mine = session(now);
        String another = session(now);
        JsonNode fresh = expect(callWith(bearer(mine), "PUT", path, body("current", "new-password-1",
                "password", "new-password-2")), 200);
        assertThat(fresh.path("username").asText()).isEqualTo(alice.username());
        expectError(callWith(bearer(another), "GET", "/api/v1/orgs", null), 401, "UNAUTHORIZED");
        expectError(callWith(bearer(mine), "GET", "/api/v1/orgs", null), 401, "UNAUTHORIZED");
        expect(callWith(bearer(fresh.path("session").asText()), "GET", "/api/v1/orgs", null), 200);
        expect(call(new Who(alice.username(), "new-password-2"), "GET", "/api/v1/orgs", null), 200);
    }

    // --- namespace rules ---

    @Test
    void reservedNamesAndTheSharedNameSpace() {
        Who alice = auth.signUp("alice");
        HttpResponse<byte[]> taken = auth.client.post("/auth/signup", AuthFixture.json("username", alice.username(),
                "password", "a-long-password"), "Content-Type", "application/json");
        Oci.assertError(taken, 409, "ALREADY_EXISTS");
        for (String reserved : List.of("library", "admin", "v2", "security")) {
            HttpResponse<byte[]> r = auth.client.post("/auth/signup", AuthFixture.json("username", reserved,
                    "password", "a-long-password"), "Content-Type", "application/json");
            Oci.assertError(r, 409, "ALREADY_EXISTS");
            // the same answer as a taken name
            assertThat(Oci.json(r).path("errors").path(0).path("message").asText().replace(reserved, "X"))
                    .isEqualTo(Oci.json(taken).path("errors").path(0).path("message").asText()
                            .replace(alice.username(), "X"));
            expectError(call(alice, "POST", "/api/v1/orgs", body("name", reserved)), 409, "ALREADY_EXISTS");
        }
        // a registry admin takes reserved names
        String library = expect(call(ADMIN, "POST", "/api/v1/orgs", body("name", "library")), 201).path("name").asText();
        assertThat(library).isEqualTo("library");
        expect(call(ADMIN, "POST", "/api/v1/users", body("username", "support", "password", "support-password")), 201);
        // an organization cannot take a user's name, nor a user an organization's
        expectError(call(alice, "POST", "/api/v1/orgs", body("name", alice.username())), 409, "ALREADY_EXISTS");
        expectError(call(ADMIN, "POST", "/api/v1/orgs", body("name", "support")), 409, "ALREADY_EXISTS");
        String org = organization(alice);
        Oci.assertError(auth.client.post("/auth/signup", AuthFixture.json("username", org, "password", "a-long-password"),
                "Content-Type", "application/json"), 409, "ALREADY_EXISTS");
        expectError(call(ADMIN, "POST", "/api/v1/users", body("username", org, "password", "a-long-password")), 409,
                "ALREADY_EXISTS");
        expect(call(ADMIN, "DELETE", "/api/v1/orgs/library", null), 204);
        // a namespace that already holds repositories (pushed by the registry admin) is not free:
        // an organization of that name would own them; a registry admin may still create it
        auth.pushImage(ADMIN, "legacy/app", "v1");
        expectError(call(alice, "POST", "/api/v1/orgs", body("name", "legacy")), 409, "ALREADY_EXISTS");
        expectError(call(alice, "GET", "/api/v1/orgs/legacy", null), 404, "NOT_FOUND");
        expect(call(ADMIN, "POST", "/api/v1/orgs", body("name", "legacy")), 201);
    }

    @Test
    void deletingAnOrganizationThatHoldsRepositories() {
        Who alice = auth.signUp("alice");
        String org = organization(alice);
        // pushed by the registry admin, who may push anywhere
        auth.pushImage(ADMIN, org + "/app", "v1");
        expectError(call(alice, "DELETE", "/api/v1/orgs/" + org, null), 409, "HOLDS_REPOSITORIES");
        assertThat(new String(call(alice, "DELETE", "/api/v1/orgs/" + org, null).body(), StandardCharsets.UTF_8))
                .contains("deleteRepositories=true");
        expect(call(alice, "DELETE", "/api/v1/orgs/" + org + "?deleteRepositories=true", null), 204);
        String token = auth.token(ADMIN, "repository:" + org + "/app:pull");
        assertThat(auth.call(token, "GET", "/v2/" + org + "/app/manifests/v1", null, "Accept", Oci.OCI_MANIFEST)
                .statusCode()).isEqualTo(404);
        expectError(call(alice, "GET", "/api/v1/orgs/" + org, null), 404, "NOT_FOUND");
        // the name is free again
        assertThat(organizationNamed(alice, org)).isEqualTo(org);
    }

    private String organizationNamed(Who owner, String name) {
        return expect(call(owner, "POST", "/api/v1/orgs", body("name", name)), 201).path("name").asText();
    }

    // --- audit ---

    @Test
    void theAuditLogListsEachChangeForOwnersAndAdminsOnly() {
        Who alice = auth.signUp("alice");
        Who bob = auth.signUp("bob");
        Who carol = auth.signUp("carol");
        String org = organization(alice);
        String base = "/api/v1/orgs/" + org;
        expect(call(alice, "PUT", base + "/members/" + bob.username(), body("role", "admin")), 200);
        expect(call(alice, "PUT", base + "/members/" + carol.username(), body("role", "member")), 200);
        expect(call(alice, "POST", base + "/teams", body("name", "devs")), 201);
        expect(call(alice, "PATCH", base + "/teams/devs", body("role", "write")), 200);
        expect(call(alice, "PUT", base + "/teams/devs/members/" + carol.username(), null), 204);
        expect(call(alice, "PUT", base + "/teams/devs/repositories/app", null), 204);
        expect(call(alice, "DELETE", base + "/teams/devs/repositories/app", null), 204);
        expect(call(alice, "DELETE", base + "/teams/devs/members/" + carol.username(), null), 204);
        expect(call(alice, "POST", "/api/v1/namespaces/" + org + "/robots", body("name", "ci")), 201);
        expect(call(alice, "PATCH", "/api/v1/namespaces/" + org + "/robots/ci", body("role", "write")), 200);
        expect(call(alice, "POST", "/api/v1/namespaces/" + org + "/robots/ci/secret", null), 200);
        expect(call(alice, "DELETE", "/api/v1/namespaces/" + org + "/robots/ci", null), 204);
        expect(call(alice, "DELETE", base + "/teams/devs", null), 204);
        auth.pushImage(ADMIN, org + "/app", "v1");
        expect(call(alice, "PATCH", "/api/v1/repositories/" + org + "/app", body("visibility", "public")), 200);
        expect(call(alice, "PUT", "/api/v1/repositories/" + org + "/app/grants/" + carol.username(),
                body("role", "read")), 200);
        expect(call(alice, "DELETE", "/api/v1/repositories/" + org + "/app/grants/" + carol.username(), null), 204);
        expect(call(alice, "DELETE", base + "/members/" + carol.username(), null), 204);

        JsonNode audit = expect(call(bob, "GET", base + "/audit?n=1000", null), 200);
        List<String> actions = texts(audit.path("entries"), "action");
        assertThat(actions).containsSubsequence("member.remove", "grant.remove", "grant.set", "repository.visibility",
                "team.delete", "robot.delete", "robot.secret", "robot.update", "robot.create",
                "team.member.remove", "team.repository.remove", "team.repository.add", "team.member.add",
                "team.update", "team.create", "member.set", "member.set");
        assertThat(actions.get(actions.size() - 1)).isEqualTo("org.create");
        JsonNode newest = audit.path("entries").path(0);
        assertThat(newest.path("actor").asText()).isEqualTo(alice.username());
        assertThat(newest.path("target").asText()).isEqualTo(carol.username());
        assertThat(audit.path("next").isNull()).isTrue();
        // pages, newest first
        JsonNode first = expect(call(alice, "GET", base + "/audit?n=3", null), 200);
        assertThat(first.path("entries").size()).isEqualTo(3);
        long next = first.path("next").asLong();
        JsonNode second = expect(call(alice, "GET", base + "/audit?n=3&before=" + next, null), 200);
        assertThat(second.path("entries").path(0).path("id").asLong()).isLessThan(next);
        assertThat(texts(second.path("entries"), "action")).isEqualTo(actions.subList(3, 6));
        expectError(call(alice, "GET", base + "/audit?before=soon", null), 400, "INVALID_REQUEST");
        // members: 403; others: 404
        expect(call(alice, "PUT", base + "/members/" + carol.username(), body("role", "member")), 200);
        expectError(call(carol, "GET", base + "/audit", null), 403, "DENIED");
        expectError(call(auth.signUp("out"), "GET", base + "/audit", null), 404, "NOT_FOUND");
        expect(call(ADMIN, "GET", base + "/audit", null), 200);
    }

    /** A session of {@code who} from {@code /auth/signin}. */
    String session(Who who) {
        HttpResponse<byte[]> r = auth.client.post("/auth/signin", AuthFixture.json("username", who.username(),
                "password", who.secret()), "Content-Type", "application/json");
        return expect(r, 200).path("session").asText();
    }

    static String[] bearer(String session) {
        return new String[] {"Authorization", "Bearer " + session};
    }
}

package io.openregistry.api;

import static io.openregistry.api.Oci.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.RegistryServer;
import io.openregistry.api.AuthFixture.Who;
import io.openregistry.auth.AccessPolicy;
import io.openregistry.auth.Principal;
import io.openregistry.auth.Secrets;
import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.OrgStore.NamespaceKind;
import io.openregistry.metadata.OrgStore.OrgRole;
import io.openregistry.metadata.OrgStore.RepoRole;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
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
 * The access matrix of Org mode through a real server, asserted as one table: {anonymous,
 * non-member, org member without team, team read, team write, team admin, org admin, org owner,
 * outside collaborator with read, robot with pull, robot with push, disabled user, PAT narrowed to
 * pull} × {public, private repository of the organization} × {pull, push, delete, catalog, change
 * visibility, manage teams, create robot}. Pull, push, delete and catalog are registry requests
 * with the token each caller gets from {@code /token}; change visibility is the account API's
 * {@code PATCH /auth/repositories/<name>}. Manage teams and create robot are real requests to the
 * management API ({@link #manageTeams}, {@link #createRobot}), whose answer must also agree with
 * {@link AccessPolicy}'s management decisions on the facts of the real store.
 * The organization is set up through the running registry's own database ({@link OrgFixture}).
 * Private repositories answer every refused caller exactly as missing ones.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class OrgAccessMatrixContract {
    /** The actions of the matrix, in its printed order. */
    private static final List<String> COLUMNS =
            List.of("pull", "push", "delete", "catalog", "visibility", "manage teams", "create robot");
    AuthFixture auth;
    OrgFixture db;

    abstract RegistryServer.Backend backend();

    @BeforeAll
    void start() {
        auth = AuthFixture.start(backend());
        db = OrgFixture.of(auth.server);
    }

    @AfterAll
    void stop() {
        db.close();
        auth.close();
    }

    /** One row: who asks, by which credentials at {@code /token} and the account API. */
    record Row(String label, Who who) {}

    @Test
    void accessMatrix() {
        OrgStore orgs = db.orgs;
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        String org = "acme" + UUID.randomUUID().toString().substring(0, 8);
        Who owner = auth.signUp("owner");
        OrgFixture.done(orgs.createOrganization(org, owner.username(), now));
        String pub = org + "/public-app";
        String priv = org + "/private-app";
        auth.pushImage(owner, pub, "latest");
        auth.pushImage(owner, priv, "latest");
        assertThat(auth.setVisibility(owner, pub, "public").statusCode()).isEqualTo(200);
        // the account API's visibility change is recorded in the organization's audit log, as its owner's
        assertThat(OrgFixture.await(orgs.audit(org, null, 10))).anySatisfy(e -> {
            assertThat(e.action()).isEqualTo("repository.visibility");
            assertThat(e.target()).isEqualTo(pub);
            assertThat(e.actor()).isEqualTo(owner.username());
        });

        Who outsider = auth.signUp("outsider");
        Who member = auth.signUp("member");
        Who reader = auth.signUp("reader");
        Who writer = auth.signUp("writer");
        Who teamAdmin = auth.signUp("teamadmin");
        Who orgAdmin = auth.signUp("orgadmin");
        Who collaborator = auth.signUp("collab");
        Who disabled = auth.signUp("disabled");
        String actor = owner.username();
        OrgFixture.done(orgs.setMember(org, member.username(), OrgRole.MEMBER, actor));
        OrgFixture.done(orgs.setMember(org, orgAdmin.username(), OrgRole.ADMIN, actor));
        team(org, "readers", RepoRole.READ, false, List.of(pub, priv), reader, actor, now);
        team(org, "writers", RepoRole.WRITE, true, List.of(), writer, actor, now);
        team(org, "admins", RepoRole.ADMIN, false, List.of(pub, priv), teamAdmin, actor, now);
        // the disabled user had write access through a team: being disabled takes everything
        OrgFixture.done(orgs.addTeamMember(org, "writers", disabled.username(), actor));
        OrgFixture.done(orgs.setDisabled(disabled.username(), true, "root"));
        OrgFixture.done(orgs.setGrant(pub, collaborator.username(), RepoRole.READ, actor));
        OrgFixture.done(orgs.setGrant(priv, collaborator.username(), RepoRole.READ, actor));
        Who robotPull = robot(org, "puller", RepoRole.READ, true, List.of(), actor, now);
        Who robotPush = robot(org, "pusher", RepoRole.WRITE, false, List.of(pub, priv), actor, now);
        String[] pullPat = auth.createPat(owner, List.of("pull"), List.of());

        List<Row> rows = List.of(
                new Row("anonymous", Who.ANONYMOUS),
                new Row("non-member", outsider),
                new Row("org member without team", member),
                new Row("team read", reader),
                new Row("team write", writer),
                new Row("team admin", teamAdmin),
                new Row("org admin", orgAdmin),
                new Row("org owner", owner),
                new Row("outside collaborator with read", collaborator),
                new Row("robot with pull", robotPull),
                new Row("robot with push", robotPush),
                new Row("disabled user", disabled),
                new Row("PAT narrowed to pull", new Who(owner.username(), pullPat[1])));

        // public: pull push delete catalog visibility teams robot | private: the same
        String expectedTable = """
                anonymous                      | Y N N Y N N N | N N N N N N N
                non-member                     | Y N N Y N N N | N N N N N N N
                org member without team        | Y N N Y N N N | N N N N N N N
                team read                      | Y N N Y N N N | Y N N Y N N N
                team write                     | Y Y N Y N N N | Y Y N Y N N N
                team admin                     | Y Y Y Y Y N N | Y Y Y Y Y N N
                org admin                      | Y Y Y Y Y Y Y | Y Y Y Y Y Y Y
                org owner                      | Y Y Y Y Y Y Y | Y Y Y Y Y Y Y
                outside collaborator with read | Y N N Y N N N | Y N N Y N N N
                robot with pull                | Y N N Y N N N | Y N N Y N N N
                robot with push                | Y Y N Y N N N | Y Y N Y N N N
                disabled user                  | N N N N N N N | N N N N N N N
                PAT narrowed to pull           | Y N N Y N N N | Y N N Y N N N
                """;
        Map<String, Boolean> expected = parse(expectedTable);

        Map<String, Boolean> actual = new LinkedHashMap<>();
        for (Row row : rows) {
            for (String repo : List.of(pub, priv)) {
                String cell = row.label() + " × " + (repo.equals(pub) ? "public" : "private") + " × ";
                actual.put(cell + "pull", pull(row.who(), repo));
                actual.put(cell + "push", push(row.who(), repo));
                actual.put(cell + "delete", delete(row.who(), owner, repo));
                actual.put(cell + "catalog", catalogShows(row.who(), repo));
                actual.put(cell + "visibility", changeVisibility(row.who(), repo, repo.equals(pub)));
                actual.put(cell + "manage teams", manageTeams(row.who(), owner, org));
                actual.put(cell + "create robot", createRobot(row.who(), owner, org));
            }
        }
        System.out.println("[org access matrix] " + backend() + " (teams and robots: HTTP /api/v1, agreeing with AccessPolicy)"
                + ": " + rows.size() + " callers × 2 repositories × "
                + COLUMNS.size() + " actions = " + actual.size() + " cells\n" + table(actual, rows));
        assertThat(actual).hasSize(rows.size() * 2 * COLUMNS.size());
        assertThat(actual).containsExactlyEntriesOf(expected);

        // every caller refused the private repository gets exactly what a missing one answers
        String missing = org + "/nothing-here";
        for (Row row : rows) {
            if (!expected.get(row.label() + " × private × pull")) {
                assertAnswersAsMissing(row.who(), priv, missing);
            }
        }
    }

    private void team(String org, String name, RepoRole role, boolean all, List<String> repos, Who member,
                      String actor, Instant now) {
        OrgFixture.done(db.orgs.createTeam(new OrgStore.Team(org, name, "the " + name, role, all, false, now), actor));
        for (String repo : repos) {
            OrgFixture.done(db.orgs.addTeamRepository(org, name, repo, actor));
        }
        OrgFixture.done(db.orgs.addTeamMember(org, name, member.username(), actor));
    }

    private Who robot(String ns, String shortName, RepoRole role, boolean all, List<String> repos, String actor,
                      Instant now) {
        Secrets.RobotSecret secret = Secrets.issueRobot();
        String name = ns + "+" + shortName;
        OrgFixture.done(db.orgs.createRobot(new OrgStore.Robot(name, ns, secret.hash(), "test robot", role, all, false,
                repos, null, null, actor, now), actor));
        return new Who(name, secret.secret());
    }

    // --- the columns ---

    private boolean pull(Who who, String repo) {
        String token = auth.token(who, "repository:" + repo + ":pull");
        return allowedOr401(auth.call(token, "GET", "/v2/" + repo + "/manifests/latest", null,
                "Accept", Oci.OCI_MANIFEST), 200);
    }

    private boolean push(Who who, String repo) {
        String token = auth.token(who, "repository:" + repo + ":pull,push");
        byte[] blob = Oci.random(100);
        return allowedOr401(auth.call(token, "POST", "/v2/" + repo + "/blobs/uploads/?digest=" + Oci.digest(blob),
                blob, "Content-Type", "application/octet-stream"), 201);
    }

    /** Deletes a manifest the owner pushed for the purpose (so each cell has something to delete). */
    private boolean delete(Who who, Who owner, String repo) {
        String digest = auth.pushImage(owner, repo, "doomed");
        String token = auth.token(who, "repository:" + repo + ":delete");
        return allowedOr401(auth.call(token, "DELETE", "/v2/" + repo + "/manifests/" + digest, null), 202);
    }

    private boolean catalogShows(Who who, String repo) {
        String token = auth.token(who, "registry:catalog:*");
        HttpResponse<byte[]> r = auth.call(token, "GET", "/v2/_catalog?n=100000", null);
        if (r.statusCode() == 401) {
            return false;
        }
        assertThat(r.statusCode()).isEqualTo(200);
        List<String> names = new ArrayList<>();
        Oci.json(r).path("repositories").forEach(n -> names.add(n.asText()));
        return names.contains(repo);
    }

    /** Sets the visibility the repository already has: allowed is 200; refused is 401 (no account) or 404 (as missing). */
    private boolean changeVisibility(Who who, String repo, boolean isPublic) {
        HttpResponse<byte[]> r = auth.setVisibility(who, repo, isPublic ? "public" : "private");
        if (r.statusCode() == 200) {
            assertThat(Oci.json(r).path("visibility").asText()).isEqualTo(isPublic ? "public" : "private");
            return true;
        }
        assertThat(r.statusCode()).as(new String(r.body())).isIn(401, 404);
        return false;
    }

    /**
     * Manage the organization's teams: a real {@code POST /api/v1/orgs/<org>/teams} (the team made
     * is deleted again), which must agree with AccessPolicy's decision on the signed-in caller and
     * the real store.
     */
    private boolean manageTeams(Who who, Who owner, String org) {
        Principal p = signedIn(who);
        boolean decided = p != null && AccessPolicy.mayManageOrganization(p, OrgFixture.await(policy().orgRole(p, org)));
        String team = "t" + UUID.randomUUID().toString().substring(0, 8);
        boolean served = created(auth.client.send("POST", "/api/v1/orgs/" + org + "/teams",
                AuthFixture.json("name", team), AuthFixture.concat(who.basic(), "Content-Type", "application/json")));
        if (served) {
            assertThat(auth.client.send("DELETE", "/api/v1/orgs/" + org + "/teams/" + team, null, owner.basic())
                    .statusCode()).isIn(200, 204);
        }
        assertThat(served).as("POST teams as " + who.username() + " agrees with AccessPolicy").isEqualTo(decided);
        return served;
    }

    /** Create a robot of the organization (as {@link #manageTeams}, with {@code POST /api/v1/namespaces/<org>/robots}). */
    private boolean createRobot(Who who, Who owner, String org) {
        Principal p = signedIn(who);
        boolean decided = p != null && AccessPolicy.mayManageRobots(p, org, NamespaceKind.ORGANIZATION,
                OrgFixture.await(policy().orgRole(p, org)));
        String robot = "r" + UUID.randomUUID().toString().substring(0, 8);
        boolean served = created(auth.client.send("POST", "/api/v1/namespaces/" + org + "/robots",
                AuthFixture.json("name", robot), AuthFixture.concat(who.basic(), "Content-Type", "application/json")));
        if (served) {
            assertThat(auth.client.send("DELETE", "/api/v1/namespaces/" + org + "/robots/" + robot, null, owner.basic())
                    .statusCode()).isIn(200, 204);
        }
        assertThat(served).as("POST robots as " + who.username() + " agrees with AccessPolicy").isEqualTo(decided);
        return served;
    }

    /** 201 is allowed; refused is 401 (not signed in), 403 (sees, may not change) or 404 (may not see). */
    private static boolean created(HttpResponse<byte[]> r) {
        if (r.statusCode() == 201) {
            return true;
        }
        assertThat(r.statusCode()).as(new String(r.body())).isIn(401, 403, 404);
        return false;
    }

    private AccessPolicy policy() {
        return new AccessPolicy(db.orgs);
    }

    /** The account the account API signs in with these credentials, or null when it refuses them (401). */
    private Principal signedIn(Who who) {
        HttpResponse<byte[]> r = auth.client.get("/auth/account", who.basic());
        if (r.statusCode() == 401) {
            return null;
        }
        assertThat(r.statusCode()).isEqualTo(200);
        return Principal.account(Oci.json(r).path("username").asText(), Oci.json(r).path("admin").asBoolean());
    }

    private void assertAnswersAsMissing(Who who, String priv, String missing) {
        for (String path : List.of("/manifests/latest", "/tags/list", "/blobs/sha256:" + "0".repeat(64))) {
            HttpResponse<byte[]> a = auth.call(auth.token(who, "repository:" + priv + ":pull"), "GET",
                    "/v2/" + priv + path, null);
            HttpResponse<byte[]> b = auth.call(auth.token(who, "repository:" + missing + ":pull"), "GET",
                    "/v2/" + missing + path, null);
            assertThat(a.statusCode()).as(who + " " + path).isEqualTo(401).isEqualTo(b.statusCode());
            assertThat(new String(a.body()).replace(priv, "NAME")).isEqualTo(new String(b.body()).replace(missing, "NAME"));
            assertThat(a.headers().firstValue("WWW-Authenticate").orElseThrow().replace(priv, "NAME"))
                    .isEqualTo(b.headers().firstValue("WWW-Authenticate").orElseThrow().replace(missing, "NAME"));
        }
        HttpResponse<byte[]> a = auth.client.get("/auth/repositories/" + priv, who.basic());
        HttpResponse<byte[]> b = auth.client.get("/auth/repositories/" + missing, who.basic());
        assertThat(a.statusCode()).as(who.toString()).isEqualTo(b.statusCode()).isIn(401, 404);
        assertThat(new String(a.body()).replace(priv, "NAME")).isEqualTo(new String(b.body()).replace(missing, "NAME"));
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

    private static Map<String, Boolean> parse(String table) {
        Map<String, Boolean> cells = new LinkedHashMap<>();
        for (String line : table.strip().split("\n")) {
            String[] parts = line.split("\\|");
            String caller = parts[0].strip();
            for (int half = 0; half < 2; half++) {
                String[] marks = parts[1 + half].strip().split(" +");
                assertThat(marks).hasSize(COLUMNS.size());
                for (int i = 0; i < marks.length; i++) {
                    cells.put(caller + " × " + (half == 0 ? "public" : "private") + " × " + COLUMNS.get(i),
                            marks[i].equals("Y"));
                }
            }
        }
        return cells;
    }

    private static String table(Map<String, Boolean> cells, List<Row> rows) {
        StringBuilder out = new StringBuilder();
        for (Row row : rows) {
            out.append(String.format("%-31s", row.label()));
            for (String kind : List.of("public", "private")) {
                out.append("|");
                for (String column : COLUMNS) {
                    out.append(' ').append(cells.get(row.label() + " × " + kind + " × " + column) ? 'Y' : 'N');
                }
                out.append(' ');
            }
            out.append('\n');
        }
        return out.toString();
    }
}

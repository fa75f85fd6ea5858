package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.openregistry.LogCapture;
import io.openregistry.RegistryServer;
import io.openregistry.api.AuthFixture.Who;
import io.openregistry.auth.Secrets;
import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.OrgStore.RepoRole;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Robot accounts at the token endpoint (log in as {@code org+name} with the {@code orrobot_}
 * secret, by GET and by the OAuth2 form; refused when unknown, wrong, expired, deleted, or of a
 * disabled user; never at the account API; never a refresh token; "last used" recorded; the
 * secret never logged), and disabled accounts (no registry token by password, PAT or session, no
 * sign-in; all back once re-enabled). Runs once per database through a subclass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RobotAndDisabledLoginContract {
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

    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }

    private Who robot(String ns, String shortName, RepoRole role, boolean all, boolean mayCreate, List<String> repos,
                      Instant expiresAt) {
        Secrets.RobotSecret secret = Secrets.issueRobot();
        String name = ns + "+" + shortName;
        OrgFixture.done(db.orgs.createRobot(new OrgStore.Robot(name, ns, secret.hash(), null, role, all, mayCreate,
                repos, expiresAt, null, "root", now()), "root"));
        assertThat(OrgFixture.await(db.orgs.robot(name)).secretHash()).isEqualTo(secret.hash()).doesNotContain(secret.secret());
        return new Who(name, secret.secret());
    }

    private List<String> catalog(String token) {
        HttpResponse<byte[]> r = auth.call(token, "GET", "/v2/_catalog?n=100000", null);
        assertThat(r.statusCode()).isEqualTo(200);
        List<String> names = new ArrayList<>();
        Oci.json(r).path("repositories").forEach(n -> names.add(n.asText()));
        return names;
    }

    @Test
    void robotsLogInToTheRegistryOnlyAndTheirSecretIsNeverLogged() {
        ch.qos.logback.classic.Logger accessLogger =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("openregistry.access");
        ch.qos.logback.core.read.ListAppender<ILoggingEvent> access = new ch.qos.logback.core.read.ListAppender<>();
        access.list = new java.util.concurrent.CopyOnWriteArrayList<>();
        access.start();
        accessLogger.addAppender(access); // the access log does not reach the root logger
        try (LogCapture log = LogCapture.all()) {
            Who owner = auth.signUp("owner");
            Who other = auth.signUp("other");
            String org = "org" + UUID.randomUUID().toString().substring(0, 8);
            OrgFixture.done(db.orgs.createOrganization(org, owner.username(), now()));
            String app = org + "/app";
            String secretRepo = org + "/secret";
            String othersRepo = other.username() + "/private";
            auth.pushImage(owner, app, "v1");
            auth.pushImage(owner, secretRepo, "v1");
            auth.pushImage(other, othersRepo, "v1");
            Who ci = robot(org, "ci", RepoRole.WRITE, false, true, List.of(app, org + "/new"), null);
            assertThat(ci.secret()).startsWith("orrobot_");

            // GET /token with Basic: the grants of its role on what it lists, in its namespace only
            String token = auth.token(ci, "repository:" + app + ":pull,push,delete", "repository:" + secretRepo + ":pull",
                    "repository:" + othersRepo + ":pull,push", "repository:" + org + "/new:push", "registry:catalog:*");
            var claims = AuthFixture.claims(token);
            assertThat(claims.path("sub").asText()).isEqualTo(ci.username());
            assertThat(claims.has("adm")).isFalse();
            assertThat(claims.path("access").toString()).isEqualTo("[{\"type\":\"repository\",\"name\":\"" + app
                    + "\",\"actions\":[\"pull\",\"push\"]},{\"type\":\"repository\",\"name\":\"" + org
                    + "/new\",\"actions\":[\"push\"]},{\"type\":\"registry\",\"name\":\"catalog\",\"actions\":[\"*\"]}]");
            auth.pushImage(ci, app, "from-ci");
            auth.pushImage(ci, org + "/new", "created-by-ci");
            assertThat(catalog(token)).contains(app).doesNotContain(secretRepo, othersRepo);
            assertThat(OrgFixture.await(db.orgs.robot(ci.username())).lastUsedAt()).isNotNull();

            // the OAuth2 form, as containerd sends it; an offline request gets no refresh token for a robot
            HttpResponse<byte[]> form = auth.client.post("/token", ("grant_type=password&service=" + AuthFixture.SERVICE
                    + "&access_type=offline&scope=" + URLEncoder.encode("repository:" + app + ":pull", StandardCharsets.UTF_8)
                    + "&username=" + URLEncoder.encode(ci.username(), StandardCharsets.UTF_8) + "&password=" + ci.secret())
                    .getBytes(StandardCharsets.UTF_8), "Content-Type", "application/x-www-form-urlencoded");
            assertThat(form.statusCode()).as(new String(form.body())).isEqualTo(200);
            assertThat(Oci.json(form).has("refresh_token")).isFalse();
            HttpResponse<byte[]> offline = auth.client.get("/token?service=" + AuthFixture.SERVICE + "&offline_token=true",
                    ci.basic());
            assertThat(offline.statusCode()).isEqualTo(200);
            assertThat(Oci.json(offline).has("refresh_token")).isFalse();

            // refused: wrong or malformed secret, unknown robot, another robot's secret
            Who other2 = robot(org, "other", RepoRole.READ, true, false, List.of(), null);
            for (Who bad : List.of(new Who(ci.username(), Secrets.issueRobot().secret()),
                    new Who(ci.username(), "not-a-robot-secret"), new Who(org + "+ghost", ci.secret()),
                    new Who(ci.username(), other2.secret()), new Who(org + "+ci", ""))) {
                HttpResponse<byte[]> r = auth.tokenResponse(bad, "repository:" + app + ":pull");
                Oci.assertError(r, 401, "UNAUTHORIZED");
                assertThat(r.headers().firstValue("WWW-Authenticate")).isEmpty();
            }

            // odd robot names with a well-formed secret reach the store and are refused like unknown ones, never a 500
            for (String odd : List.of("x".repeat(500) + "+ci", org + "+ci+ci", org.toUpperCase() + "+CI", org + "+",
                    "+" + org, org + "+" + "c".repeat(300), org + "+ci\u00e9", org + "+ci'--")) {
                HttpResponse<byte[]> r = auth.tokenResponse(new Who(odd, ci.secret()), "repository:" + app + ":pull");
                Oci.assertError(r, 401, "UNAUTHORIZED");
            }

            // never the account API: sign-in, Basic, with the robot's name or its secret as a password
            HttpResponse<byte[]> signIn = auth.client.post("/auth/signin", AuthFixture.json("username", ci.username(),
                    "password", ci.secret()), "Content-Type", "application/json");
            Oci.assertError(signIn, 401, "UNAUTHORIZED");
            Oci.assertError(auth.client.get("/auth/account", ci.basic()), 401, "UNAUTHORIZED");
            Oci.assertError(auth.client.get("/auth/tokens", ci.basic()), 401, "UNAUTHORIZED");
            Oci.assertError(auth.client.get("/auth/repositories/" + app, ci.basic()), 401, "UNAUTHORIZED");
            Oci.assertError(auth.setVisibility(ci, app, "public"), 401, "UNAUTHORIZED");

            // expired, then deleted: refused
            Who expired = robot(org, "old", RepoRole.READ, true, false, List.of(), now().minusSeconds(1));
            Oci.assertError(auth.tokenResponse(expired, "repository:" + app + ":pull"), 401, "UNAUTHORIZED");
            OrgFixture.done(db.orgs.deleteRobot(ci.username(), "root"));
            Oci.assertError(auth.tokenResponse(ci, "repository:" + app + ":pull"), 401, "UNAUTHORIZED");

            List<String> lines = new ArrayList<>(log.atLeast(Level.TRACE).stream().map(RobotAndDisabledLoginContract::text).toList());
            access.list.forEach(e -> lines.add(text(e)));
            assertThat(lines).as("the access log was captured").anyMatch(l -> l.contains("\"route\":\"/token\""));
            assertThat(lines).anyMatch(l -> l.contains("authentication failed"));
            for (String secret : List.of(ci.secret(), other2.secret(), expired.secret())) {
                assertThat(lines).noneMatch(l -> l.contains(secret));
                assertThat(lines).noneMatch(l -> l.contains(secret.substring(Secrets.ROBOT_PREFIX.length(), 30)));
            }
        } finally {
            accessLogger.detachAppender(access);
        }
    }

    @Test
    void aDisabledAccountGetsNoTokenByAnyCredentialAndNeitherDoItsRobots() {
        Who user = auth.signUp("user");
        String repo = user.username() + "/app";
        auth.pushImage(user, repo, "v1");
        String[] pat = auth.createPat(user, List.of("pull"), List.of());
        Who byPat = new Who(user.username(), pat[1]);
        HttpResponse<byte[]> offline = auth.client.get("/token?service=" + AuthFixture.SERVICE + "&offline_token=true",
                user.basic());
        String refresh = Oci.json(offline).path("refresh_token").asText();
        HttpResponse<byte[]> signIn = auth.client.post("/auth/signin", AuthFixture.json("username", user.username(),
                "password", user.secret()), "Content-Type", "application/json");
        String session = Oci.json(signIn).path("session").asText();
        Who robot = robot(user.username(), "ci", RepoRole.READ, true, false, List.of(), null);
        String scope = "repository:" + repo + ":pull";
        assertThat(allWork(user, byPat, refresh, session, robot, scope)).containsOnly(200);

        OrgFixture.done(db.orgs.setDisabled(user.username(), true, "root"));
        assertThat(allWork(user, byPat, refresh, session, robot, scope)).containsOnly(401);
        HttpResponse<byte[]> r = auth.tokenResponse(user, scope);
        assertThat(Oci.json(r).path("errors").path(0).path("message").asText()).isEqualTo("authentication failed: account disabled");
        // a wrong password says nothing about the account being disabled
        r = auth.tokenResponse(new Who(user.username(), "wrong-password-1"), scope);
        assertThat(Oci.json(r).path("errors").path(0).path("message").asText()).doesNotContain("disabled");
        Oci.assertError(auth.client.post("/auth/signin", AuthFixture.json("username", user.username(),
                "password", user.secret()), "Content-Type", "application/json"), 401, "UNAUTHORIZED");

        OrgFixture.done(db.orgs.setDisabled(user.username(), false, "root"));
        assertThat(allWork(user, byPat, refresh, session, robot, scope)).containsOnly(200);
    }

    /** The statuses of: a token by password, by PAT, by refresh token, the account API by session, a token for the robot. */
    private List<Integer> allWork(Who user, Who byPat, String refresh, String session, Who robot, String scope) {
        List<Integer> statuses = new ArrayList<>();
        statuses.add(auth.tokenResponse(user, scope).statusCode());
        statuses.add(auth.tokenResponse(byPat, scope).statusCode());
        statuses.add(auth.client.post("/token", ("grant_type=refresh_token&service=" + AuthFixture.SERVICE
                + "&refresh_token=" + refresh).getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/x-www-form-urlencoded").statusCode());
        statuses.add(auth.client.get("/auth/account", "Authorization", "Bearer " + session).statusCode());
        statuses.add(auth.tokenResponse(robot, scope).statusCode());
        return statuses;
    }

    private static String text(ILoggingEvent e) {
        return e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : " " + e.getThrowableProxy().getMessage());
    }
}

package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import io.openregistry.LogCapture;
import io.openregistry.RegistryServer;
import io.openregistry.api.AuthFixture.Who;
import io.openregistry.config.Config;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.LoggerFactory;

/**
 * A registry with {@code organizations.creation: admins} and its own reserved names: only
 * registry admins create organizations; and a robot's secret, through creation, rotation, a
 * login and a refused use of the management API, never reaches any log line (the registry's
 * loggers at DEBUG).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OrgCreationAndSecretsTest {
    private static final Who ADMIN = new Who(AuthFixture.ADMIN, AuthFixture.ADMIN_PASSWORD);
    private AuthFixture auth;

    @BeforeAll
    void start() {
        auth = AuthFixture.of(RegistryServer.start(RegistryServer.Backend.H2, null, null,
                dir -> AuthFixture.auth(dir, true, 100_000, 100_000),
                new Config.Uploads(1024 * 1024, java.time.Duration.ofDays(1)),
                config -> config.withNamespaces(new Config.Namespaces(Set.of("ops"), true))));
    }

    @AfterAll
    void stop() {
        auth.close();
    }

    private HttpResponse<byte[]> post(Who who, String path, byte[] body) {
        return auth.client.post(path, body, AuthFixture.concat(who.basic(), "Content-Type", "application/json"));
    }

    @Test
    void onlyAdminsCreateOrganizationsAndTheConfiguredNamesAreReserved() {
        Who alice = auth.signUp("alice");
        Oci.assertError(post(alice, "/api/v1/orgs", AuthFixture.json("name", "acme")), 403, "DENIED");
        assertThat(new String(post(alice, "/api/v1/orgs", AuthFixture.json("name", "acme")).body(),
                StandardCharsets.UTF_8)).contains("organizations.creation");
        assertThat(post(ADMIN, "/api/v1/orgs", AuthFixture.json("name", "acme")).statusCode()).isEqualTo(201);
        // the configured list replaces the default one
        Oci.assertError(auth.client.post("/auth/signup", AuthFixture.json("username", "ops", "password", "ops-password-1"),
                "Content-Type", "application/json"), 409, "ALREADY_EXISTS");
        assertThat(auth.client.post("/auth/signup", AuthFixture.json("username", "library", "password",
                "library-password"), "Content-Type", "application/json").statusCode()).isEqualTo(201);
    }

    @Test
    void aRobotSecretNeverReachesTheLog() {
        Logger registry = (Logger) LoggerFactory.getLogger("io.openregistry");
        Logger access = (Logger) LoggerFactory.getLogger("openregistry.access");
        Level registryLevel = registry.getLevel();
        Level accessLevel = access.getLevel();
        registry.setLevel(Level.DEBUG);
        access.setLevel(Level.DEBUG);
        try (LogCapture log = LogCapture.all()) {
            Who alice = auth.signUp("alice");
            HttpResponse<byte[]> created = post(alice, "/api/v1/namespaces/" + alice.username() + "/robots",
                    AuthFixture.json("name", "ci", "role", "write"));
            assertThat(created.statusCode()).as(new String(created.body(), StandardCharsets.UTF_8)).isEqualTo(201);
            String first = Oci.json(created).path("secret").asText();
            HttpResponse<byte[]> rotated = post(alice, "/api/v1/namespaces/" + alice.username() + "/robots/ci/secret",
                    null);
            assertThat(rotated.statusCode()).isEqualTo(200);
            String second = Oci.json(rotated).path("secret").asText();
            Who robot = new Who(alice.username() + "+ci", second);
            // a login at /token (whatever it answers) and a refused call of the management API, with each secret
            auth.tokenResponse(robot, "repository:" + alice.username() + "/app:pull");
            auth.tokenResponse(new Who(robot.username(), first), "repository:" + alice.username() + "/app:pull");
            assertThat(auth.client.get("/api/v1/orgs", robot.basic()).statusCode()).isEqualTo(401);
            List<ILoggingEvent> events = log.atLeast(Level.TRACE);
            assertThat(events).isNotEmpty();
            String all = events.stream().map(e -> e.getFormattedMessage()
                    + (e.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(e.getThrowableProxy())))
                    .collect(Collectors.joining("\n"));
            for (String secret : List.of(first, second)) {
                assertThat(all).doesNotContain(secret).doesNotContain(secret.substring("orrobot_".length()));
            }
        } finally {
            registry.setLevel(registryLevel);
            access.setLevel(accessLevel);
        }
    }
}

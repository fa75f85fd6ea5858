package io.openregistry.api;

import static io.openregistry.api.Oci.assertError;
import static io.openregistry.api.PasskeyFixture.json;
import static io.openregistry.api.PasskeyFixture.name;
import static io.openregistry.api.PasskeyFixture.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.openregistry.RegistryServer;
import io.openregistry.config.Config;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The passkey and cookie settings: rpId, origins, cookieSecure, and sign-up switched off. */
class PasskeySettingsTest {
    private static final String ORIGIN = "https://registry.example.com";

    /** A registry behind a TLS proxy at {@value #ORIGIN}, the cookie always Secure. */
    @Test
    void aPublicOriginBehindAProxy() {
        try (AuthFixture auth = AuthFixture.start(RegistryServer.Backend.H2, dir -> AuthFixture.auth(dir, true, 100_000,
                100_000).withWeb(new Config.Web("example.com", "Example registry", List.of(ORIGIN), Duration.ofMinutes(2),
                true)))) {
            PasskeyFixture web = new PasskeyFixture(auth.client, auth.server.port());
            HttpResponse<byte[]> options = web.signUpOptions(name("proxy"));
            JsonNode pk = json(options).path("publicKey");
            assertThat(pk.path("rp").path("id").asText()).isEqualTo("example.com");
            assertThat(pk.path("rp").path("name").asText()).isEqualTo("Example registry");
            assertThat(pk.path("timeout").asLong()).isEqualTo(120_000);
            SoftAuthenticator key = new SoftAuthenticator(ORIGIN);
            HttpResponse<byte[]> created = web.register(json(options).path("flow").asText(), key.create(pk), null);
            assertThat(created.statusCode()).as(text(created)).isEqualTo(201);
            assertThat(created.headers().firstValue("Set-Cookie").orElseThrow()).endsWith("; Secure");
            PasskeyFixture.Session s = PasskeyFixture.session(created);
            // the default origin (http://localhost:<port>) is not allowed any more
            SoftAuthenticator local = new SoftAuthenticator(web.origin());
            JsonNode o = json(web.signUpOptions(name("local")));
            assertError(web.register(o.path("flow").asText(), local.create(o.path("publicKey")), null), 400,
                    "INVALID_REQUEST");
            // nor as the Origin of a cookie request; the public origin is
            assertError(auth.client.send("DELETE", "/auth/passkeys/" + key.id(), null, s.headers("Origin", web.origin())),
                    403, "DENIED");
            assertError(auth.client.send("DELETE", "/auth/passkeys/" + key.id(), null, s.headers("Origin", ORIGIN)),
                    409, "DENIED");
            // a passkey of another relying party (its rpIdHash) is refused
            JsonNode in = web.signInOptions();
            HttpResponse<byte[]> other = web.authenticate(in.path("flow").asText(),
                    key.assertion("other.example", in.path("publicKey").path("challenge").asText()));
            assertError(other, 401, "UNAUTHORIZED");
            assertThat(text(other)).contains("wrong relying party id");
            assertThat(web.signIn(key).username()).isEqualTo(s.username());
        }
    }

    @Test
    void signUpOffRefusesPasskeySignUpButNotSignIn() {
        try (AuthFixture auth = AuthFixture.start(RegistryServer.Backend.H2, dir -> AuthFixture.auth(dir, false, 100_000,
                100_000).withWeb(new Config.Web("localhost", "OpenRegistry", List.of(), Duration.ofMinutes(5), false)))) {
            PasskeyFixture web = new PasskeyFixture(auth.client, auth.server.port());
            assertError(web.signUpOptions(name("closed")), 403, "DENIED");
            assertError(web.register("flow", Oci.JSON.createObjectNode(), null), 403, "DENIED");
            // an account an admin made signs in by password, adds a passkey and signs in with it
            AuthFixture.Who admin = new AuthFixture.Who(AuthFixture.ADMIN, AuthFixture.ADMIN_PASSWORD);
            HttpResponse<byte[]> r = web.post("/auth/session", PasskeyFixture.object("username", admin.username(),
                    "password", admin.secret()), "Content-Type", "application/json", "X-Forwarded-Proto", "https");
            assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
            // web.cookieSecure false: not Secure even behind TLS
            assertThat(r.headers().firstValue("Set-Cookie").orElseThrow()).doesNotContain("Secure");
            PasskeyFixture.Session s = PasskeyFixture.session(r);
            assertThat(json(auth.client.get("/auth/session", s.cookieOnly())).path("admin").asBoolean()).isTrue();
            SoftAuthenticator key = new SoftAuthenticator(web.origin());
            assertThat(web.add(s, key, null).statusCode()).isEqualTo(201);
            assertThat(json(auth.client.get("/auth/passkeys", s.cookieOnly())).path("passkeys").path(0).path("name")
                    .asText()).isEqualTo("passkey");
            assertThat(web.signIn(key).username()).isEqualTo(AuthFixture.ADMIN);
        }
    }

    /** With 3 failures a minute per address: a dead cookie the browser keeps sending must not count. */
    @Test
    void aDeadCookieIsHarmless() {
        try (AuthFixture auth = AuthFixture.start(RegistryServer.Backend.H2, dir -> AuthFixture.auth(dir, true, 100_000,
                3))) {
            PasskeyFixture web = new PasskeyFixture(auth.client, auth.server.port());
            SoftAuthenticator key = new SoftAuthenticator(web.origin());
            PasskeyFixture.Session dead = web.signUp(name("dead"), key);
            assertThat(auth.client.send("DELETE", "/auth/session", null, dead.headers()).statusCode()).isEqualTo(204);
            for (int i = 0; i < 10; i++) {
                assertError(auth.client.get("/auth/tokens", dead.cookieOnly()), 401, "UNAUTHORIZED");
                HttpResponse<byte[]> who = auth.client.get("/auth/session", dead.cookieOnly());
                assertError(who, 401, "UNAUTHORIZED");
                // the web app asks this first: the answer clears the cookie the page cannot touch
                assertThat(who.headers().firstValue("Set-Cookie").orElseThrow()).startsWith("openregistry_session=;")
                        .contains("Max-Age=0");
            }
            // without a cookie nothing to clear
            assertThat(auth.client.get("/auth/session").headers().firstValue("Set-Cookie")).isEmpty();
            // cleared without a CSRF token (there is none for a dead session)
            HttpResponse<byte[]> out = auth.client.send("DELETE", "/auth/session", null, dead.cookieOnly());
            assertThat(out.statusCode()).isEqualTo(204);
            assertThat(out.headers().firstValue("Set-Cookie").orElseThrow()).contains("Max-Age=0");
            // a sign-up from a browser still holding it is a sign-up, not an addition
            String username = name("fresh");
            HttpResponse<byte[]> options = web.post("/auth/passkeys/registration/options",
                    PasskeyFixture.object("username", username), dead.cookieOnly());
            assertThat(options.statusCode()).as(text(options)).isEqualTo(200);
            HttpResponse<byte[]> created = web.register(json(options).path("flow").asText(),
                    new SoftAuthenticator(web.origin()).create(json(options).path("publicKey")), null, dead.cookieOnly());
            assertThat(created.statusCode()).as(text(created)).isEqualTo(201);
            assertThat(json(created).path("username").asText()).isEqualTo(username);
            // and this address was never throttled
            assertThat(web.signIn(key).username()).isEqualTo(dead.username());
        }
    }
}

package io.openregistry.api;

import static io.openregistry.api.Oci.assertError;
import static io.openregistry.api.PasskeyFixture.json;
import static io.openregistry.api.PasskeyFixture.name;
import static io.openregistry.api.PasskeyFixture.object;
import static io.openregistry.api.PasskeyFixture.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.openregistry.RegistryServer;
import io.openregistry.api.AuthFixture.Who;
import io.openregistry.api.PasskeyFixture.Session;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Passkeys and the web app's session cookie over HTTP against a whole registry (the browser's
 * side played by {@link SoftAuthenticator}): sign-up with a passkey and no password, discoverable
 * sign-in, several passkeys, the WebAuthn checks (origin, challenge single use, counter, user
 * verification, backup flag), the cookie's attributes and the CSRF defence. Once per database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PasskeyApiContract {
    AuthFixture auth;
    TestClient client;
    PasskeyFixture web;

    abstract RegistryServer.Backend backend();

    @BeforeAll
    void start() {
        auth = AuthFixture.start(backend());
        client = auth.client;
        web = new PasskeyFixture(client, auth.server.port());
    }

    @AfterAll
    void stop() {
        auth.close();
    }

    @Test
    void signUpWithAPasskeyThenSignOutAndSignInWithoutAUsername() {
        String username = name("pk");
        SoftAuthenticator key = new SoftAuthenticator(web.origin());
        HttpResponse<byte[]> options = web.signUpOptions(username);
        assertThat(options.statusCode()).as(text(options)).isEqualTo(200);
        JsonNode pk = json(options).path("publicKey");
        assertThat(json(options).path("flow").asText()).isNotEmpty();
        assertThat(pk.path("rp").path("id").asText()).isEqualTo("localhost");
        assertThat(pk.path("rp").path("name").asText()).isEqualTo("OpenRegistry");
        assertThat(pk.path("user").path("name").asText()).isEqualTo(username);
        assertThat(java.util.Base64.getUrlDecoder().decode(pk.path("user").path("id").asText())).hasSize(32);
        assertThat(pk.path("challenge").asText()).hasSize(43);
        List<Integer> algs = new ArrayList<>();
        pk.path("pubKeyCredParams").forEach(p -> algs.add(p.path("alg").asInt()));
        assertThat(algs).containsExactly(-7, -8, -257);
        assertThat(pk.path("authenticatorSelection").path("residentKey").asText()).isEqualTo("required");
        assertThat(pk.path("authenticatorSelection").path("requireResidentKey").asBoolean()).isTrue();
        assertThat(pk.path("authenticatorSelection").path("userVerification").asText()).isEqualTo("required");
        assertThat(pk.path("attestation").asText()).isEqualTo("none");
        assertThat(pk.path("excludeCredentials").isArray()).isTrue();

        HttpResponse<byte[]> created = web.register(json(options).path("flow").asText(), key.create(pk), "laptop");
        assertThat(created.statusCode()).as(text(created)).isEqualTo(201);
        String setCookie = created.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(setCookie).contains("; Path=/").contains("; HttpOnly").contains("; SameSite=Strict")
                .contains("; Max-Age=86400").doesNotContain("Secure");
        Session session = PasskeyFixture.session(created);
        assertThat(session.username()).isEqualTo(username);
        assertThat(session.csrf()).hasSize(43);

        JsonNode me = json(client.get("/auth/session", session.cookieOnly()));
        assertThat(me.path("username").asText()).isEqualTo(username);
        assertThat(me.path("admin").asBoolean()).isFalse();
        assertThat(me.path("has_password").asBoolean()).isFalse();
        assertThat(me.path("passkeys").asInt()).isEqualTo(1);
        assertThat(me.path("csrf_token").asText()).isEqualTo(session.csrf());
        JsonNode list = json(client.get("/auth/passkeys", session.cookieOnly()));
        assertThat(list.path("passkeys")).hasSize(1);
        assertThat(list.path("passkeys").path(0).path("id").asText()).isEqualTo(key.id());
        assertThat(list.path("passkeys").path(0).path("name").asText()).isEqualTo("laptop");
        assertThat(list.path("passkeys").path(0).path("backed_up").asBoolean()).isFalse();
        assertThat(list.path("passkeys").path(0).path("last_used_at").isNull()).isTrue();

        HttpResponse<byte[]> out = client.send("DELETE", "/auth/session", null, session.headers());
        assertThat(out.statusCode()).as(text(out)).isEqualTo(204);
        assertThat(out.headers().firstValue("Set-Cookie").orElseThrow()).startsWith("openregistry_session=;")
                .contains("Max-Age=0");
        assertError(client.get("/auth/session", session.cookieOnly()), 401, "UNAUTHORIZED");
        assertError(client.get("/auth/session"), 401, "UNAUTHORIZED");

        Session again = web.signIn(key);
        assertThat(again.username()).isEqualTo(username);
        assertThat(again.cookie()).isNotEqualTo(session.cookie());
        JsonNode used = json(client.get("/auth/passkeys", again.cookieOnly())).path("passkeys").path(0);
        assertThat(used.path("last_used_at").isNull()).isFalse();
        // the management API takes the cookie too
        HttpResponse<byte[]> orgs = client.get("/api/v1/orgs", again.cookieOnly());
        assertThat(orgs.statusCode()).as(text(orgs)).isEqualTo(200);
    }

    @Test
    void aPasskeyOnlyAccountHasNoPasswordAnyPasswordLoginWouldFindAndPushesWithATokenItMakes() {
        String username = name("nopw");
        SoftAuthenticator key = new SoftAuthenticator(web.origin());
        Session session = web.signUp(username, key);
        for (String guess : List.of("", "password", "x".repeat(20))) {
            Who who = new Who(username, guess);
            assertThat(auth.tokenFrom("127.0.0.1", who, "repository:" + username + "/app:pull").status()).isEqualTo(401);
            assertError(web.post("/auth/signin", object("username", username, "password", guess)), 401, "UNAUTHORIZED");
            assertError(web.post("/auth/session", object("username", username, "password", guess)), 401, "UNAUTHORIZED");
        }
        // a personal access token made through the cookie session is how it pushes
        ObjectNode pat = Oci.JSON.createObjectNode().put("name", "ci");
        pat.putArray("actions").add("pull").add("push");
        HttpResponse<byte[]> created = web.post("/auth/tokens", pat, session.headers());
        assertThat(created.statusCode()).as(text(created)).isEqualTo(201);
        Who withPat = new Who(username, json(created).path("token").asText());
        auth.pushImage(withPat, username + "/app", "v1");
    }

    @Test
    void passwordSignInToTheWebApp() {
        Who who = auth.signUp("pw");
        HttpResponse<byte[]> r = web.post("/auth/session", object("username", who.username(), "password", who.secret()));
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        Session session = PasskeyFixture.session(r);
        assertThat(session.username()).isEqualTo(who.username());
        JsonNode me = json(client.get("/auth/session", session.cookieOnly()));
        assertThat(me.path("has_password").asBoolean()).isTrue();
        assertThat(me.path("passkeys").asInt()).isZero();
        assertError(web.post("/auth/session", object("username", who.username(), "password", "wrong-password")),
                401, "UNAUTHORIZED");
        assertError(web.post("/auth/session", object("username", "org+robot", "password", "orrobot_x")),
                401, "UNAUTHORIZED");

        // a password account adds a passkey, then signs in with it
        SoftAuthenticator key = new SoftAuthenticator(web.origin());
        HttpResponse<byte[]> added = web.add(session, key, "phone");
        assertThat(added.statusCode()).as(text(added)).isEqualTo(201);
        assertThat(json(added).path("name").asText()).isEqualTo("phone");
        assertThat(json(added).path("id").asText()).isEqualTo(key.id());
        assertThat(web.signIn(key).username()).isEqualTo(who.username());
        // and may remove it: the password is still a way in
        HttpResponse<byte[]> removed = client.send("DELETE", "/auth/passkeys/" + key.id(), null, session.headers());
        assertThat(removed.statusCode()).as(text(removed)).isEqualTo(204);
    }

    @Test
    void severalNamedPasskeysAndNeverTheLastWayIn() {
        SoftAuthenticator first = new SoftAuthenticator(web.origin());
        Session session = web.signUp(name("many"), first);
        SoftAuthenticator second = new SoftAuthenticator(web.origin());
        // the add options exclude the passkey the account has, under the account's one user handle
        HttpResponse<byte[]> options = web.post("/auth/passkeys/registration/options", Oci.JSON.createObjectNode(),
                session.headers());
        JsonNode pk = json(options).path("publicKey");
        assertThat(pk.path("excludeCredentials").path(0).path("id").asText()).isEqualTo(first.id());
        assertThat(pk.path("user").path("id").asText()).isEqualTo(SoftAuthenticator.b64(first.userHandle));
        HttpResponse<byte[]> added = web.register(json(options).path("flow").asText(), second.create(pk), "yubikey",
                session.headers());
        assertThat(added.statusCode()).as(text(added)).isEqualTo(201);

        HttpResponse<byte[]> renamed = client.patch("/auth/passkeys/" + first.id(),
                object("name", "old laptop").toString().getBytes(), session.headers());
        assertThat(renamed.statusCode()).as(text(renamed)).isEqualTo(200);
        assertThat(json(renamed).path("name").asText()).isEqualTo("old laptop");
        assertError(client.patch("/auth/passkeys/" + first.id(), object("name", " ").toString().getBytes(),
                session.headers()), 400, "INVALID_REQUEST");
        assertError(client.patch("/auth/passkeys/unknown-id", object("name", "x").toString().getBytes(),
                session.headers()), 404, "NOT_FOUND");

        assertThat(client.send("DELETE", "/auth/passkeys/" + first.id(), null, session.headers()).statusCode())
                .isEqualTo(204);
        HttpResponse<byte[]> last = client.send("DELETE", "/auth/passkeys/" + second.id(), null, session.headers());
        assertError(last, 409, "DENIED");
        assertThat(json(client.get("/auth/passkeys", session.cookieOnly())).path("passkeys")).hasSize(1);
        assertThat(web.signIn(second).username()).isEqualTo(session.username());
        // the removed one no longer signs in
        JsonNode o = web.signInOptions();
        assertError(web.authenticate(o.path("flow").asText(), first.get(o.path("publicKey"))), 401, "UNAUTHORIZED");
    }

    @Test
    void textNoFlowOrPasskeyIdCanBeIsNeverLookedUp() {
        // PostgreSQL refuses a NUL in text: flows and credential ids are base64url or nothing
        SoftAuthenticator key = new SoftAuthenticator(web.origin());
        Session s = web.signUp(name("nul"), key);
        assertError(web.authenticate("a\u0000b", key.get(web.signInOptions().path("publicKey"))), 401, "UNAUTHORIZED");
        JsonNode ro = json(web.signUpOptions(name("nul")));
        assertError(web.register("a\u0000", new SoftAuthenticator(web.origin()).create(ro.path("publicKey")), null), 400,
                "INVALID_REQUEST");
        HttpResponse<byte[]> r = web.authenticate(web.signInOptions().path("flow").asText(),
                Oci.JSON.createObjectNode().put("id", "a\u0000b"));
        assertError(r, 401, "UNAUTHORIZED");
        assertThat(text(r)).contains("malformed credential");
        assertError(client.send("DELETE", "/auth/passkeys/a%00b", null, s.headers()), 404, "NOT_FOUND");
        assertError(client.send("PATCH", "/auth/passkeys/a%00b", object("name", "x").toString().getBytes(),
                s.headers()), 404, "NOT_FOUND");
        assertThat(json(client.get("/auth/passkeys", s.cookieOnly())).path("passkeys")).hasSize(1);
    }

    @Test
    void anOrganizationsNameIsRefusedBeforeTheBrowserMakesAPasskey() {
        Who owner = auth.signUp("orgowner");
        String org = name("org");
        HttpResponse<byte[]> created = client.post("/api/v1/orgs", AuthFixture.json("name", org),
                AuthFixture.concat(owner.basic(), "Content-Type", "application/json"));
        assertThat(created.statusCode()).as(text(created)).isEqualTo(201);
        assertError(web.signUpOptions(org), 409, "ALREADY_EXISTS");
    }

    @Test
    void anAuthorizationHeaderOfAnotherSchemeIsRefusedNotPassedOverForTheCookie() {
        Session s = web.signUp(name("scheme"), new SoftAuthenticator(web.origin()));
        for (String path : List.of("/auth/passkeys", "/auth/tokens", "/api/v1/orgs")) {
            assertError(client.get(path, s.cookieOnly("Authorization", "Token abc")), 401, "UNAUTHORIZED");
            assertThat(client.get(path, s.cookieOnly()).statusCode()).as(path).isEqualTo(200);
        }
    }

    @Test
    void signingInAgainEndsTheSessionTheBrowserCameWith() {
        SoftAuthenticator key = new SoftAuthenticator(web.origin());
        Session first = web.signUp(name("again"), key);
        JsonNode o = web.signInOptions();
        ObjectNode body = Oci.JSON.createObjectNode().put("flow", o.path("flow").asText());
        body.set("credential", key.get(o.path("publicKey")));
        HttpResponse<byte[]> r = web.post("/auth/passkeys/authentication", body, "Content-Type", "application/json",
                "Cookie", "openregistry_session=" + first.cookie());
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        Session second = PasskeyFixture.session(r);
        assertError(client.get("/auth/session", first.cookieOnly()), 401, "UNAUTHORIZED");
        assertThat(client.get("/auth/session", second.cookieOnly()).statusCode()).isEqualTo(200);
    }

    @Test
    void signUpRefusesTakenReservedAndBadNames() {
        Who taken = auth.signUp("taken");
        assertError(web.signUpOptions(taken.username()), 409, "ALREADY_EXISTS");
        assertError(web.signUpOptions("admin"), 409, "ALREADY_EXISTS");
        assertError(web.signUpOptions("Not Valid"), 400, "INVALID_REQUEST");
        assertError(web.signUpOptions(null), 400, "INVALID_REQUEST");
        // the name is claimed at the second half: two sign-ups racing for one name, one wins
        String username = name("race");
        SoftAuthenticator a = new SoftAuthenticator(web.origin());
        SoftAuthenticator b = new SoftAuthenticator(web.origin());
        JsonNode oa = json(web.signUpOptions(username));
        JsonNode ob = json(web.signUpOptions(username));
        assertThat(web.register(oa.path("flow").asText(), a.create(oa.path("publicKey")), null).statusCode())
                .isEqualTo(201);
        assertError(web.register(ob.path("flow").asText(), b.create(ob.path("publicKey")), null), 409, "ALREADY_EXISTS");
        // a body that is not JSON
        assertError(client.post("/auth/passkeys/registration/options", "{}".getBytes(), "Content-Type", "text/plain"),
                415, "INVALID_REQUEST");
    }

    @Test
    void wrongOriginIsRefused() {
        SoftAuthenticator key = new SoftAuthenticator(web.origin());
        String username = name("origin");
        web.signUp(username, key);
        key.origin = "http://evil.example";
        JsonNode o = web.signInOptions();
        HttpResponse<byte[]> r = web.authenticate(o.path("flow").asText(), key.get(o.path("publicKey")));
        assertError(r, 401, "UNAUTHORIZED");
        assertThat(text(r)).contains("passkey not accepted").contains("wrong origin");
        // nor at registration
        SoftAuthenticator other = new SoftAuthenticator("http://localhost:1");
        JsonNode ro = json(web.signUpOptions(name("origin")));
        assertError(web.register(ro.path("flow").asText(), other.create(ro.path("publicKey")), null), 400,
                "INVALID_REQUEST");
    }

    @Test
    void aChallengeIsAnsweredOnceOnly() {
        SoftAuthenticator key = new SoftAuthenticator(web.origin());
        web.signUp(name("replay"), key);
        JsonNode o = web.signInOptions();
        ObjectNode assertion = key.get(o.path("publicKey"));
        assertThat(web.authenticate(o.path("flow").asText(), assertion).statusCode()).isEqualTo(200);
        HttpResponse<byte[]> replay = web.authenticate(o.path("flow").asText(), assertion);
        assertError(replay, 401, "UNAUTHORIZED");
        assertThat(text(replay)).contains("unknown, used or expired");
        // a fresh flow does not make an old answer good: its challenge is another
        JsonNode fresh = web.signInOptions();
        HttpResponse<byte[]> old = web.authenticate(fresh.path("flow").asText(), key.assertion("localhost",
                o.path("publicKey").path("challenge").asText()));
        assertError(old, 401, "UNAUTHORIZED");
        assertThat(text(old)).contains("wrong challenge");
        // and a sign-in flow is no registration flow
        JsonNode signIn = web.signInOptions();
        assertError(web.register(signIn.path("flow").asText(), new SoftAuthenticator(web.origin())
                .create(json(web.signUpOptions(name("x"))).path("publicKey")), null), 400, "INVALID_REQUEST");
    }

    @Test
    void unknownCredentialIsRefused() {
        SoftAuthenticator stranger = new SoftAuthenticator(web.origin());
        stranger.userHandle = new byte[32];
        JsonNode o = web.signInOptions();
        HttpResponse<byte[]> r = web.authenticate(o.path("flow").asText(), stranger.get(o.path("publicKey")));
        assertError(r, 401, "UNAUTHORIZED");
        assertThat(text(r)).contains("unknown credential");
        assertError(web.authenticate(web.signInOptions().path("flow").asText(),
                Oci.JSON.createObjectNode().put("id", "x")), 401, "UNAUTHORIZED");
        assertError(web.post("/auth/passkeys/authentication", object("flow", "nope")), 400, "INVALID_REQUEST");
    }

    @Test
    void malformedCredentialsAreClientErrorsNeverServerErrors() {
        SoftAuthenticator key = new SoftAuthenticator(web.origin());
        web.signUp(name("junk"), key);
        List<String> junk = List.of("{}", "{\"id\":\"" + key.id() + "\"}",
                "{\"id\":\"" + key.id() + "\",\"type\":\"public-key\",\"response\":{}}",
                "{\"id\":\"" + key.id() + "\",\"rawId\":\"" + key.id() + "\",\"type\":\"public-key\","
                        + "\"response\":{\"clientDataJSON\":\"!!\",\"authenticatorData\":\"AAAA\",\"signature\":\"AAAA\"}}",
                "{\"id\":7}");
        for (String credential : junk) {
            JsonNode o = web.signInOptions();
            ObjectNode body = Oci.JSON.createObjectNode().put("flow", o.path("flow").asText());
            try {
                body.set("credential", Oci.JSON.readTree(credential));
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
            HttpResponse<byte[]> r = web.post("/auth/passkeys/authentication", body);
            assertError(r, 401, "UNAUTHORIZED");
            JsonNode ro = json(web.signUpOptions(name("junk")));
            ObjectNode reg = Oci.JSON.createObjectNode().put("flow", ro.path("flow").asText());
            try {
                reg.set("credential", Oci.JSON.readTree(credential));
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
            assertError(web.post("/auth/passkeys/registration", reg), 400, "INVALID_REQUEST");
        }
        // not an object, or an unknown field
        assertError(web.post("/auth/passkeys/authentication", object("flow", "f", "credential", "text")), 400,
                "INVALID_REQUEST");
        assertError(web.post("/auth/passkeys/authentication", object("flow", "f", "extra", "x")), 400,
                "INVALID_REQUEST");
    }

    @Test
    void signCounterRegressionIsRefused() {
        SoftAuthenticator key = new SoftAuthenticator(web.origin());
        web.signUp(name("counter"), key);
        key.signCount = 10;
        web.signIn(key); // 11
        key.signCount = 4; // a clone that lags behind: presents 5 < 11
        JsonNode o = web.signInOptions();
        HttpResponse<byte[]> r = web.authenticate(o.path("flow").asText(), key.get(o.path("publicKey")));
        assertError(r, 401, "UNAUTHORIZED");
        assertThat(text(r)).contains("signature counter");
    }

    @Test
    void syncedPasskeysThatAlwaysSendZeroAreAccepted() {
        SoftAuthenticator key = new SoftAuthenticator(web.origin());
        key.counting = false;
        key.backupEligible = true;
        key.backedUp = true;
        Session s = web.signUp(name("synced"), key);
        web.signIn(key);
        web.signIn(key);
        JsonNode listed = json(client.get("/auth/passkeys", s.cookieOnly())).path("passkeys").path(0);
        assertThat(listed.path("backed_up").asBoolean()).isTrue();
    }

    @Test
    void userVerificationIsRequired() {
        SoftAuthenticator key = new SoftAuthenticator(web.origin());
        web.signUp(name("uv"), key);
        key.userVerified = false;
        JsonNode o = web.signInOptions();
        HttpResponse<byte[]> r = web.authenticate(o.path("flow").asText(), key.get(o.path("publicKey")));
        assertError(r, 401, "UNAUTHORIZED");
        assertThat(text(r)).contains("user verification missing");
        // nor registered without it
        SoftAuthenticator lazy = new SoftAuthenticator(web.origin());
        lazy.userVerified = false;
        JsonNode ro = json(web.signUpOptions(name("uv")));
        assertError(web.register(ro.path("flow").asText(), lazy.create(ro.path("publicKey")), null), 400,
                "INVALID_REQUEST");
    }

    @Test
    void aChangedBackupEligibilityIsRefused() {
        SoftAuthenticator key = new SoftAuthenticator(web.origin());
        web.signUp(name("be"), key);
        key.backupEligible = true;
        JsonNode o = web.signInOptions();
        HttpResponse<byte[]> r = web.authenticate(o.path("flow").asText(), key.get(o.path("publicKey")));
        assertError(r, 401, "UNAUTHORIZED");
        assertThat(text(r)).contains("backup eligibility changed");
    }

    @Test
    void csrfTokenAndOriginAreCheckedOnCookieRequestsThatChangeSomething() {
        SoftAuthenticator key = new SoftAuthenticator(web.origin());
        Session s = web.signUp(name("csrf"), key);
        ObjectNode pat = Oci.JSON.createObjectNode().put("name", "t");
        pat.putArray("actions").add("pull");
        // no token, a wrong token, a token of another session
        assertError(web.post("/auth/tokens", pat, s.cookieOnly()), 403, "DENIED");
        assertError(web.post("/auth/tokens", pat, s.cookieOnly("X-CSRF-Token", "x".repeat(43))), 403, "DENIED");
        Session other = web.signIn(key);
        assertError(web.post("/auth/tokens", pat, s.cookieOnly("X-CSRF-Token", other.csrf())), 403, "DENIED");
        // a foreign origin, even with the token
        assertError(web.post("/auth/tokens", pat, s.headers("Origin", "http://evil.example")), 403, "DENIED");
        assertError(client.send("DELETE", "/auth/passkeys/" + key.id(), null, s.cookieOnly()), 403, "DENIED");
        assertError(client.send("POST", "/api/v1/orgs", object("name", name("o")).toString().getBytes(),
                s.cookieOnly()), 403, "DENIED");
        assertError(client.send("DELETE", "/auth/session", null, s.cookieOnly()), 403, "DENIED");
        // the allowed origins: webauthn.origins (default http://localhost:<port>) and http(s)://<Host>
        assertThat(web.post("/auth/tokens", pat, s.headers("Origin", web.origin())).statusCode()).isEqualTo(201);
        assertThat(web.post("/auth/tokens", pat, s.headers("Origin", "http://127.0.0.1:" + web.port)).statusCode())
                .isEqualTo(201);
        assertThat(web.post("/auth/tokens", pat, s.headers()).statusCode()).isEqualTo(201);
        // reads need no token
        assertThat(client.get("/auth/tokens", s.cookieOnly()).statusCode()).isEqualTo(200);
    }

    @Test
    void theCookieIsNoBearerNorRefreshTokenAndNotForTheDistributionApi() {
        Session s = web.signUp(name("sep"), new SoftAuthenticator(web.origin()));
        assertError(client.get("/auth/tokens", "Authorization", "Bearer " + s.cookie()), 401, "UNAUTHORIZED");
        assertError(client.get("/api/v1/orgs", "Authorization", "Bearer " + s.cookie()), 401, "UNAUTHORIZED");
        assertError(client.get("/auth/session", "Authorization", "Bearer " + s.cookie()), 401, "UNAUTHORIZED");
        HttpResponse<byte[]> refresh = client.post("/token", ("grant_type=refresh_token&service=" + AuthFixture.SERVICE
                        + "&refresh_token=" + s.cookie() + "&scope=repository:" + s.username() + "/app:pull").getBytes(),
                "Content-Type", "application/x-www-form-urlencoded");
        assertThat(refresh.statusCode()).as(text(refresh)).isEqualTo(401);
        // the distribution API ignores it: a private repository stays closed
        assertThat(client.get("/v2/" + s.username() + "/app/tags/list", s.cookieOnly()).statusCode()).isEqualTo(401);
        // an Authorization header wins over the cookie
        assertError(client.get("/auth/tokens", s.cookieOnly("Authorization", "Bearer orses_nothing")), 401,
                "UNAUTHORIZED");
    }

    @Test
    void theCookieIsSecureBehindTls() {
        String username = name("tls");
        SoftAuthenticator key = new SoftAuthenticator(web.origin());
        JsonNode o = json(web.signUpOptions(username));
        HttpResponse<byte[]> r = web.register(o.path("flow").asText(), key.create(o.path("publicKey")), null,
                "Content-Type", "application/json", "X-Forwarded-Proto", "https");
        assertThat(r.statusCode()).as(text(r)).isEqualTo(201);
        assertThat(r.headers().firstValue("Set-Cookie").orElseThrow()).endsWith("; Secure");
        Session s = PasskeyFixture.session(r);
        HttpResponse<byte[]> out = client.send("DELETE", "/auth/session", null,
                s.headers("X-Forwarded-Proto", "https"));
        assertThat(out.headers().firstValue("Set-Cookie").orElseThrow()).contains("Max-Age=0").endsWith("; Secure");
    }

    @Test
    void aPasswordChangeEndsWebSessionsAndRenewsTheCallersCookie() {
        Who who = auth.signUp("chg");
        Session s = PasskeyFixture.session(web.post("/auth/session",
                object("username", who.username(), "password", who.secret())));
        Session elsewhere = PasskeyFixture.session(web.post("/auth/session",
                object("username", who.username(), "password", who.secret())));
        byte[] change = object("current", who.secret(), "password", "a new password 1").toString().getBytes();
        assertError(client.put("/api/v1/user/password", change, s.cookieOnly()), 403, "DENIED");
        HttpResponse<byte[]> r = client.put("/api/v1/user/password", change, s.headers());
        assertThat(r.statusCode()).as(text(r)).isEqualTo(204);
        Session renewed = PasskeyFixture.session204(r);
        assertThat(renewed.cookie()).isNotEqualTo(s.cookie());
        assertError(client.get("/auth/session", s.cookieOnly()), 401, "UNAUTHORIZED");
        assertError(client.get("/auth/session", elsewhere.cookieOnly()), 401, "UNAUTHORIZED");
        assertThat(json(client.get("/auth/session", renewed.cookieOnly())).path("username").asText())
                .isEqualTo(who.username());
        // an admin's reset ends it too
        Who admin = new Who(AuthFixture.ADMIN, AuthFixture.ADMIN_PASSWORD);
        HttpResponse<byte[]> reset = client.put("/api/v1/users/" + who.username() + "/password",
                object("password", "reset password 1").toString().getBytes(), admin.basic()[0], admin.basic()[1],
                "Content-Type", "application/json");
        assertThat(reset.statusCode()).as(text(reset)).isEqualTo(204);
        assertError(client.get("/auth/session", renewed.cookieOnly()), 401, "UNAUTHORIZED");
    }

    @Test
    void aDisabledAccountDoesNotSignIn() {
        SoftAuthenticator key = new SoftAuthenticator(web.origin());
        Session s = web.signUp(name("off"), key);
        Who admin = new Who(AuthFixture.ADMIN, AuthFixture.ADMIN_PASSWORD);
        HttpResponse<byte[]> off = client.patch("/api/v1/users/" + s.username(),
                "{\"disabled\":true}".getBytes(), admin.basic()[0], admin.basic()[1], "Content-Type", "application/json");
        assertThat(off.statusCode()).as(text(off)).isEqualTo(200);
        JsonNode o = web.signInOptions();
        assertError(web.authenticate(o.path("flow").asText(), key.get(o.path("publicKey"))), 401, "UNAUTHORIZED");
        assertError(client.get("/auth/session", s.cookieOnly()), 401, "UNAUTHORIZED");
        // deleted: its passkeys go with it
        HttpResponse<byte[]> deleted = client.send("DELETE", "/api/v1/users/" + s.username(), null, admin.basic());
        assertThat(deleted.statusCode()).as(text(deleted)).isEqualTo(204);
        JsonNode again = web.signInOptions();
        HttpResponse<byte[]> gone = web.authenticate(again.path("flow").asText(), key.get(again.path("publicKey")));
        assertError(gone, 401, "UNAUTHORIZED");
        assertThat(text(gone)).contains("unknown credential");
        // and the name can be signed up for again, with a new passkey
        assertThat(web.signUp(s.username(), new SoftAuthenticator(web.origin())).username()).isEqualTo(s.username());
    }
}

package io.openregistry.api;

import static io.openregistry.api.Oci.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.RegistryServer;
import io.openregistry.api.AuthFixture.Who;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The account API and token endpoint against odd and hostile input: what sign-up tells an
 * anonymous caller, passwords that are not valid Unicode, JSON bodies without their media type,
 * and the token endpoint's challenge.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AccessHardeningTest {
    AuthFixture auth;
    TestClient client;

    @BeforeAll
    void start() {
        auth = AuthFixture.start(RegistryServer.Backend.H2);
        client = auth.client;
    }

    @AfterAll
    void stop() {
        auth.close();
    }

    /** A namespace that holds (private) repositories and a taken username answer alike, the name aside. */
    @Test
    void signUpDoesNotTellANamespaceInUseFromATakenName() {
        Who admin = new Who(AuthFixture.ADMIN, AuthFixture.ADMIN_PASSWORD);
        String team = "team" + UUID.randomUUID().toString().substring(0, 6);
        auth.pushImage(admin, team + "/private-app", "v1");
        Who taken = auth.signUp("taken");
        HttpResponse<byte[]> inUse = signUp(team, "long-enough-pw");
        HttpResponse<byte[]> takenName = signUp(taken.username(), "long-enough-pw");
        assertError(inUse, 409, "ALREADY_EXISTS");
        assertError(takenName, 409, "ALREADY_EXISTS");
        assertThat(new String(inUse.body(), StandardCharsets.UTF_8).replace(team, "NAME"))
                .isEqualTo(new String(takenName.body(), StandardCharsets.UTF_8).replace(taken.username(), "NAME"));
    }

    /**
     * A lone UTF-16 surrogate (a JSON {@code \ud800} escape) used to be hashed as '?', so that
     * several passwords opened one account. Sign-up refuses it; elsewhere it is a wrong password.
     */
    @Test
    void passwordsMustBeValidUnicode() {
        String name = "uni" + UUID.randomUUID().toString().substring(0, 8);
        byte[] lone = ("{\"username\":\"" + name + "\",\"password\":\"long-password-\\ud800\"}")
                .getBytes(StandardCharsets.UTF_8);
        assertError(client.post("/auth/signup", lone, "Content-Type", "application/json"), 400, "INVALID_REQUEST");
        // a proper surrogate pair is a fine password
        byte[] pair = ("{\"username\":\"" + name + "\",\"password\":\"long-password-\\ud83d\\ude00\"}")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(client.post("/auth/signup", pair, "Content-Type", "application/json").statusCode()).isEqualTo(201);
        Who owner = new Who(name, "long-password-\ud83d\ude00");
        assertThat(auth.tokenResponse(owner).statusCode()).isEqualTo(200);
        // half of the pair, or '?' for it, is not the password
        byte[] half = ("{\"username\":\"" + name + "\",\"password\":\"long-password-\\ud83d\"}")
                .getBytes(StandardCharsets.UTF_8);
        assertError(client.post("/auth/signin", half, "Content-Type", "application/json"), 401, "UNAUTHORIZED");
        assertError(auth.tokenResponse(new Who(name, "long-password-??")), 401, "UNAUTHORIZED");
        // Basic credentials and forms that are not valid UTF-8 are refused, not decoded to U+FFFD
        byte[] badBasic = (name + ":long-password-").getBytes(StandardCharsets.UTF_8);
        byte[] withFf = java.util.Arrays.copyOf(badBasic, badBasic.length + 1);
        withFf[badBasic.length] = (byte) 0xff;
        assertError(client.get("/token?service=" + AuthFixture.SERVICE, "Authorization",
                "Basic " + Base64.getEncoder().encodeToString(withFf)), 401, "UNAUTHORIZED");
        assertError(client.post("/token", ("grant_type=password&username=" + name + "&password=long-password-%FF")
                .getBytes(StandardCharsets.US_ASCII), "Content-Type", "application/x-www-form-urlencoded"),
                400, "INVALID_REQUEST");
        assertError(client.post("/token", ("grant_type=password&username=" + name + "&password=long-password-%G0")
                .getBytes(StandardCharsets.US_ASCII), "Content-Type", "application/x-www-form-urlencoded"),
                400, "INVALID_REQUEST");
        // a PAT name is checked alike
        byte[] patName = "{\"name\":\"ci-\\udc00\",\"actions\":[\"pull\"]}".getBytes(StandardCharsets.UTF_8);
        assertError(client.post("/auth/tokens", patName, AuthFixture.concat(owner.basic(), "Content-Type",
                "application/json")), 400, "INVALID_REQUEST");
        // a correct form still works
        HttpResponse<byte[]> form = client.post("/token", ("grant_type=password&username=" + name
                + "&password=long-password-%F0%9F%98%80&service=" + AuthFixture.SERVICE)
                .getBytes(StandardCharsets.US_ASCII), "Content-Type", "application/x-www-form-urlencoded");
        assertThat(form.statusCode()).as(new String(form.body())).isEqualTo(200);
    }

    /** A cross-site form can post text/plain without asking first; the JSON API takes only application/json. */
    @Test
    void theJsonApiTakesOnlyApplicationJson() {
        Who alice = auth.signUp("alice");
        byte[] signUp = AuthFixture.json("username", "json" + UUID.randomUUID().toString().substring(0, 8),
                "password", "long-enough-pw");
        for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                "application/jsonx", "text/json"}) {
            assertError(client.post("/auth/signup", signUp, "Content-Type", type), 415, "INVALID_REQUEST");
        }
        assertError(client.post("/auth/signup", signUp), 415, "INVALID_REQUEST");
        byte[] signIn = AuthFixture.json("username", alice.username(), "password", alice.secret());
        assertError(client.post("/auth/signin", signIn, "Content-Type", "text/plain"), 415, "INVALID_REQUEST");
        byte[] pat = "{\"name\":\"ci\",\"actions\":[\"pull\"]}".getBytes(StandardCharsets.UTF_8);
        assertError(client.post("/auth/tokens", pat, AuthFixture.concat(alice.basic(), "Content-Type", "text/plain")),
                415, "INVALID_REQUEST");
        String repo = alice.username() + "/app";
        auth.pushImage(alice, repo, "v1");
        assertError(client.send("PATCH", "/auth/repositories/" + repo, AuthFixture.json("visibility", "public"),
                AuthFixture.concat(alice.basic(), "Content-Type", "text/plain;charset=utf-8")), 415, "INVALID_REQUEST");
        // with parameters and in any case it is still JSON
        assertThat(client.post("/auth/signup", signUp, "Content-Type", "Application/JSON; charset=utf-8")
                .statusCode()).isEqualTo(201);
        assertThat(client.post("/auth/signin", signIn, "Content-Type", "application/json;charset=UTF-8")
                .statusCode()).isEqualTo(200);
        assertThat(client.send("PATCH", "/auth/repositories/" + repo, AuthFixture.json("visibility", "public"),
                AuthFixture.concat(alice.basic(), "Content-Type", "application/json")).statusCode()).isEqualTo(200);
    }

    /** No Basic challenge from /token: it would make a browser cache and replay the credentials. */
    @Test
    void theTokenEndpointDoesNotChallengeWithBasic() {
        Who alice = auth.signUp("alice");
        HttpResponse<byte[]> wrong = auth.tokenResponse(new Who(alice.username(), "not-the-password"));
        assertError(wrong, 401, "UNAUTHORIZED");
        assertThat(wrong.headers().allValues("WWW-Authenticate")).isEmpty();
        HttpResponse<byte[]> malformed = client.get("/token?service=" + AuthFixture.SERVICE, "Authorization", "Digest x");
        assertError(malformed, 401, "UNAUTHORIZED");
        assertThat(malformed.headers().allValues("WWW-Authenticate")).isEmpty();
        HttpResponse<byte[]> form = client.post("/token", ("grant_type=password&username=" + alice.username()
                + "&password=nope-nope").getBytes(StandardCharsets.US_ASCII),
                "Content-Type", "application/x-www-form-urlencoded");
        assertError(form, 401, "UNAUTHORIZED");
        assertThat(form.headers().allValues("WWW-Authenticate")).isEmpty();
        // the registry's own challenge is Bearer, which no browser acts on
        assertThat(client.get("/v2/").headers().firstValue("WWW-Authenticate").orElseThrow()).startsWith("Bearer ");
    }

    private HttpResponse<byte[]> signUp(String username, String password) {
        return client.post("/auth/signup", AuthFixture.json("username", username, "password", password),
                "Content-Type", "application/json");
    }
}

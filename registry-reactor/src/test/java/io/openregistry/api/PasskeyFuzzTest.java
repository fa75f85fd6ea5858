package io.openregistry.api;

import static io.openregistry.api.PasskeyFixture.json;
import static io.openregistry.api.PasskeyFixture.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.openregistry.RegistryServer;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Mutated passkey answers and cookies: whatever a client sends, the answer is a 4xx with the OCI
 * error JSON (or a success a real authenticator could have had), never a 500 or a hang; a mutated
 * answer never signs in. The seed is the fuzz run's ({@code -Dfuzz.seed}, in every assertion message).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PasskeyFuzzTest {
    private AuthFixture auth;
    private PasskeyFixture web;

    @BeforeAll
    void start() {
        auth = AuthFixture.start(RegistryServer.Backend.H2);
        web = new PasskeyFixture(auth.client, auth.server.port());
    }

    @AfterAll
    void stop() {
        auth.close();
    }

    @Test
    void mutatedAssertionsNeverSignIn() {
        long seed = FuzzRunner.SEED;
        Random r = new Random(seed ^ 0x5eedL);
        SoftAuthenticator key = new SoftAuthenticator(web.origin());
        web.signUp(PasskeyFixture.name("fz"), key);
        for (int i = 0; i < 150; i++) {
            JsonNode o = web.signInOptions();
            ObjectNode answer = key.get(o.path("publicKey"));
            ObjectNode mutated = answer.deepCopy();
            int changes = 1 + r.nextInt(3);
            for (int c = 0; c < changes; c++) {
                mutateSigned(r, mutated);
            }
            ObjectNode body = Oci.JSON.createObjectNode().put("flow", o.path("flow").asText());
            body.set("credential", mutated);
            HttpResponse<byte[]> resp = web.post("/auth/passkeys/authentication", body);
            String what = "seed " + seed + " #" + i + " " + mutated + " → " + text(resp);
            if (mutated.equals(answer)) {
                assertThat(resp.statusCode()).as(what).isEqualTo(200);
                continue;
            }
            assertThat(resp.statusCode()).as(what).isIn(400, 401);
            assertThat(json(resp).path("errors").path(0).path("code").asText()).as(what).isNotEmpty();
        }
        // the passkey still works afterwards (a failed sign-in changes nothing stored)
        assertThat(web.signIn(key).username()).isNotEmpty();
    }

    @Test
    void mutatedRegistrationsAreRefusedCleanly() {
        long seed = FuzzRunner.SEED;
        Random r = new Random(seed ^ 0x5eed2L);
        for (int i = 0; i < 100; i++) {
            JsonNode o = json(web.signUpOptions(PasskeyFixture.name("fr")));
            ObjectNode answer = new SoftAuthenticator(web.origin()).create(o.path("publicKey"));
            ObjectNode mutated = answer.deepCopy();
            mutate(r, mutated);
            HttpResponse<byte[]> resp = web.register(o.path("flow").asText(), mutated, null);
            String what = "seed " + seed + " #" + i + " " + mutated + " → " + text(resp);
            // some fields (transports, rawId, the attachment) do not matter to the server
            assertThat(resp.statusCode()).as(what).isIn(201, 400, 409);
            if (resp.statusCode() != 201) {
                assertThat(json(resp).path("errors").path(0).path("code").asText()).as(what).isNotEmpty();
            }
        }
    }

    @Test
    void junkCookiesAndCsrfTokens() {
        long seed = FuzzRunner.SEED;
        Random r = new Random(seed ^ 0x5eed3L);
        for (int i = 0; i < 100; i++) {
            String cookie = switch (r.nextInt(4)) {
                case 0 -> FuzzGen.junk(r);
                case 1 -> "orweb_" + FuzzGen.hex(r, 65);
                case 2 -> "orses_" + FuzzGen.hex(r, 65);
                default -> "orweb_" + FuzzGen.junk(r);
            };
            // sent raw (ISO-8859-1): the JDK's client refuses some of these header values itself
            String header = "openregistry_session=" + cookie.replace("\r", "").replace("\n", "");
            AuthFixture.Raw get = auth.from("127.0.0.1", "GET", "/auth/session", null, "Cookie", header);
            assertThat(get.status()).as("seed " + seed + " " + header).isIn(400, 401);
            AuthFixture.Raw post = auth.from("127.0.0.1", "POST", "/auth/tokens", "{}".getBytes(), "Cookie", header,
                    "X-CSRF-Token", FuzzGen.hex(r, 43), "Content-Type", "application/json");
            assertThat(post.status()).as("seed " + seed + " " + header).isIn(400, 401);
            post.json();
        }
    }

    /**
     * One change to a part of an assertion that is signed or names the passkey (the id, client
     * data, authenticator data, signature, user handle): each must make it fail. Others (the
     * attachment, extension results) do not matter to the server, so they are left alone here.
     */
    private static void mutateSigned(Random r, ObjectNode root) {
        if (r.nextInt(5) == 0) {
            change(r, root, "id");
        } else {
            ObjectNode response = (ObjectNode) root.get("response");
            if (response == null) {
                root.put("id", "");
                return;
            }
            change(r, response, pick(r, "clientDataJSON", "authenticatorData", "signature", "userHandle"));
        }
    }

    private static String pick(Random r, String... items) {
        return items[r.nextInt(items.length)];
    }

    /** One change somewhere in the JSON tree: a field dropped or replaced, a base64url string bent. */
    private static void mutate(Random r, ObjectNode root) {
        List<ObjectNode> objects = new ArrayList<>();
        collect(root, objects);
        ObjectNode target = objects.get(r.nextInt(objects.size()));
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = target.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        if (names.isEmpty()) {
            target.put("x", 1);
            return;
        }
        change(r, target, names.get(r.nextInt(names.size())));
    }

    /**
     * Drops, replaces, bends or cuts the field. A character is bent anywhere but at the end: the
     * last character of unpadded base64url may carry unused bits, and bending those changes nothing.
     */
    private static void change(Random r, ObjectNode target, String field) {
        JsonNode value = target.get(field);
        if (value == null) {
            target.put(field, FuzzGen.junk(r));
            return;
        }
        switch (r.nextInt(5)) {
            case 0 -> target.remove(field);
            case 1 -> target.put(field, FuzzGen.junk(r));
            case 2 -> target.put(field, r.nextInt());
            case 3 -> {
                if (value.isTextual() && value.asText().length() > 1) {
                    char[] chars = value.asText().toCharArray();
                    int at = r.nextInt(chars.length - 1);
                    chars[at] = chars[at] == 'A' ? 'B' : 'A';
                    target.put(field, new String(chars));
                } else {
                    target.putNull(field);
                }
            }
            default -> {
                if (value.isTextual() && !value.asText().isEmpty()) {
                    String s = value.asText();
                    target.put(field, s.substring(0, r.nextInt(s.length())));
                } else {
                    target.putArray(field);
                }
            }
        }
    }

    private static void collect(JsonNode node, List<ObjectNode> out) {
        if (node instanceof ObjectNode object) {
            out.add(object);
            object.elements().forEachRemaining(child -> collect(child, out));
        }
    }
}

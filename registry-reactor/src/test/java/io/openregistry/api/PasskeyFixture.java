package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** The web app's side of passkeys and the session cookie, over HTTP against a real registry. */
final class PasskeyFixture {
    final TestClient client;
    final int port;

    PasskeyFixture(TestClient client, int port) {
        this.client = client;
        this.port = port;
    }

    /** The default allowed origin: http://localhost:<the registry's port>. */
    String origin() {
        return "http://localhost:" + port;
    }

    /** A browser's session: the cookie and the CSRF token it was given. */
    record Session(String username, String cookie, String csrf) {
        String[] headers(String... more) {
            List<String> h = new ArrayList<>(List.of("Cookie", "openregistry_session=" + cookie,
                    "X-CSRF-Token", csrf, "Content-Type", "application/json"));
            h.addAll(List.of(more));
            return h.toArray(String[]::new);
        }

        String[] cookieOnly(String... more) {
            List<String> h = new ArrayList<>(List.of("Cookie", "openregistry_session=" + cookie,
                    "Content-Type", "application/json"));
            h.addAll(List.of(more));
            return h.toArray(String[]::new);
        }
    }

    static String name(String prefix) {
        return prefix + UUID.randomUUID().toString().substring(0, 8);
    }

    HttpResponse<byte[]> post(String path, Object body, String... headers) {
        String[] all = headers.length == 0 ? new String[] {"Content-Type", "application/json"} : headers;
        return client.post(path, body == null ? new byte[0] : body.toString().getBytes(StandardCharsets.UTF_8), all);
    }

    static JsonNode json(HttpResponse<byte[]> r) {
        try {
            return Oci.JSON.readTree(r.body());
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + new String(r.body(), StandardCharsets.UTF_8), e);
        }
    }

    static ObjectNode object(String... kv) {
        ObjectNode n = Oci.JSON.createObjectNode();
        for (int i = 0; i < kv.length; i += 2) {
            n.put(kv[i], kv[i + 1]);
        }
        return n;
    }

    /** Sign-up options for {@code username}: the answer (status asserted by the caller). */
    HttpResponse<byte[]> signUpOptions(String username) {
        return post("/auth/passkeys/registration/options", object("username", username));
    }

    /** The whole sign-up with a new passkey; the authenticator is left registered. */
    Session signUp(String username, SoftAuthenticator authenticator) {
        HttpResponse<byte[]> options = signUpOptions(username);
        assertThat(options.statusCode()).as(text(options)).isEqualTo(200);
        JsonNode o = json(options);
        HttpResponse<byte[]> r = register(o.path("flow").asText(), authenticator.create(o.path("publicKey")), null);
        assertThat(r.statusCode()).as(text(r)).isEqualTo(201);
        return session(r);
    }

    HttpResponse<byte[]> register(String flow, ObjectNode credential, String name, String... headers) {
        ObjectNode body = Oci.JSON.createObjectNode().put("flow", flow);
        body.set("credential", credential);
        if (name != null) {
            body.put("name", name);
        }
        return post("/auth/passkeys/registration", body, headers);
    }

    /** Sign-in options: [flow, publicKey]. */
    JsonNode signInOptions() {
        HttpResponse<byte[]> r = post("/auth/passkeys/authentication/options", Oci.JSON.createObjectNode());
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        return json(r);
    }

    HttpResponse<byte[]> authenticate(String flow, ObjectNode credential) {
        ObjectNode body = Oci.JSON.createObjectNode().put("flow", flow);
        body.set("credential", credential);
        return post("/auth/passkeys/authentication", body);
    }

    /** A whole discoverable sign-in with the authenticator. */
    Session signIn(SoftAuthenticator authenticator) {
        JsonNode o = signInOptions();
        HttpResponse<byte[]> r = authenticate(o.path("flow").asText(), authenticator.get(o.path("publicKey")));
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        return session(r);
    }

    /** Adds a passkey to the signed-in account; the answer of the second half. */
    HttpResponse<byte[]> add(Session session, SoftAuthenticator authenticator, String name) {
        HttpResponse<byte[]> options = post("/auth/passkeys/registration/options", Oci.JSON.createObjectNode(),
                session.headers());
        assertThat(options.statusCode()).as(text(options)).isEqualTo(200);
        JsonNode o = json(options);
        return register(o.path("flow").asText(), authenticator.create(o.path("publicKey")), name, session.headers());
    }

    /** The session a sign-in or sign-up answer set. */
    static Session session(HttpResponse<byte[]> r) {
        String setCookie = r.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(setCookie).startsWith("openregistry_session=");
        String cookie = setCookie.substring("openregistry_session=".length(), setCookie.indexOf(';'));
        JsonNode body = json(r);
        return new Session(body.path("username").asText(), cookie, body.path("csrf_token").asText());
    }

    /** The new cookie of an answer without a body (a password change); its CSRF token is derived from it. */
    static Session session204(HttpResponse<byte[]> r) {
        String setCookie = r.headers().firstValue("Set-Cookie").orElseThrow();
        String cookie = setCookie.substring("openregistry_session=".length(), setCookie.indexOf(';'));
        return new Session(null, cookie, io.openregistry.auth.Secrets.csrfToken(cookie));
    }

    static String text(HttpResponse<byte[]> r) {
        return r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8);
    }
}

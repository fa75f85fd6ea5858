package io.openregistry.api;

import static io.openregistry.api.Oci.assertError;
import static io.openregistry.api.PasskeyFixture.json;
import static io.openregistry.api.PasskeyFixture.name;
import static io.openregistry.api.PasskeyFixture.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.openregistry.TwoReplicas;
import io.openregistry.api.PasskeyFixture.Session;
import io.openregistry.config.Config;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Two replicas on one PostgreSQL behind one public origin: a ceremony begun on one replica is
 * finished on the other, a challenge is answered at most once across both (also when both get the
 * answer at the same moment), an expired challenge is refused, and the session cookie works on both.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PasskeyReplicasTest {
    /** The origin the browser sees (a load balancer in front of both replicas). */
    private static final String ORIGIN = "http://localhost:5000";
    private TwoReplicas replicas;
    private PasskeyFixture a;
    private PasskeyFixture b;

    @BeforeAll
    void start() throws Exception {
        replicas = TwoReplicas.start("passkeys", new Config.Uploads(1024 * 1024, Duration.ofDays(1)),
                Config.Cache.defaults(), Config.Gc.defaults(),
                root -> AuthFixture.auth(root, true, 100_000, 100_000).withWeb(new Config.Web("localhost",
                        "OpenRegistry", List.of(ORIGIN), Config.Web.DEFAULT_CHALLENGE_TTL, null)));
        a = new PasskeyFixture(new TestClient("http://127.0.0.1:" + replicas.a.port(), replicas.a.port()),
                replicas.a.port());
        b = new PasskeyFixture(new TestClient("http://127.0.0.1:" + replicas.b.port(), replicas.b.port()),
                replicas.b.port());
    }

    @AfterAll
    void stop() {
        replicas.close();
    }

    @Test
    void aCeremonyBegunOnOneReplicaEndsOnTheOther() {
        String username = name("hop");
        SoftAuthenticator key = new SoftAuthenticator(ORIGIN);
        JsonNode options = json(a.signUpOptions(username));
        HttpResponse<byte[]> created = b.register(options.path("flow").asText(), key.create(options.path("publicKey")), null);
        assertThat(created.statusCode()).as(text(created)).isEqualTo(201);
        Session fromB = PasskeyFixture.session(created);
        // the cookie and its CSRF token from one replica work on the other
        assertThat(json(a.client.get("/auth/session", fromB.cookieOnly())).path("username").asText()).isEqualTo(username);
        ObjectNode pat = Oci.JSON.createObjectNode().put("name", "t");
        pat.putArray("actions").add("pull");
        assertThat(a.post("/auth/tokens", pat, fromB.headers()).statusCode()).isEqualTo(201);

        JsonNode signIn = b.signInOptions();
        HttpResponse<byte[]> in = a.authenticate(signIn.path("flow").asText(), key.get(signIn.path("publicKey")));
        assertThat(in.statusCode()).as(text(in)).isEqualTo(200);
        // answered on A: B no longer knows the flow
        HttpResponse<byte[]> replay = b.authenticate(signIn.path("flow").asText(),
                key.assertion("localhost", signIn.path("publicKey").path("challenge").asText()));
        assertError(replay, 401, "UNAUTHORIZED");
        assertThat(text(replay)).contains("unknown, used or expired");
    }

    @Test
    void oneAnswerSentToBothReplicasAtOnceSignsInOnce() throws Exception {
        SoftAuthenticator key = new SoftAuthenticator(ORIGIN);
        // a synced passkey's counter stays 0, so only the challenge's single use stops the second sign-in
        key.counting = false;
        a.signUp(name("race"), key);
        for (int round = 0; round < 5; round++) {
            JsonNode o = a.signInOptions();
            ObjectNode answer = key.get(o.path("publicKey"));
            CountDownLatch go = new CountDownLatch(1);
            List<CompletableFuture<Integer>> results = new ArrayList<>();
            for (PasskeyFixture replica : List.of(a, b)) {
                results.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return replica.authenticate(o.path("flow").asText(), answer).statusCode();
                }));
            }
            go.countDown();
            List<Integer> statuses = new ArrayList<>();
            for (CompletableFuture<Integer> f : results) {
                statuses.add(f.get());
            }
            assertThat(statuses).as("round " + round).containsExactlyInAnyOrder(200, 401);
        }
    }

    @Test
    void removingAnAccountsLastTwoPasskeysAtOnceOnTwoReplicasLeavesOne() throws Exception {
        for (int round = 0; round < 5; round++) {
            SoftAuthenticator first = new SoftAuthenticator(ORIGIN);
            Session s = a.signUp(name("last"), first);
            SoftAuthenticator second = new SoftAuthenticator(ORIGIN);
            assertThat(b.add(s, second, null).statusCode()).isEqualTo(201);
            CountDownLatch go = new CountDownLatch(1);
            List<CompletableFuture<Integer>> results = new ArrayList<>();
            List<PasskeyFixture> replicaList = List.of(a, b);
            List<SoftAuthenticator> keys = List.of(first, second);
            for (int i = 0; i < 2; i++) {
                PasskeyFixture replica = replicaList.get(i);
                String id = keys.get(i).id();
                results.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return replica.client.send("DELETE", "/auth/passkeys/" + id, null, s.headers()).statusCode();
                }));
            }
            go.countDown();
            List<Integer> statuses = new ArrayList<>();
            for (CompletableFuture<Integer> f : results) {
                statuses.add(f.get());
            }
            assertThat(statuses).as("round " + round).containsExactlyInAnyOrder(204, 409);
            assertThat(json(a.client.get("/auth/passkeys", s.cookieOnly())).path("passkeys")).hasSize(1);
        }
    }

    @Test
    void anExpiredChallengeIsRefused() throws Exception {
        SoftAuthenticator key = new SoftAuthenticator(ORIGIN);
        a.signUp(name("late"), key);
        JsonNode o = a.signInOptions();
        expire(o.path("flow").asText());
        HttpResponse<byte[]> r = b.authenticate(o.path("flow").asText(), key.get(o.path("publicKey")));
        assertError(r, 401, "UNAUTHORIZED");
        assertThat(text(r)).contains("unknown, used or expired");
        // and a registration
        JsonNode ro = json(a.signUpOptions(name("late")));
        expire(ro.path("flow").asText());
        assertError(b.register(ro.path("flow").asText(), new SoftAuthenticator(ORIGIN).create(ro.path("publicKey")),
                null), 400, "INVALID_REQUEST");
        // the sweeper drops expired ceremonies (anyone may begin one: they must not pile up), and only those
        JsonNode live = a.signInOptions();
        JsonNode stale = a.signInOptions();
        expire(stale.path("flow").asText());
        assertThat(replicas.sweepOnce()).as("one replica holds the sweep's lease").isTrue();
        assertThat(count(stale.path("flow").asText())).isZero();
        assertThat(count(live.path("flow").asText())).isOne();
    }

    private int count(String flow) throws Exception {
        try (Connection c = DriverManager.getConnection(replicas.postgres.jdbcUrl(replicas.database));
             PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM webauthn_challenges WHERE flow = ?")) {
            s.setString(1, flow);
            try (var rows = s.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        }
    }

    private void expire(String flow) throws Exception {
        try (Connection c = DriverManager.getConnection(replicas.postgres.jdbcUrl(replicas.database));
             PreparedStatement s = c.prepareStatement(
                     "UPDATE webauthn_challenges SET expires_at = now() - interval '1 second' WHERE flow = ?")) {
            s.setString(1, flow);
            assertThat(s.executeUpdate()).isEqualTo(1);
        }
    }
}

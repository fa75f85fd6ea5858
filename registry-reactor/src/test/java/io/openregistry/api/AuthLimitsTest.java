package io.openregistry.api;

import static io.openregistry.api.Oci.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.RegistryServer;
import io.openregistry.api.AuthFixture.Who;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** Rate limits of the sign-in and token endpoints, and closed sign-up, each on a registry of its own. */
class AuthLimitsTest {

    @Test
    void failedPasswordsLockTheAccountAndTheAddressForAWhile() {
        try (AuthFixture auth = AuthFixture.start(RegistryServer.Backend.H2, true, 1000, 3)) {
            Who alice = auth.signUp("alice");
            for (int i = 0; i < 3; i++) {
                assertError(auth.tokenResponse(new Who(alice.username(), "wrong-" + i)), 401, "UNAUTHORIZED");
            }
            // now even the right password is refused, with a hint when to retry
            HttpResponse<byte[]> r = auth.tokenResponse(alice);
            assertError(r, 429, "TOOMANYREQUESTS");
            assertThat(Integer.parseInt(r.headers().firstValue("Retry-After").orElseThrow())).isBetween(1, 60);
            assertError(auth.client.post("/auth/signin", AuthFixture.json("username", alice.username(), "password",
                    alice.secret()), "Content-Type", "application/json"), 429, "TOOMANYREQUESTS");
            assertError(auth.tokenResponse(Who.ANONYMOUS, "registry:catalog:*"), 429, "TOOMANYREQUESTS");
            // the registry itself is not affected: a request with a token is not a sign-in
            assertThat(auth.client.get("/v2/").statusCode()).isEqualTo(401);
        }
    }

    @Test
    void concurrentGuessesAreBoundedToo() throws Exception {
        try (AuthFixture auth = AuthFixture.start(RegistryServer.Backend.H2, true, 1000, 3)) {
            Who alice = auth.signUp("alice");
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(20);
            try {
                java.util.List<java.util.concurrent.Future<Integer>> answers = new java.util.ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    String guess = "guess-" + i;
                    answers.add(pool.submit(() -> auth.tokenResponse(new Who(alice.username(), guess)).statusCode()));
                }
                int checked = 0;
                for (var answer : answers) {
                    int status = answer.get();
                    assertThat(status).isIn(401, 429);
                    checked += status == 401 ? 1 : 0;
                }
                // each guess was charged before its (slow) check: no more than the budget got checked
                assertThat(checked).isBetween(1, 3);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void personalAccessTokensOnTheAccountApiNeverLockTheAccount() {
        try (AuthFixture auth = AuthFixture.start(RegistryServer.Backend.H2, true, 1000, 3)) {
            Who alice = auth.signUp("alice");
            String[] pat = auth.createPat(alice, java.util.List.of("pull"), java.util.List.of());
            for (int i = 0; i < 5; i++) {
                assertError(auth.client.get("/auth/tokens", new Who(alice.username(), pat[1]).basic()), 401, "UNAUTHORIZED");
            }
            assertThat(auth.client.get("/auth/account", alice.basic()).statusCode()).isEqualTo(200);
            assertThat(auth.tokenResponse(alice).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void requestsPerAddressAreLimitedAndSignUpCanBeClosed() {
        try (AuthFixture auth = AuthFixture.start(RegistryServer.Backend.H2, false, 5, 100)) {
            assertError(auth.client.post("/auth/signup", AuthFixture.json("username", "someone", "password",
                    "long-enough-1"), "Content-Type", "application/json"), 403, "DENIED");
            int ok = 0;
            for (int i = 0; i < 10; i++) {
                HttpResponse<byte[]> r = auth.tokenResponse(Who.ANONYMOUS, "registry:catalog:*");
                if (r.statusCode() == 200) {
                    ok++;
                } else {
                    assertError(r, 429, "TOOMANYREQUESTS");
                }
            }
            // 5 per minute, one already spent on the sign-up attempt (a second may refill one more)
            assertThat(ok).isBetween(4, 5);
        }
    }
}

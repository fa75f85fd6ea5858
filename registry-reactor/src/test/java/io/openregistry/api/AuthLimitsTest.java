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

    /**
     * A stranger failing on purpose spends its own address's budget, not the owner's: from another
     * address (never seen before) the owner signs in and gets tokens, while the stranger stays
     * refused. (Before, the failures were charged to the account for every address: 429 for the owner.)
     */
    @Test
    void aStrangerCannotLockTheOwnerOut() {
        try (AuthFixture auth = AuthFixture.start(RegistryServer.Backend.H2, true, 1000, 3)) {
            Who alice = auth.signUp("alice");
            String stranger = "127.0.0.2";
            String owner = "127.0.0.3";
            int refused = 0;
            for (int i = 0; i < 10; i++) {
                AuthFixture.Raw r = auth.tokenFrom(stranger, new Who(alice.username(), "wrong-" + i));
                r.assertError(i < 3 ? 401 : 429, i < 3 ? "UNAUTHORIZED" : "TOOMANYREQUESTS");
                refused += r.status() == 429 ? 1 : 0;
            }
            assertThat(refused).isEqualTo(7);
            assertThat(auth.signInFrom(owner, alice).status()).isEqualTo(200);
            AuthFixture.Raw token = auth.tokenFrom(owner, alice, "repository:" + alice.username() + "/app:pull,push");
            assertThat(token.status()).as(new String(token.body())).isEqualTo(200);
            assertThat(token.json().path("token").asText()).isNotEmpty();
            // the stranger is still limited, even with the right password
            auth.tokenFrom(stranger, alice).assertError(429, "TOOMANYREQUESTS");
            auth.signInFrom(stranger, alice).assertError(429, "TOOMANYREQUESTS");
        }
    }

    /**
     * Guessing at one account from many addresses stays bounded by the account's budget, which
     * then refuses every address that has not signed in to that account, but never one that has.
     */
    @Test
    void theAccountBudgetBoundsManyStrangersButSparesProvenAddresses() {
        // one failure per address, two per account, a minute each: nothing refills during the test
        try (AuthFixture auth = AuthFixture.start(RegistryServer.Backend.H2,
                dir -> AuthFixture.auth(dir, true, 1000, 1, 2, 100_000))) {
            Who alice = auth.signUp("alice");
            String known = "127.0.0.10";
            assertThat(auth.tokenFrom(known, alice).status()).isEqualTo(200);
            auth.tokenFrom("127.0.0.20", new Who(alice.username(), "guess-1")).assertError(401, "UNAUTHORIZED");
            auth.tokenFrom("127.0.0.21", new Who(alice.username(), "guess-2")).assertError(401, "UNAUTHORIZED");
            // the account's budget is spent: a third stranger gets no check at all
            auth.tokenFrom("127.0.0.22", new Who(alice.username(), "guess-3")).assertError(429, "TOOMANYREQUESTS");
            // nor does a new address, even with the right password (bounded guessing has this price)
            auth.tokenFrom("127.0.0.23", alice).assertError(429, "TOOMANYREQUESTS");
            // the address alice signed in from before is not refused
            assertThat(auth.tokenFrom(known, alice).status()).isEqualTo(200);
            assertThat(auth.signInFrom(known, alice).status()).isEqualTo(200);
            // and another account is not affected
            Who bob = auth.signUp("bob");
            assertThat(auth.tokenFrom("127.0.0.24", bob).status()).isEqualTo(200);
        }
    }

    /** Sign-ups have their own budget per address (each costs a password hash), apart from the request limit. */
    @Test
    void signUpsPerAddressAreLimited() {
        try (AuthFixture auth = AuthFixture.start(RegistryServer.Backend.H2,
                dir -> AuthFixture.auth(dir, true, 1000, 100, 300, 2))) {
            String address = "127.0.0.30";
            for (int i = 0; i < 2; i++) {
                assertThat(signUp(auth, address, "user" + i + "-").status()).isEqualTo(201);
            }
            AuthFixture.Raw refused = signUp(auth, address, "user2-");
            refused.assertError(429, "TOOMANYREQUESTS");
            assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(1L, 3600L);
            // an invalid sign-up costs nothing and is still told what is wrong
            auth.from(address, "POST", "/auth/signup", AuthFixture.json("username", "Bad Name", "password",
                    "long-enough-pw"), "Content-Type", "application/json").assertError(400, "INVALID_REQUEST");
            // other addresses sign up; the refused address still signs in and gets tokens
            assertThat(signUp(auth, "127.0.0.31", "other-").status()).isEqualTo(201);
            assertThat(auth.tokenFrom(address, Who.ANONYMOUS, "registry:catalog:*").status()).isEqualTo(200);
        }
    }

    private static AuthFixture.Raw signUp(AuthFixture auth, String from, String prefix) {
        return auth.from(from, "POST", "/auth/signup", AuthFixture.json("username",
                prefix + java.util.UUID.randomUUID().toString().substring(0, 8), "password", "long-enough-pw"),
                "Content-Type", "application/json");
    }

    /** Concurrent sign-ins beyond the hashing concurrency wait their turn (within the deadline) and all succeed. */
    @Test
    void signInsBeyondTheHashingConcurrencyQueue() throws Exception {
        try (AuthFixture auth = AuthFixture.start(RegistryServer.Backend.H2, dir -> {
            var a = AuthFixture.auth(dir, true, 1000, 100, 300, 100_000);
            return new io.openregistry.config.Config.Auth(a.enabled(), a.service(), a.issuer(), a.realm(), a.tokenTtl(),
                    a.keysDir(), a.adminUsername(), a.adminPassword(), a.signup(), a.publicByDefault(), a.sessionTtl(),
                    a.requestsPerMinute(), a.failuresPerMinute(), a.accountFailuresPerMinute(), a.signupsPerHour(),
                    1, java.time.Duration.ofSeconds(60));
        })) {
            Who alice = auth.signUp("alice");
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
            try {
                java.util.List<java.util.concurrent.Future<Integer>> answers = new java.util.ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    answers.add(pool.submit(() -> auth.tokenResponse(alice).statusCode()));
                }
                for (var answer : answers) {
                    assertThat(answer.get()).isEqualTo(200);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}

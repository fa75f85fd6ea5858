package io.openregistry.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.openregistry.oci.OciError;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rate limits of the sign-in, sign-up and token endpoints (token buckets, Bucket4j). The budgets:
 * <ul>
 *   <li><b>requests per address</b> ({@code requestsPerMinute}): every request;</li>
 *   <li><b>failures per address</b> ({@code failuresPerMinute}), across all accounts: any failed
 *       check from an address; when spent, the address gets 429 for everything here. This bounds
 *       the guesses one address can make, at one account or spread over many;</li>
 *   <li><b>password failures per account</b> ({@code accountFailuresPerMinute}): bounds guessing
 *       at one account from many addresses. It applies only to addresses that have not
 *       <em>proven</em> themselves for that account, that is, sent a correct credential of it in
 *       the last {@link #PROVEN_FOR} (kept in memory, per replica). So a stranger who spends it
 *       keeps out other strangers (and the owner's brand-new addresses), never the owner's known
 *       ones; and since one address can spend at most its own failure budget on it, one address
 *       alone cannot spend it while {@code accountFailuresPerMinute > failuresPerMinute};</li>
 *   <li><b>sign-ups per address</b> ({@code signupsPerHour}): each costs a password hash and
 *       creates an account.</li>
 * </ul>
 * A CI job pulling hundreds of images with a valid token stays far below the request limit.
 * Failing secrets (PATs, refresh tokens) count against the address only: they are 256-bit random,
 * so guessing them is hopeless, and counting them against the account would let anyone lock out
 * its CI.
 *
 * <p>Entries of idle keys are dropped (Caffeine) and every map is bounded in size, so memory stays
 * bounded however many addresses knock.
 */
public final class Throttle {
    private static final Logger log = LoggerFactory.getLogger(Throttle.class);
    private static final Duration WINDOW = Duration.ofMinutes(1);
    private static final Duration SIGNUP_WINDOW = Duration.ofHours(1);
    /** How long a correct credential from an address exempts it from its account's failure budget. */
    static final Duration PROVEN_FOR = Duration.ofDays(30);
    private static final long MAX_KEYS = 100_000;

    private final int requestsPerMinute;
    private final int failuresPerMinute;
    private final int accountFailuresPerMinute;
    private final int signupsPerHour;
    private final Cache<String, Bucket> requests;
    private final Cache<String, Bucket> failures;
    private final Cache<String, Bucket> signups;
    /** Keys {@code account + " " + address} of addresses that signed in to that account. */
    private final Cache<String, Boolean> proven;

    public Throttle(int requestsPerMinute, int failuresPerMinute, int accountFailuresPerMinute, int signupsPerHour) {
        this.requestsPerMinute = requestsPerMinute;
        this.failuresPerMinute = failuresPerMinute;
        this.accountFailuresPerMinute = accountFailuresPerMinute;
        this.signupsPerHour = signupsPerHour;
        this.requests = cache(WINDOW.multipliedBy(3));
        this.failures = cache(WINDOW.multipliedBy(3));
        this.signups = cache(SIGNUP_WINDOW.multipliedBy(2));
        this.proven = Caffeine.newBuilder().expireAfterWrite(PROVEN_FOR).maximumSize(MAX_KEYS).build();
    }

    private static <V> Cache<String, V> cache(Duration idle) {
        return Caffeine.newBuilder().expireAfterAccess(idle).maximumSize(MAX_KEYS).build();
    }

    /**
     * Counts a request from {@code address}; refuses it with 429 TOOMANYREQUESTS (and
     * {@code Retry-After}) when the address sent too many requests or failed too often.
     */
    public void admit(String address) {
        Bucket failed = failures.getIfPresent("addr:" + address);
        if (failed != null && failed.getAvailableTokens() <= 0) {
            throw refused(failed);
        }
        Bucket bucket = requests.get(address, key -> perMinute(requestsPerMinute));
        if (!bucket.tryConsume(1)) {
            throw refused(bucket);
        }
    }

    /** Counts a sign-up (one that will hash a password) from {@code address}; 429 when over the hourly budget. */
    public void admitSignUp(String address) {
        Bucket bucket = signups.get(address, key -> Bucket.builder()
                .addLimit(limit -> limit.capacity(signupsPerHour).refillGreedy(signupsPerHour, SIGNUP_WINDOW))
                .build());
        if (!bucket.tryConsume(1)) {
            throw refused(bucket);
        }
    }

    /**
     * Starts a password check from {@code address} for {@code username} (null when the name is not
     * a valid one): the failure it might be is charged to the address, and to the account unless
     * the address has proven itself for it, <em>before</em> the (slow) check runs, and given back
     * when it succeeds. So concurrent guesses cannot all be checked before the first failure
     * counts. Refused with 429 when a budget that applies is spent.
     */
    public PasswordAttempt attemptPassword(String address, String username) {
        Bucket byAddress = failures.get("addr:" + address, key -> perMinute(failuresPerMinute));
        if (!byAddress.tryConsume(1)) {
            throw refused(byAddress);
        }
        Bucket byAccount = username == null || isProven(username, address) ? null
                : failures.get("user:" + username, key -> perMinute(accountFailuresPerMinute));
        if (byAccount != null && !byAccount.tryConsume(1)) {
            byAddress.addTokens(1);
            throw refused(byAccount);
        }
        return new PasswordAttempt(address, username, byAddress, byAccount);
    }

    /** A password check under way; one of its methods is called when the check is done (none when abandoned: the charge stays). */
    public final class PasswordAttempt {
        private final String address;
        private final String username;
        private final Bucket byAddress;
        private final Bucket byAccount;

        private PasswordAttempt(String address, String username, Bucket byAddress, Bucket byAccount) {
            this.address = address;
            this.username = username;
            this.byAddress = byAddress;
            this.byAccount = byAccount;
        }

        /** The password was right: the charge is given back, and the address has proven itself. */
        public void succeeded() {
            byAddress.addTokens(1);
            if (byAccount != null) {
                byAccount.addTokens(1);
            }
            succeededFor(username, address);
        }

        /** The password was never checked (refused for load, or the database failed): the charge is given back. */
        public void notChecked() {
            byAddress.addTokens(1);
            if (byAccount != null) {
                byAccount.addTokens(1);
            }
        }

        /** The password was wrong: the charge stays; logged without the secret. */
        public void failed(String what) {
            logFailure(what, username, address);
        }
    }

    /** A correct credential of {@code username} came from {@code address}: it is exempt from the account's budget. */
    public void succeededFor(String username, String address) {
        proven.put(username + " " + address, Boolean.TRUE);
    }

    private boolean isProven(String username, String address) {
        return proven.getIfPresent(username + " " + address) != null;
    }

    /**
     * Records a failed check of a secret (personal access token, session) from {@code address}.
     * Counted against the address only, after the fact: these secrets cannot be guessed, and
     * counting them against an account would let anyone lock out its CI. Logged without the secret.
     */
    public void failedSecret(String address, String what) {
        failures.get("addr:" + address, key -> perMinute(failuresPerMinute)).tryConsume(1);
        logFailure(what, null, address);
    }

    private static void logFailure(String what, String username, String address) {
        log.warn("authentication failed: {} for account '{}' from {}", what, username == null ? "-" : username, address);
    }

    private static Bucket perMinute(int perMinute) {
        return Bucket.builder()
                .addLimit(limit -> limit.capacity(perMinute).refillGreedy(perMinute, WINDOW))
                .build();
    }

    /** 429 with the seconds until the bucket has a token again. */
    static RuntimeException refused(Bucket bucket) {
        long nanos = bucket.estimateAbilityToConsume(1).getNanosToWaitForRefill();
        long seconds = Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
        return OciError.TOOMANYREQUESTS.exception("too many attempts; retry in " + seconds + " s")
                .withHeader("Retry-After", String.valueOf(seconds));
    }
}

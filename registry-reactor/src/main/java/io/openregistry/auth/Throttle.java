package io.openregistry.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.openregistry.oci.OciError;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rate limits of the sign-in and token endpoints (token buckets, Bucket4j, refilled over a
 * minute): every request per client address, failed credential checks per client address, and
 * failed password checks per account. A CI job pulling hundreds of images with a valid token
 * stays far below the request limit; guessing is cut off after a handful of failures. Failing
 * secrets (PATs, refresh tokens) do not count against the account: they are 256-bit random, so
 * guessing them is hopeless, and counting them would let anyone lock an account's CI out.
 *
 * <p>Buckets of idle keys are dropped after a few minutes (Caffeine), so memory stays bounded
 * however many addresses knock.
 */
public final class Throttle {
    private static final Logger log = LoggerFactory.getLogger(Throttle.class);
    private static final Duration WINDOW = Duration.ofMinutes(1);
    private static final long MAX_KEYS = 100_000;

    private final int requestsPerMinute;
    private final int failuresPerMinute;
    private final Cache<String, Bucket> requests;
    private final Cache<String, Bucket> failures;

    public Throttle(int requestsPerMinute, int failuresPerMinute) {
        this.requestsPerMinute = requestsPerMinute;
        this.failuresPerMinute = failuresPerMinute;
        this.requests = cache();
        this.failures = cache();
    }

    private static Cache<String, Bucket> cache() {
        return Caffeine.newBuilder().expireAfterAccess(WINDOW.multipliedBy(3)).maximumSize(MAX_KEYS).build();
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
        Bucket bucket = requests.get(address, key -> bucket(requestsPerMinute));
        if (!bucket.tryConsume(1)) {
            throw refused(bucket);
        }
    }

    /**
     * Starts a password check from {@code address} for {@code username} (null when the name is not
     * a valid one): the failure it might be is charged to the address and the account <em>before</em>
     * the (slow) check runs, and given back when it succeeds. So concurrent guesses cannot all be
     * checked before the first failure counts: at most {@code failuresPerMinute} guesses per
     * minute, however many arrive at once. Refused with 429 when either budget is spent.
     */
    public PasswordAttempt attemptPassword(String address, String username) {
        Bucket byAddress = failures.get("addr:" + address, key -> bucket(failuresPerMinute));
        if (!byAddress.tryConsume(1)) {
            throw refused(byAddress);
        }
        Bucket byAccount = username == null ? null : failures.get("user:" + username, key -> bucket(failuresPerMinute));
        if (byAccount != null && !byAccount.tryConsume(1)) {
            byAddress.addTokens(1);
            throw refused(byAccount);
        }
        return new PasswordAttempt(address, username, byAddress, byAccount);
    }

    /** A password check under way; exactly one of its methods is called when the check is done. */
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

        /** The password was right: the charge is given back. */
        public void succeeded() {
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

    /**
     * Records a failed check of a secret (personal access token, session) from {@code address}.
     * Counted against the address only, after the fact: these secrets cannot be guessed, and
     * counting them against an account would let anyone lock out its CI. Logged without the secret.
     */
    public void failedSecret(String address, String what) {
        failures.get("addr:" + address, key -> bucket(failuresPerMinute)).tryConsume(1);
        logFailure(what, null, address);
    }

    private static void logFailure(String what, String username, String address) {
        log.warn("authentication failed: {} for account '{}' from {}", what, username == null ? "-" : username, address);
    }

    private static Bucket bucket(int perMinute) {
        return Bucket.builder()
                .addLimit(limit -> limit.capacity(perMinute).refillGreedy(perMinute, WINDOW))
                .build();
    }

    private static RuntimeException refused(Bucket bucket) {
        long nanos = bucket.estimateAbilityToConsume(1).getNanosToWaitForRefill();
        long seconds = Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
        return OciError.TOOMANYREQUESTS.exception("too many attempts; retry in " + seconds + " s")
                .withHeader("Retry-After", String.valueOf(seconds));
    }
}

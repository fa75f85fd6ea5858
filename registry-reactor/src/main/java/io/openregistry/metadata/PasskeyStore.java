package io.openregistry.metadata;

import java.time.Instant;
import java.util.Objects;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Passkeys (WebAuthn credentials) of accounts, the accounts' WebAuthn user handles, and the
 * ceremonies in progress. Stores what it is given: verification happens in {@code auth.Passkeys}.
 * Everything lives in the database, so any replica continues a ceremony another one began.
 */
public interface PasskeyStore {

    /**
     * One passkey.
     *
     * @param id             the credential id, base64url
     * @param credentialData the attested credential data (AAGUID, credential id, COSE public key)
     * @param transports     comma-separated transports, or null
     * @param lastUsedAt     the last sign-in with it, or null
     */
    record Passkey(String id, String username, String name, byte[] credentialData, long signCount,
                   boolean uvInitialized, boolean backupEligible, boolean backedUp, String transports,
                   Instant createdAt, Instant lastUsedAt) {
        public Passkey {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(username, "username");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(credentialData, "credentialData");
        }

        @Override
        public String toString() {
            return "Passkey[" + username + ", " + name + "]";
        }
    }

    /** What a ceremony is for. */
    enum Ceremony {
        /** Sign-up: creates the account {@code username} with its first passkey and no password. */
        SIGNUP,
        /** A signed-in account adds a passkey. */
        ADD,
        /** Sign-in with a discoverable passkey: no username. */
        SIGNIN
    }

    /**
     * A ceremony in progress.
     *
     * @param challenge  base64url
     * @param username   the name to claim (SIGNUP), the account (ADD), or null (SIGNIN)
     * @param userHandle base64url, for SIGNUP and ADD
     */
    record Challenge(String flow, Ceremony ceremony, String challenge, String username, String userHandle,
                     Instant expiresAt) {
        public Challenge {
            Objects.requireNonNull(flow, "flow");
            Objects.requireNonNull(ceremony, "ceremony");
            Objects.requireNonNull(challenge, "challenge");
            Objects.requireNonNull(expiresAt, "expiresAt");
        }
    }

    /** What removing a passkey did. */
    enum Removal { REMOVED, NOT_FOUND, LAST_WAY_IN }

    Mono<Void> saveChallenge(Challenge challenge);

    /**
     * Deletes the ceremony and answers it, or empty when it is unknown or was taken already: of
     * any number of concurrent takers (on any replicas) at most one gets it. Expired ceremonies are
     * answered too; the caller checks {@code expiresAt}.
     */
    Mono<Challenge> takeChallenge(String flow);

    /** Deletes ceremonies that expired before {@code now}; returns how many. */
    Mono<Long> deleteExpiredChallenges(Instant now);

    /** The account's WebAuthn user handle (base64url), or empty when it has none yet. */
    Mono<String> userHandle(String username);

    /**
     * Creates an account without a password, with its user handle and first passkey, claiming the
     * name in the shared name space, in one transaction; false when the name is taken (by an
     * account or organization) or the passkey is registered already.
     */
    Mono<Boolean> createAccount(String username, boolean admin, String userHandle, Passkey first);

    /**
     * Adds a passkey to an existing account, giving the account {@code userHandle} unless it has
     * one; false when the account has another handle, is gone, or the passkey is registered already.
     */
    Mono<Boolean> addPasskey(String userHandle, Passkey passkey);

    /** The passkey with this credential id, or empty. */
    Mono<Passkey> passkey(String id);

    /** The account's passkeys, oldest first. */
    Flux<Passkey> passkeys(String username);

    /**
     * Records a sign-in: the new counter and backup state, only if the stored counter is still
     * {@code expectedCount}; false otherwise (a concurrent sign-in with the same passkey won).
     */
    Mono<Boolean> used(String id, long expectedCount, long signCount, boolean backedUp, Instant at);

    /** Renames the account's passkey; false when it has none with that id. */
    Mono<Boolean> rename(String username, String id, String name);

    /**
     * Removes the account's passkey, unless it is the account's last way to sign in (its only
     * passkey, and the account has no password).
     */
    Mono<Removal> remove(String username, String id);
}

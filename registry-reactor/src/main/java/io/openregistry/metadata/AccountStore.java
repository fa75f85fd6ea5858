package io.openregistry.metadata;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Accounts and the credentials issued to them. Stores only what it is given: password hashes and
 * secret hashes are computed by the caller; no secret ever reaches this seam.
 */
public interface AccountStore {

    /**
     * An account; its username is also the namespace it owns.
     *
     * @param passwordHash the password's hash, or null for an account made by passkey sign-up
     * @param disabled whether an admin disabled it: it then gets no registry token by any of its
     *                 credentials (password, sessions, PATs) nor by its robots
     */
    record Account(String username, String passwordHash, boolean admin, Instant createdAt, boolean disabled) {
        public Account {
            Objects.requireNonNull(username, "username");
        }

        /** An enabled account. */
        public Account(String username, String passwordHash, boolean admin, Instant createdAt) {
            this(username, passwordHash, admin, createdAt, false);
        }

        @Override
        public String toString() {
            return "Account[" + username + (admin ? ", admin" : "") + (disabled ? ", disabled" : "") + "]";
        }
    }

    /** What a credential is for. */
    enum Kind {
        /** A personal access token: a password substitute for clients, with its own scopes. */
        PAT,
        /** A sign-in session, whose secret is also the OAuth2 refresh token. */
        SESSION,
        /**
         * The web app's session: its secret is accepted only from the session cookie, never as a
         * bearer or refresh token, so the browser session stays apart from registry clients.
         */
        WEB
    }

    /**
     * A credential.
     *
     * @param actions      the actions it allows (PATs), empty for sessions (everything the account may)
     * @param repositories the repositories it is limited to, empty for all the account may reach
     * @param expiresAt    when it stops working, or null for never
     */
    record Credential(String id, String username, Kind kind, String name, String secretHash, List<String> actions,
                      List<String> repositories, Instant expiresAt, Instant createdAt) {
        public Credential {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(username, "username");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(secretHash, "secretHash");
            actions = List.copyOf(actions);
            repositories = List.copyOf(repositories);
        }

        public boolean expired(Instant now) {
            return expiresAt != null && !expiresAt.isAfter(now);
        }
    }

    /** Creates the account; false when the username is taken. */
    Mono<Boolean> create(Account account);

    /** The account, or empty. */
    Mono<Account> find(String username);

    Mono<Void> addCredential(Credential credential);

    /** The credential with this id, or empty. */
    Mono<Credential> credential(String id);

    /** The credentials of one kind an account holds, oldest first. */
    Flux<Credential> credentials(String username, Kind kind);

    /** Deletes the account's credential; false when it has none with that id. */
    Mono<Boolean> deleteCredential(String username, String id);

    /** Deletes every credential expired before {@code now}; returns how many. */
    Mono<Long> deleteExpired(Instant now);
}

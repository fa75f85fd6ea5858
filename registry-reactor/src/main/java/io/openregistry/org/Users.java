package io.openregistry.org;

import io.openregistry.auth.Accounts;
import io.openregistry.auth.Principal;
import io.openregistry.metadata.AccountStore;
import io.openregistry.metadata.AccountStore.Account;
import io.openregistry.metadata.OrgStore;
import io.openregistry.oci.OciError;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * Accounts as a registry admin manages them (list, create, disable and re-enable, reset a
 * password, delete), and a user's own password. Passwords are checked and hashed by
 * {@link Accounts} (Argon2id through its hashing gate, never on an event loop).
 */
public final class Users {
    private final AccountStore accounts;
    private final OrgStore store;
    private final Accounts credentials;
    private final ManagementPolicy policy;

    /** One page of accounts; {@code next} is the {@code last} of the next page, or null. */
    public record Page(List<Account> accounts, String next) {
    }

    public Users(AccountStore accounts, OrgStore store, Accounts credentials, ManagementPolicy policy) {
        this.policy = policy;
        this.accounts = accounts;
        this.store = store;
        this.credentials = credentials;
    }

    public Mono<Page> list(Principal caller, String last, int n) {
        return admin(caller).then(Mono.defer(() -> store.accounts(last, n)))
                .map(page -> new Page(page, page.size() < n || page.isEmpty() ? null
                        : page.get(page.size() - 1).username()));
    }

    /** An account: any for an admin, one's own for anyone (403 for another's, whether it exists or not). */
    public Mono<Account> get(Principal caller, String username) {
        Checks.username("user", username);
        return (username.equals(caller.username()) ? Mono.<Void>empty() : admin(caller))
                .then(Mono.defer(() -> existing(username)));
    }

    /** Creates an account (reserved names too); 409 when the name is taken. */
    public Mono<Account> create(Principal caller, String username, String password, boolean admin) {
        Checks.username("username", username);
        return admin(caller).then(Mono.defer(() -> credentials.createByAdmin(username, password, admin)));
    }

    /** Disables or re-enables an account: a disabled one gets no registry token and no API access. */
    public Mono<Account> setDisabled(Principal caller, String username, boolean disabled) {
        Checks.username("user", username);
        return admin(caller)
                .then(Mono.defer(() -> disabled && username.equals(caller.username())
                        ? Mono.error(Checks.invalid("an admin cannot disable its own account"))
                        : store.setDisabled(username, disabled, caller.username())))
                .flatMap(outcome -> Checks.outcome(outcome, "account " + username))
                .then(Mono.defer(() -> existing(username)));
    }

    /** An admin's reset: a new password, and every session of the account ends. */
    public Mono<Void> resetPassword(Principal caller, String username, String password) {
        Checks.username("user", username);
        return admin(caller)
                .then(Mono.defer(() -> existing(username)))
                .then(Mono.defer(() -> credentials.hashNewPassword(password)))
                .flatMap(hash -> store.setPasswordHash(username, hash, true, caller.username()))
                .flatMap(outcome -> Checks.outcome(outcome, "account " + username));
    }

    /** Deletes an account: 409 while its namespace holds repositories unless {@code withRepositories}, or for an organization's last owner. */
    public Mono<Void> delete(Principal caller, String username, boolean withRepositories) {
        Checks.username("user", username);
        return admin(caller)
                .then(Mono.defer(() -> username.equals(caller.username())
                        ? Mono.error(Checks.invalid("an admin cannot delete its own account"))
                        : store.deleteAccount(username, withRepositories, caller.username())))
                .flatMap(outcome -> Checks.outcome(outcome, "account " + username));
    }

    /**
     * The user's own change: {@code current} checked as at sign-in (401 when wrong, counted by the
     * throttle), then the new password; every session of the account ends (the caller's handler
     * starts a new one for a caller that came with a session).
     */
    public Mono<Void> changeOwnPassword(Principal caller, String current, String password, String address) {
        if (current == null) {
            return Mono.error(Checks.invalid("current must be the account's current password"));
        }
        return credentials.password(caller.username(), current, address)
                .then(Mono.defer(() -> credentials.hashNewPassword(password)))
                .flatMap(hash -> store.setPasswordHash(caller.username(), hash, true, caller.username()))
                .flatMap(outcome -> Checks.outcome(outcome, "account " + caller.username()));
    }

    private Mono<Account> existing(String username) {
        return accounts.find(username)
                .switchIfEmpty(Mono.error(() -> OciError.NOT_FOUND.exception("account unknown: " + username)));
    }

    private Mono<Void> admin(Principal caller) {
        return policy.administersRegistry(caller) ? Mono.empty()
                : Mono.error(Checks.denied("user management is for registry admins"));
    }
}

package io.openregistry.auth;

import io.openregistry.metadata.AccountStore;
import io.openregistry.metadata.AccountStore.Account;
import io.openregistry.metadata.AccountStore.Credential;
import io.openregistry.metadata.AccountStore.Kind;
import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.OrgStore.NamespaceKind;
import io.openregistry.metadata.RepositoryStore;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.openregistry.oci.Names;
import io.openregistry.oci.OciError;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Accounts and their credentials: sign-up, the checks of passwords, personal access tokens and
 * sessions (each answering the {@link Principal} they prove), and issuing and revoking PATs and
 * sessions. Password hashing goes through the {@link HashingGate}, never on an event loop and
 * never more at once than it allows. Every failed check answers the same 401, whatever failed, and
 * is counted by the {@link Throttle}. A disabled account gets no Principal by any of its credentials,
 * nor do the robots of its namespace; a robot logs in with its full name and secret
 * ({@code org+ci} / {@code orrobot_…}) and never signs in to the account API. Passwords must be valid Unicode: a lone UTF-16 surrogate
 * cannot be encoded faithfully, so it is refused rather than hashed as something else.
 */
public final class Accounts {
    private static final Logger log = LoggerFactory.getLogger(Accounts.class);
    public static final int MAX_USERNAME = 64;
    static final Set<String> PAT_ACTIONS = Set.of(Scope.PULL, Scope.PUSH, Scope.DELETE);
    private static final int MAX_PAT_REPOSITORIES = 100;
    /** How often one replica records a robot's use: "last used" is a day-level fact, not an audit trail. */
    static final Duration ROBOT_USE_INTERVAL = Duration.ofMinutes(1);

    private final AccountStore store;
    private final RepositoryStore repositories;
    private final OrgStore orgs;
    /** Robots whose use this replica recorded within {@link #ROBOT_USE_INTERVAL} (by the clock's time). */
    private final Cache<String, Boolean> robotsNoted;
    private final Throttle throttle;
    private final HashingGate hashing;
    private final Duration sessionTtl;
    private final Clock clock;
    private final NamespaceRules namespaces;

    /** A secret just issued, shown to its owner once, and what it is. */
    public record IssuedSecret(String secret, CredentialInfo credential) {
        @Override
        public String toString() {
            return "IssuedSecret[" + credential.id() + "]";
        }
    }

    /**
     * @param orgs       the robots and what owns their namespaces
     * @param namespaces the reserved names sign-up refuses (an admin creates them with {@link #createByAdmin})
     */
    public Accounts(AccountStore store, RepositoryStore repositories, OrgStore orgs, Throttle throttle,
                    HashingGate hashing, Duration sessionTtl, Clock clock, NamespaceRules namespaces) {
        this.namespaces = namespaces;
        this.store = store;
        this.repositories = repositories;
        this.orgs = orgs;
        this.robotsNoted = Caffeine.newBuilder().expireAfterWrite(ROBOT_USE_INTERVAL).maximumSize(100_000)
                .ticker(() -> java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(clock.millis())).build();
        this.throttle = throttle;
        this.hashing = hashing;
        this.sessionTtl = sessionTtl;
        this.clock = clock;
    }

    /** A username is one repository path component (it names a namespace), at most 64 characters. */
    public static boolean isValidUsername(String username) {
        return username != null && username.length() <= MAX_USERNAME && username.indexOf('/') < 0
                && Names.isValidName(username);
    }

    /**
     * Creates an account by sign-up from {@code address} and answers its name: 400 for a bad name
     * or password, 429 when the address signed up too often, 409 when the name is not available.
     * Whether it is taken by an account or is a namespace that holds repositories (perhaps private
     * ones) answers alike: an anonymous caller learns nothing about what the namespace holds. A
     * reserved name ({@code namespaces.reserved}) answers the same 409: only an admin creates it.
     */
    public Mono<String> signUp(String username, String password, String address) {
        return validate(username, password)
                .then(Mono.fromRunnable(() -> throttle.admitSignUp(address)))
                .then(Mono.defer(() -> namespaces.isReserved(username) ? Mono.error(unavailable(username))
                        : Mono.empty()))
                // a namespace that already holds repositories (pushed by an admin, or before access
                // control) is not free: its first sign-up would own them all
                .then(Mono.defer(() -> Mono.zip(store.find(username).hasElement(),
                        repositories.namespaceInUse(username))))
                .flatMap(taken -> taken.getT1() || taken.getT2() ? Mono.error(unavailable(username))
                        : create(username, password, false).map(Account::username));
    }

    /**
     * Creates an account for a registry admin ({@code admin}: whether the new account is one too):
     * reserved names allowed; 409 when the name is an account or organization already, or a
     * namespace that holds repositories.
     */
    public Mono<Account> createByAdmin(String username, String password, boolean admin) {
        return validate(username, password)
                .then(Mono.defer(() -> Mono.zip(store.find(username).hasElement(),
                        repositories.namespaceInUse(username))))
                .flatMap(taken -> taken.getT1() || taken.getT2() ? Mono.error(unavailable(username))
                        : create(username, password, admin));
    }

    /**
     * The hash of a new password (an admin's reset or the user's own change): 400 unless it follows
     * the password rules; hashed through the gate, never on an event loop.
     */
    public Mono<String> hashNewPassword(String password) {
        return validate("x", password).then(Mono.defer(() -> hashing.run(() -> Passwords.hash(password))));
    }

    private static Mono<Void> validate(String username, String password) {
        if (!isValidUsername(username)) {
            return Mono.error(OciError.INVALID_REQUEST.exception("username must be 1-" + MAX_USERNAME
                    + " characters forming one repository path component: a-z, 0-9, separated by '.', '_', '__' or '-'"));
        }
        if (password == null || password.length() < Passwords.MIN_LENGTH || password.length() > Passwords.MAX_LENGTH) {
            return Mono.error(OciError.INVALID_REQUEST.exception("password must be " + Passwords.MIN_LENGTH + "-"
                    + Passwords.MAX_LENGTH + " characters"));
        }
        if (!Text.isValidUnicode(password)) {
            return Mono.error(OciError.INVALID_REQUEST.exception("password must be valid Unicode "
                    + "(no unpaired UTF-16 surrogates)"));
        }
        return Mono.empty();
    }

    private Mono<Account> create(String username, String password, boolean admin) {
        return hashing.run(() -> Passwords.hash(password))
                .map(hash -> new Account(username, hash, admin, now()))
                .flatMap(account -> store.create(account).flatMap(created -> created
                        ? Mono.just(account)
                        // lost a race with a sign-up of the same name
                        : Mono.error(unavailable(username))));
    }

    private static RuntimeException unavailable(String username) {
        return OciError.ALREADY_EXISTS.exception("username is not available: " + username);
    }

    /** Creates the configured admin account unless an account of that name exists (which is left as it is). */
    public Mono<Void> ensureAdmin(String username, String password) {
        return store.find(username)
                .doOnNext(existing -> {
                    if (!existing.admin()) {
                        log.warn("auth.admin.username '{}' names an existing account that is not an admin; it is "
                                + "left as it is, so this registry has no configured admin", username);
                    }
                })
                .hasElement()
                .flatMap(exists -> exists ? Mono.empty() : validate(username, password)
                        .then(create(username, password, true))
                        .doOnNext(a -> log.info("created admin account '{}'", username))
                        .onErrorResume(e -> e instanceof io.openregistry.oci.OciException oci
                                        && oci.code() == OciError.ALREADY_EXISTS,
                                e -> Mono.empty())
                        .then());
    }

    /**
     * HTTP Basic credentials at the token endpoint: the password may be the account's password
     * or one of its personal access tokens; a robot's full name ({@code org+ci}) goes with its secret.
     */
    public Mono<Principal> basic(String username, String secret, String address) {
        if (Principal.isRobotName(username)) {
            return robot(username, secret, address);
        }
        if (Secrets.isPersonalToken(secret)) {
            return personalToken(username, secret, address);
        }
        return password(username, secret, address);
    }

    /** A password check; unknown accounts take as long as wrong passwords. */
    public Mono<Principal> password(String username, String password, String address) {
        String name = isValidUsername(username) ? username : null;
        Throttle.PasswordAttempt attempt = throttle.attemptPassword(address, name);
        java.util.concurrent.atomic.AtomicBoolean checked = new java.util.concurrent.atomic.AtomicBoolean();
        return (name == null ? Mono.<Account>empty() : store.find(name))
                .map(java.util.Optional::of)
                .defaultIfEmpty(java.util.Optional.empty())
                .flatMap(account -> hashing.run(() -> {
                    checked.set(true);
                    return Passwords.verify(password, account.map(Account::passwordHash).orElse(null));
                }).flatMap(right -> {
                    if (right && account.get().disabled()) {
                        // told only to whoever knows the password; the charge stays, as for a wrong one
                        attempt.failed("account disabled");
                        return Mono.error(unauthorized("account disabled"));
                    }
                    if (right) {
                        attempt.succeeded();
                        return Mono.just(Principal.account(account.get().username(), account.get().admin()));
                    }
                    attempt.failed("wrong username or password");
                    return Mono.error(unauthorized("wrong username or password"));
                }))
                // refused by the gate or the database before the password was looked at: no guess was made
                .doOnError(e -> {
                    if (!checked.get()) {
                        attempt.notChecked();
                    }
                });
    }

    /** A personal access token, optionally with the username it must belong to. */
    public Mono<Principal> personalToken(String username, String secret, String address) {
        return credential(secret, Kind.PAT, address)
                .flatMap(pat -> username != null && !username.isEmpty() && !username.equals(pat.username())
                        ? Mono.error(failed(address, "personal access token of another account"))
                        : store.find(pat.username())
                                .switchIfEmpty(Mono.error(() -> failed(address, "personal access token of a deleted account")))
                                .flatMap(account -> enabled(account, address, "personal access token of a disabled account"))
                                .doOnNext(account -> throttle.succeededFor(account.username(), address))
                                .map(account -> new Principal(account.username(), account.admin(),
                                        Set.copyOf(pat.actions()), pat.repositories())));
    }

    /** A session secret (sign-in session, or refresh token at the token endpoint). */
    public Mono<Principal> session(String secret, String address) {
        return credential(secret, Kind.SESSION, address)
                .flatMap(session -> store.find(session.username())
                        .switchIfEmpty(Mono.error(() -> failed(address, "session of a deleted account")))
                        .flatMap(account -> enabled(account, address, "session of a disabled account"))
                        .doOnNext(account -> throttle.succeededFor(account.username(), address))
                        .map(account -> Principal.account(account.username(), account.admin())));
    }

    private Mono<Account> enabled(Account account, String address, String what) {
        return account.disabled() ? Mono.error(failed(address, what)) : Mono.just(account);
    }

    /**
     * A robot's login: its full name and secret. Refused (401, counted against the address like
     * any failed secret) when unknown, the secret is wrong, it has expired, or its namespace's
     * user is disabled or gone; its use is recorded at most once per {@link #ROBOT_USE_INTERVAL}
     * per replica.
     */
    public Mono<Principal> robot(String name, String secret, String address) {
        String what = "unknown robot or wrong secret";
        if (!Secrets.isRobotSecret(secret)) {
            return Mono.error(failed(address, what));
        }
        return orgs.robot(name)
                .filter(robot -> Secrets.matches(secret, robot.secretHash()))
                .switchIfEmpty(Mono.error(() -> failed(address, what)))
                .flatMap(robot -> owner(robot).flatMap(owner -> {
                    Instant now = clock.instant();
                    String refusal = robotRefusal(robot, owner.kind(), owner.account(), now);
                    return refusal != null ? Mono.error(failed(address, refusal))
                            : noteUse(robot.name(), now).thenReturn(Principal.ofRobot(robot));
                }));
    }

    /** What owns a robot's namespace, with the account when it is a user's. */
    private record Owner(NamespaceKind kind, Account account) {}

    private Mono<Owner> owner(OrgStore.Robot robot) {
        return orgs.namespaceKind(robot.namespace())
                .flatMap(kind -> kind == NamespaceKind.USER
                        ? store.find(robot.namespace()).map(a -> new Owner(kind, a)).defaultIfEmpty(new Owner(kind, null))
                        : Mono.just(new Owner(kind, null)))
                .defaultIfEmpty(new Owner(null, null));
    }

    /**
     * Why a robot whose secret matched may not log in, or null when it may: it has expired, its
     * namespace belongs to nobody, or to a user account that is gone or disabled.
     */
    static String robotRefusal(OrgStore.Robot robot, NamespaceKind ownerKind, Account ownerAccount, Instant now) {
        if (robot.expired(now)) {
            return "robot expired";
        }
        if (ownerKind == null || (ownerKind == NamespaceKind.USER && ownerAccount == null)) {
            return "robot of a deleted namespace";
        }
        if (ownerKind == NamespaceKind.USER && ownerAccount.disabled()) {
            return "robot of a disabled account";
        }
        return null;
    }

    /** Records the robot's use unless this replica did within the interval; a failure to record is no reason to refuse. */
    private Mono<Void> noteUse(String robot, Instant now) {
        if (robotsNoted.asMap().putIfAbsent(robot, Boolean.TRUE) != null) {
            return Mono.empty();
        }
        return orgs.robotUsed(robot, now.truncatedTo(ChronoUnit.MICROS))
                .onErrorResume(e -> {
                    robotsNoted.invalidate(robot);
                    log.warn("could not record the use of robot '{}': {}", robot, e.toString());
                    return Mono.empty();
                });
    }

    private Mono<Credential> credential(String secret, Kind kind, String address) {
        String id = Secrets.idOf(secret, kind);
        String what = kind == Kind.PAT ? "unknown, revoked or expired personal access token"
                : "unknown, ended or expired session";
        // a web session's secret is refused wherever another kind is asked for (Secrets.idOf: other prefix)
        if (id == null) {
            return Mono.error(failed(address, what));
        }
        return store.credential(id)
                .filter(c -> c.kind() == kind && !c.expired(clock.instant()) && Secrets.matches(secret, c.secretHash()))
                .switchIfEmpty(Mono.error(() -> failed(address, what)));
    }

    /** Starts a session for a signed-in account; its secret is the session and refresh token. */
    public Mono<IssuedSecret> startSession(Principal principal) {
        Secrets.Issued issued = Secrets.issue(Kind.SESSION);
        Instant now = now();
        Credential session = new Credential(issued.id(), principal.username(), Kind.SESSION, null, issued.hash(),
                List.of(), List.of(), now.plus(sessionTtl), now);
        return store.addCredential(session).thenReturn(new IssuedSecret(issued.secret(), CredentialInfo.of(session)));
    }

    /** Ends the session whose secret this is (sign-out); unknown secrets are ignored. */
    public Mono<Void> endSession(String secret) {
        return end(secret, Kind.SESSION);
    }

    /**
     * Starts a web app session (the session cookie's secret) for a signed-in account; it lasts
     * as long as a sign-in session ({@code auth.sessionTtlSeconds}).
     */
    public Mono<IssuedSecret> startWebSession(Principal principal) {
        Secrets.Issued issued = Secrets.issue(Kind.WEB);
        Instant now = now();
        Credential session = new Credential(issued.id(), principal.username(), Kind.WEB, null, issued.hash(),
                List.of(), List.of(), now.plus(sessionTtl), now);
        return store.addCredential(session).thenReturn(new IssuedSecret(issued.secret(), CredentialInfo.of(session)));
    }

    /**
     * The account of a web app session's secret (from the cookie), or empty when the session is
     * not live (unknown, ended, expired, or its account is gone or disabled). Not counted as a
     * failed secret: the browser sends a dead cookie with every request by itself, and counting it
     * would soon lock the user's address out of everything; guessing a 256-bit secret is hopeless
     * anyway, and each request still counts against the address's request budget.
     */
    public Mono<Principal> webSession(String secret) {
        String id = Secrets.idOf(secret, Kind.WEB);
        if (id == null) {
            return Mono.empty();
        }
        return store.credential(id)
                .filter(c -> c.kind() == Kind.WEB && !c.expired(clock.instant()) && Secrets.matches(secret, c.secretHash()))
                .flatMap(session -> store.find(session.username()))
                .filter(account -> !account.disabled())
                .map(account -> Principal.account(account.username(), account.admin()));
    }

    /** Ends the web app session whose secret this is (sign-out); unknown secrets are ignored. */
    public Mono<Void> endWebSession(String secret) {
        return end(secret, Kind.WEB);
    }

    private Mono<Void> end(String secret, Kind kind) {
        String id = Secrets.idOf(secret, kind);
        if (id == null) {
            return Mono.empty();
        }
        return store.credential(id)
                .filter(c -> c.kind() == kind && Secrets.matches(secret, c.secretHash()))
                .flatMap(c -> store.deleteCredential(c.username(), c.id()))
                .then();
    }

    /** The account, or empty (what the web app shows of the signed-in account). */
    public Mono<Account> account(String username) {
        return store.find(username);
    }

    /**
     * Issues a personal access token for the signed-in account.
     *
     * @param actions      a non-empty subset of pull, push, delete
     * @param repositories repository names it is limited to (empty: all the account may reach)
     * @param expiresAt    null for a token that does not expire
     */
    public Mono<IssuedSecret> createToken(Principal owner, String name, List<String> actions, List<String> repositories,
                                          Instant expiresAt) {
        if (name == null || name.isBlank() || name.length() > 128 || name.chars().anyMatch(Character::isISOControl)
                || !Text.isValidUnicode(name)) {
            return Mono.error(OciError.INVALID_REQUEST.exception("name must be 1-128 printable characters"));
        }
        if (actions == null || actions.isEmpty() || !PAT_ACTIONS.containsAll(actions)) {
            return Mono.error(OciError.INVALID_REQUEST.exception("actions must be a non-empty list of pull, push, delete"));
        }
        if (repositories.size() > MAX_PAT_REPOSITORIES || !repositories.stream().allMatch(Names::isValidName)) {
            return Mono.error(OciError.INVALID_REQUEST.exception("repositories must be at most "
                    + MAX_PAT_REPOSITORIES + " valid repository names"));
        }
        Instant now = now();
        if (expiresAt != null && !expiresAt.isAfter(now)) {
            return Mono.error(OciError.INVALID_REQUEST.exception("expires_at must be in the future"));
        }
        Secrets.Issued issued = Secrets.issue(Kind.PAT);
        Credential pat = new Credential(issued.id(), owner.username(), Kind.PAT, name.trim(), issued.hash(),
                actions.stream().distinct().toList(), repositories.stream().distinct().toList(),
                expiresAt == null ? null : expiresAt.truncatedTo(ChronoUnit.SECONDS), now);
        return store.addCredential(pat).thenReturn(new IssuedSecret(issued.secret(), CredentialInfo.of(pat)));
    }

    public Flux<CredentialInfo> tokens(Principal owner) {
        return store.credentials(owner.username(), Kind.PAT).map(CredentialInfo::of);
    }

    /** Revokes a PAT of this account: the next token request with it fails. 404 when it has none with that id. */
    public Mono<Void> revokeToken(Principal owner, String id) {
        return store.credential(id)
                .filter(c -> c.kind() == Kind.PAT)
                .flatMap(c -> store.deleteCredential(owner.username(), id))
                .filter(Boolean::booleanValue)
                .switchIfEmpty(Mono.error(() -> OciError.NOT_FOUND.exception("no such token: " + id)))
                .then();
    }

    /** Drops expired sessions and tokens; run by the sweeper. */
    public Mono<Long> deleteExpired() {
        return store.deleteExpired(clock.instant());
    }

    private RuntimeException failed(String address, String what) {
        throttle.failedSecret(address, what);
        return unauthorized(what);
    }

    private static RuntimeException unauthorized(String what) {
        return OciError.UNAUTHORIZED.exception("authentication failed: " + what);
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}

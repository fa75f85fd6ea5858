package io.openregistry.auth;

import io.openregistry.metadata.AccountStore;
import io.openregistry.metadata.AccountStore.Account;
import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.PasskeyStore;
import io.openregistry.metadata.PasskeyStore.Ceremony;
import io.openregistry.metadata.PasskeyStore.Challenge;
import io.openregistry.metadata.PasskeyStore.Passkey;
import io.openregistry.metadata.RepositoryStore;
import io.openregistry.oci.OciError;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Passkeys (WebAuthn, with webauthn4j): sign-up with a passkey and no password, sign-in with a
 * discoverable passkey, and an account's passkeys (add, list, rename, remove). Each ceremony's
 * challenge is kept in the database ({@link PasskeyStore}), so any replica answers the second half;
 * it is taken (deleted) before the answer is verified, so it verifies at most once, and it expires
 * after the configured time. User verification is required, attestation is "none" (we trust no
 * authenticator vendor, we only need the key), the signature counter must grow unless both sides
 * are zero (synced passkeys send zero), and the backup-eligible flag must not change.
 *
 * <p>The checks themselves are {@link WebAuthn}'s (the one class that knows webauthn4j): callers
 * hand in the browser's JSON as text and get our own records back.
 */
public final class Passkeys {
    private static final Logger log = LoggerFactory.getLogger(Passkeys.class);
    public static final int MAX_NAME = 64;

    private final PasskeyStore store;
    private final AccountStore accounts;
    private final OrgStore orgs;
    private final RepositoryStore repositories;
    private final NamespaceRules namespaces;
    private final Throttle throttle;
    private final Clock clock;
    private final String rpId;
    private final String rpName;
    private final Duration challengeTtl;
    /**
     * The checks, made on first use off the event loops and kept: building them loads webauthn4j
     * and Jackson 3, about half a second, which a registry start should not pay when nobody uses
     * passkeys.
     */
    private final Mono<WebAuthn> webAuthn;

    /** The first half of a ceremony: its id and the options for the browser's {@code navigator.credentials}. */
    public record Options(String flow, Map<String, Object> publicKey) {}

    /** What the account API shows of a passkey. */
    public record Info(String id, String name, Instant createdAt, Instant lastUsedAt, boolean backedUp) {
        static Info of(Passkey p) {
            return new Info(p.id(), p.name(), p.createdAt(), p.lastUsedAt(), p.backedUp());
        }
    }

    /** A completed registration: the new account's name (sign-up) or the added passkey. */
    public record Registered(String signedUp, Info added) {}

    public Passkeys(PasskeyStore store, AccountStore accounts, OrgStore orgs, RepositoryStore repositories,
                    NamespaceRules namespaces, Throttle throttle, Clock clock, String rpId, String rpName,
                    Duration challengeTtl) {
        this.store = store;
        this.accounts = accounts;
        this.orgs = orgs;
        this.repositories = repositories;
        this.namespaces = namespaces;
        this.throttle = throttle;
        this.clock = clock;
        this.rpId = rpId;
        this.rpName = rpName;
        this.challengeTtl = challengeTtl;
        this.webAuthn = Mono.fromCallable(() -> new WebAuthn(rpId)).subscribeOn(Schedulers.boundedElastic()).cache();
    }

    /**
     * Sign-up's first half: 400 for a bad name, 409 when it is not available (taken, reserved, or a
     * namespace holding repositories: all alike). The name is claimed only by {@link #register}.
     */
    public Mono<Options> signUpOptions(String username) {
        if (!Accounts.isValidUsername(username)) {
            return Mono.error(OciError.INVALID_REQUEST.exception("username must be 1-" + Accounts.MAX_USERNAME
                    + " characters forming one repository path component: a-z, 0-9, separated by '.', '_', '__' or '-'"));
        }
        return available(username).then(Mono.defer(() -> {
            String handle = random(32);
            return begin(Ceremony.SIGNUP, username, handle)
                    .map(c -> new Options(c.flow(), creationOptions(c, List.of())));
        }));
    }

    /** Adding a passkey, first half: the account's user handle (made now if it has none) and its passkeys excluded. */
    public Mono<Options> addOptions(Principal caller) {
        return store.userHandle(caller.username()).defaultIfEmpty("")
                .zipWith(store.passkeys(caller.username()).map(Passkey::id).collectList())
                .flatMap(t -> begin(Ceremony.ADD, caller.username(), t.getT1().isEmpty() ? random(32) : t.getT1())
                        .map(c -> new Options(c.flow(), creationOptions(c, t.getT2()))));
    }

    /** Sign-in, first half: no username, no allowed credentials (the authenticator offers its discoverable ones). */
    public Mono<Options> signInOptions() {
        return begin(Ceremony.SIGNIN, null, null).map(c -> {
            Map<String, Object> pk = new LinkedHashMap<>();
            pk.put("challenge", c.challenge());
            pk.put("rpId", rpId);
            pk.put("userVerification", "required");
            pk.put("timeout", challengeTtl.toMillis());
            return new Options(c.flow(), pk);
        });
    }

    /**
     * Registration, second half: sign-up when {@code caller} is null (the account is created with no
     * password; 409 when the name was taken meanwhile), else a passkey added to the caller's account.
     * A registration that does not verify is a 400 naming why.
     *
     * @param origins the origins the browser's answer may name
     */
    public Mono<Registered> register(Principal caller, String flow, String credentialJson, String name,
                                     Set<String> origins, String address) {
        String label;
        try {
            label = label(name);
        } catch (RuntimeException e) {
            return Mono.error(e);
        }
        return take(flow, caller == null ? Ceremony.SIGNUP : Ceremony.ADD)
                .switchIfEmpty(Mono.error(() -> notRegistered("unknown, used or expired registration flow")))
                .zipWith(webAuthn)
                .flatMap(t -> {
                    Challenge c = t.getT1();
                    if (caller != null && !caller.username().equals(c.username())) {
                        return Mono.error(notRegistered("the registration flow belongs to another account"));
                    }
                    WebAuthn.Registration v;
                    try {
                        v = t.getT2().register(credentialJson, origins, c.challenge());
                    } catch (WebAuthn.Refused refused) {
                        return Mono.error(notRegistered(refused.getMessage()));
                    }
                    Passkey passkey = new Passkey(v.credentialId(), c.username(), label, v.credentialData(),
                            v.signCount(), v.userVerified(), v.backupEligible(), v.backedUp(), v.transports(), now(), null);
                    if (caller == null) {
                        return Mono.fromRunnable(() -> throttle.admitSignUp(address))
                                .then(available(c.username()))
                                .then(Mono.defer(() -> store.createAccount(c.username(), false, c.userHandle(), passkey)))
                                .flatMap(created -> created ? Mono.just(new Registered(c.username(), null))
                                        : Mono.error(unavailable(c.username())))
                                .doOnNext(r -> log.info("account '{}' signed up with a passkey", r.signedUp()));
                    }
                    return store.addPasskey(c.userHandle(), passkey).flatMap(added -> added
                            ? Mono.just(new Registered(null, Info.of(passkey)))
                            : Mono.error(OciError.ALREADY_EXISTS.exception(
                                    "passkey not added: it is registered already, or another passkey was added at the same time; try again")));
                });
    }

    /**
     * Sign-in, second half: the account of the passkey, or 401 "passkey not accepted" for any
     * failure (unknown or used flow, unknown passkey, bad signature, wrong origin, counter going
     * back, no user verification, disabled account), each counted as a failed secret.
     */
    public Mono<Principal> authenticate(String flow, String credentialJson, Set<String> origins, String address) {
        return take(flow, Ceremony.SIGNIN)
                .switchIfEmpty(Mono.error(() -> rejected(address, "unknown, used or expired sign-in flow")))
                .zipWith(webAuthn)
                .flatMap(t -> {
                    Challenge c = t.getT1();
                    WebAuthn e = t.getT2();
                    String id;
                    try {
                        id = e.credentialId(credentialJson);
                    } catch (WebAuthn.Refused refused) {
                        return Mono.error(rejected(address, refused.getMessage()));
                    }
                    return store.passkey(id)
                            .switchIfEmpty(Mono.error(() -> rejected(address, "unknown credential")))
                            .flatMap(passkey -> accounts.find(passkey.username())
                                    .switchIfEmpty(Mono.error(() -> rejected(address, "unknown credential")))
                                    .zipWith(store.userHandle(passkey.username()).defaultIfEmpty(""))
                                    .flatMap(a -> signIn(e, c, passkey, a.getT1(), a.getT2(), credentialJson,
                                            origins, address)));
                });
    }

    private Mono<Principal> signIn(WebAuthn e, Challenge c, Passkey passkey, Account account, String userHandle,
                                   String json, Set<String> origins, String address) {
        WebAuthn.Assertion assertion;
        try {
            assertion = e.authenticate(json, origins, c.challenge(), passkey);
        } catch (WebAuthn.Refused refused) {
            return Mono.error(rejected(address, refused.getMessage()));
        }
        // discoverable: the authenticator must name the account, and it must be the passkey's
        if (assertion.userHandle() == null || !assertion.userHandle().equals(userHandle)) {
            return Mono.error(rejected(address, "user handle does not match the passkey's account"));
        }
        if (account.disabled()) {
            return Mono.error(rejected(address, "account disabled"));
        }
        return store.used(passkey.id(), passkey.signCount(), assertion.signCount(), assertion.backedUp(), now())
                .flatMap(recorded -> recorded ? Mono.just(Principal.account(account.username(), account.admin()))
                        : Mono.error(rejected(address, "the passkey was used concurrently")))
                .doOnNext(p -> throttle.succeededFor(p.username(), address));
    }

    /** The account's passkeys, oldest first. */
    public Flux<Info> list(Principal caller) {
        return store.passkeys(caller.username()).map(Info::of);
    }

    /** How many passkeys the account has. */
    public Mono<Long> count(String username) {
        return store.passkeys(username).count();
    }

    /** Renames one of the caller's passkeys; 404 when it has none with that id. */
    public Mono<Info> rename(Principal caller, String id, String name) {
        String label;
        try {
            label = label(name);
        } catch (RuntimeException e) {
            return Mono.error(e);
        }
        if (!isBase64Url(id)) {
            return Mono.error(unknownPasskey(id));
        }
        return store.rename(caller.username(), id, label)
                .filter(Boolean::booleanValue)
                .switchIfEmpty(Mono.error(() -> unknownPasskey(id)))
                .then(Mono.defer(() -> store.passkey(id)))
                // removed between the rename and this read
                .switchIfEmpty(Mono.error(() -> unknownPasskey(id)))
                .map(Info::of);
    }

    /** Removes one of the caller's passkeys: 404 when unknown, 409 when it is the account's last way in. */
    public Mono<Void> remove(Principal caller, String id) {
        if (!isBase64Url(id)) {
            return Mono.error(unknownPasskey(id));
        }
        return store.remove(caller.username(), id).flatMap(outcome -> switch (outcome) {
            case REMOVED -> Mono.<Void>empty();
            case NOT_FOUND -> Mono.error(unknownPasskey(id));
            case LAST_WAY_IN -> Mono.error(OciError.DENIED.exception(409,
                    "the last way to sign in: this is the account's only passkey and it has no password; add another passkey first"));
        });
    }

    private static RuntimeException unknownPasskey(String id) {
        return OciError.NOT_FOUND.exception("no such passkey: " + id);
    }

    private static final java.util.regex.Pattern BASE64URL = java.util.regex.Pattern.compile("[A-Za-z0-9_-]+");

    /**
     * Whether {@code s} is base64url text, as every flow and credential id is: anything else (a NUL,
     * which PostgreSQL refuses in text, included) names nothing stored and is not looked up.
     */
    static boolean isBase64Url(String s) {
        return s != null && BASE64URL.matcher(s).matches();
    }

    /** Drops expired ceremonies; run by the sweeper. */
    public Mono<Long> deleteExpired() {
        return store.deleteExpiredChallenges(clock.instant());
    }

    // --- the ceremonies ---

    private Mono<Challenge> begin(Ceremony ceremony, String username, String userHandle) {
        Challenge c = new Challenge(random(16), ceremony, random(32), username, userHandle, now().plus(challengeTtl));
        return store.saveChallenge(c).thenReturn(c);
    }

    /** Takes the flow (deleting it first, whatever follows); empty when unknown, used, expired or of another ceremony. */
    private Mono<Challenge> take(String flow, Ceremony ceremony) {
        // flows are base64url (begin): anything else, a NUL included, is no flow of ours
        if (flow == null || flow.length() > 32 || !isBase64Url(flow)) {
            return Mono.empty();
        }
        return store.takeChallenge(flow)
                .filter(c -> c.ceremony() == ceremony && c.expiresAt().isAfter(clock.instant()));
    }

    private Map<String, Object> creationOptions(Challenge c, List<String> exclude) {
        Map<String, Object> pk = new LinkedHashMap<>();
        pk.put("challenge", c.challenge());
        pk.put("rp", Map.of("id", rpId, "name", rpName));
        pk.put("user", Map.of("id", c.userHandle(), "name", c.username(), "displayName", c.username()));
        List<Map<String, Object>> params = new ArrayList<>();
        for (Long alg : WebAuthn.ALGORITHM_IDS) {
            params.add(Map.of("type", "public-key", "alg", alg));
        }
        pk.put("pubKeyCredParams", params);
        Map<String, Object> selection = new LinkedHashMap<>();
        selection.put("residentKey", "required");
        selection.put("requireResidentKey", true);
        selection.put("userVerification", "required");
        pk.put("authenticatorSelection", selection);
        pk.put("attestation", "none");
        // else a platform authenticator would silently replace its passkey for this account
        pk.put("excludeCredentials", exclude.stream().map(id -> Map.of("type", "public-key", "id", id)).toList());
        pk.put("timeout", challengeTtl.toMillis());
        return pk;
    }

    /** 400 for the name label of a passkey: 1-64 printable characters; null: "passkey". */
    private static String label(String name) {
        if (name == null) {
            return "passkey";
        }
        String trimmed = name.trim();
        if (trimmed.isEmpty() || trimmed.length() > MAX_NAME || trimmed.chars().anyMatch(Character::isISOControl)
                || !Text.isValidUnicode(trimmed)) {
            throw OciError.INVALID_REQUEST.exception("name must be 1-" + MAX_NAME + " printable characters");
        }
        return trimmed;
    }

    private Mono<Void> available(String username) {
        if (namespaces.isReserved(username)) {
            return Mono.error(unavailable(username));
        }
        // an account or an organization holds the name: refused here, before the browser makes a
        // passkey that the claim at registration would then leave without an account
        return Mono.zip(orgs.namespaceKind(username).hasElement(), repositories.namespaceInUse(username))
                .flatMap(taken -> taken.getT1() || taken.getT2() ? Mono.error(unavailable(username)) : Mono.empty());
    }

    private static RuntimeException unavailable(String username) {
        return OciError.ALREADY_EXISTS.exception("username is not available: " + username);
    }

    private static RuntimeException notRegistered(String why) {
        return OciError.INVALID_REQUEST.exception("passkey not registered: " + why);
    }

    private RuntimeException rejected(String address, String why) {
        throttle.failedSecret(address, "passkey not accepted: " + why);
        return OciError.UNAUTHORIZED.exception("passkey not accepted: " + why);
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    private static String random(int bytes) {
        return base64Url(Randomness.bytes(bytes));
    }

    private static String base64Url(byte[] bytes) {
        return WebAuthn.base64Url(bytes);
    }
}

package io.openregistry.auth;

import com.webauthn4j.WebAuthnManager;
import com.webauthn4j.converter.AttestedCredentialDataConverter;
import com.webauthn4j.converter.AuthenticatorTransportConverter;
import com.webauthn4j.converter.util.ObjectConverter;
import com.webauthn4j.credential.CredentialRecordImpl;
import com.webauthn4j.data.AuthenticationData;
import com.webauthn4j.data.AuthenticationParameters;
import com.webauthn4j.data.PublicKeyCredentialParameters;
import com.webauthn4j.data.PublicKeyCredentialType;
import com.webauthn4j.data.RegistrationData;
import com.webauthn4j.data.RegistrationParameters;
import com.webauthn4j.data.attestation.authenticator.AttestedCredentialData;
import com.webauthn4j.data.attestation.authenticator.AuthenticatorData;
import com.webauthn4j.data.attestation.statement.COSEAlgorithmIdentifier;
import com.webauthn4j.data.attestation.statement.NoneAttestationStatement;
import com.webauthn4j.data.client.Origin;
import com.webauthn4j.data.client.challenge.DefaultChallenge;
import com.webauthn4j.data.extension.authenticator.RegistrationExtensionAuthenticatorOutput;
import com.webauthn4j.server.ServerProperty;
import io.openregistry.metadata.AccountStore;
import io.openregistry.metadata.AccountStore.Account;
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
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * Passkeys (WebAuthn, with webauthn4j): sign-up with a passkey and no password, sign-in with a
 * discoverable passkey, and an account's passkeys (add, list, rename, remove). Each ceremony's
 * challenge is kept in the database ({@link PasskeyStore}), so any replica answers the second half;
 * it is taken (deleted) before the answer is verified, so it verifies at most once, and it expires
 * after the configured time. User verification is required, attestation is "none" (we trust no
 * authenticator vendor, we only need the key), the signature counter must grow unless both sides
 * are zero (synced passkeys send zero), and the backup-eligible flag must not change.
 *
 * <p>webauthn4j (and the Jackson 3 it brings) stays inside this class: callers hand in the
 * browser's JSON as text and get our own records back.
 */
public final class Passkeys {
    private static final Logger log = LoggerFactory.getLogger(Passkeys.class);
    public static final int MAX_NAME = 64;
    private static final int MAX_CREDENTIAL_JSON = 32 * 1024;
    private static final List<PublicKeyCredentialParameters> ALGORITHMS = List.of(
            new PublicKeyCredentialParameters(PublicKeyCredentialType.PUBLIC_KEY, COSEAlgorithmIdentifier.ES256),
            new PublicKeyCredentialParameters(PublicKeyCredentialType.PUBLIC_KEY, COSEAlgorithmIdentifier.EdDSA),
            new PublicKeyCredentialParameters(PublicKeyCredentialType.PUBLIC_KEY, COSEAlgorithmIdentifier.RS256));

    private final PasskeyStore store;
    private final AccountStore accounts;
    private final RepositoryStore repositories;
    private final NamespaceRules namespaces;
    private final Throttle throttle;
    private final Clock clock;
    private final String rpId;
    private final String rpName;
    private final Duration challengeTtl;
    private final ObjectConverter converter = new ObjectConverter();
    private final WebAuthnManager manager = WebAuthnManager.createNonStrictWebAuthnManager(converter);
    private final AttestedCredentialDataConverter credentialData = new AttestedCredentialDataConverter(converter);
    private final AuthenticatorTransportConverter transports = new AuthenticatorTransportConverter();

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

    public Passkeys(PasskeyStore store, AccountStore accounts, RepositoryStore repositories, NamespaceRules namespaces,
                    Throttle throttle, Clock clock, String rpId, String rpName, Duration challengeTtl) {
        this.store = store;
        this.accounts = accounts;
        this.repositories = repositories;
        this.namespaces = namespaces;
        this.throttle = throttle;
        this.clock = clock;
        this.rpId = rpId;
        this.rpName = rpName;
        this.challengeTtl = challengeTtl;
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
                .flatMap(c -> {
                    if (caller != null && !caller.username().equals(c.username())) {
                        return Mono.error(notRegistered("the registration flow belongs to another account"));
                    }
                    Passkey passkey;
                    try {
                        passkey = verifyRegistration(c, credentialJson, origins, label);
                    } catch (RuntimeException e) {
                        return Mono.error(e);
                    }
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
                .flatMap(c -> {
                    String id;
                    try {
                        id = credentialId(credentialJson);
                    } catch (RuntimeException e) {
                        return Mono.error(rejected(address, "malformed credential"));
                    }
                    return store.passkey(id)
                            .switchIfEmpty(Mono.error(() -> rejected(address, "unknown credential")))
                            .flatMap(passkey -> accounts.find(passkey.username())
                                    .switchIfEmpty(Mono.error(() -> rejected(address, "unknown credential")))
                                    .zipWith(store.userHandle(passkey.username()).defaultIfEmpty(""))
                                    .flatMap(t -> signIn(c, passkey, t.getT1(), t.getT2(), credentialJson, origins,
                                            address)));
                });
    }

    private Mono<Principal> signIn(Challenge c, Passkey passkey, Account account, String userHandle, String json,
                                   Set<String> origins, String address) {
        AuthenticationData data;
        try {
            data = verifyAssertion(c, passkey, json, origins);
        } catch (Rejected e) {
            return Mono.error(rejected(address, e.getMessage()));
        }
        // discoverable: the authenticator must name the account, and it must be the passkey's
        if (data.getUserHandle() == null || !base64Url(data.getUserHandle()).equals(userHandle)) {
            return Mono.error(rejected(address, "user handle does not match the passkey's account"));
        }
        if (account.disabled()) {
            return Mono.error(rejected(address, "account disabled"));
        }
        AuthenticatorData<?> ad = data.getAuthenticatorData();
        return store.used(passkey.id(), passkey.signCount(), ad.getSignCount(), ad.isFlagBS(), now())
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
        return store.rename(caller.username(), id, label)
                .filter(Boolean::booleanValue)
                .switchIfEmpty(Mono.error(() -> OciError.NOT_FOUND.exception("no such passkey: " + id)))
                .then(Mono.defer(() -> store.passkey(id)))
                .map(Info::of);
    }

    /** Removes one of the caller's passkeys: 404 when unknown, 409 when it is the account's last way in. */
    public Mono<Void> remove(Principal caller, String id) {
        return store.remove(caller.username(), id).flatMap(outcome -> switch (outcome) {
            case REMOVED -> Mono.<Void>empty();
            case NOT_FOUND -> Mono.error(OciError.NOT_FOUND.exception("no such passkey: " + id));
            case LAST_WAY_IN -> Mono.error(OciError.DENIED.exception(409,
                    "the last way to sign in: this is the account's only passkey and it has no password; add another passkey first"));
        });
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
        if (flow == null || flow.isEmpty() || flow.length() > 32) {
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
        for (PublicKeyCredentialParameters p : ALGORITHMS) {
            params.add(Map.of("type", "public-key", "alg", p.getAlg().getValue()));
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

    private Passkey verifyRegistration(Challenge c, String json, Set<String> origins, String label) {
        checkSize(json, false);
        RegistrationData data;
        try {
            data = manager.verifyRegistrationResponseJSON(json, new RegistrationParameters(
                    server(origins, c.challenge()), ALGORITHMS, true, true));
        } catch (RuntimeException e) {
            throw notRegistered(reason(e));
        }
        AuthenticatorData<RegistrationExtensionAuthenticatorOutput> ad = data.getAttestationObject().getAuthenticatorData();
        AttestedCredentialData acd = ad.getAttestedCredentialData();
        if (acd == null) {
            throw notRegistered("no attested credential data");
        }
        String transportList = data.getTransports() == null || data.getTransports().isEmpty() ? null
                : String.join(",", new java.util.TreeSet<>(transports.convertSetToStringSet(data.getTransports())));
        return new Passkey(base64Url(acd.getCredentialId()), c.username(), label, credentialData.convert(acd),
                ad.getSignCount(), ad.isFlagUV(), ad.isFlagBE(), ad.isFlagBS(), transportList, now(), null);
    }

    private AuthenticationData verifyAssertion(Challenge c, Passkey p, String json, Set<String> origins) {
        checkSize(json, true);
        try {
            CredentialRecordImpl record = new CredentialRecordImpl(new NoneAttestationStatement(), p.uvInitialized(),
                    p.backupEligible(), p.backedUp(), p.signCount(), credentialData.convert(p.credentialData()),
                    null, null, null, p.transports() == null ? null
                    : transports.convertSet(Set.of(p.transports().split(","))));
            return manager.verifyAuthenticationResponseJSON(json, new AuthenticationParameters(
                    server(origins, c.challenge()), record, null, true, true));
        } catch (RuntimeException e) {
            throw new Rejected(reason(e));
        }
    }

    private ServerProperty server(Set<String> origins, String challenge) {
        return ServerProperty.builder()
                .origins(origins.stream().map(Origin::create).collect(Collectors.toSet()))
                .rpId(rpId)
                .challenge(new DefaultChallenge(Base64.getUrlDecoder().decode(challenge)))
                .build();
    }

    /** The credential id the browser's answer names (its {@code id}), to find the stored passkey. */
    private String credentialId(String json) {
        checkSize(json, true);
        JsonNode node = converter.getJsonMapper().readTree(json);
        JsonNode id = node == null ? null : node.get("id");
        if (id == null || !id.isString() || id.asString().isEmpty() || id.asString().length() > 1400) {
            throw new IllegalArgumentException("no credential id");
        }
        return id.asString();
    }

    private static void checkSize(String json, boolean signIn) {
        if (json == null || json.length() > MAX_CREDENTIAL_JSON) {
            throw signIn ? new Rejected("malformed credential") : notRegistered("credential missing or too large");
        }
    }

    /** Why webauthn4j refused: its exception's class, which names the check (BadOriginException, …). */
    private static String reason(RuntimeException e) {
        String name = e.getClass().getSimpleName();
        return switch (name) {
            case "BadOriginException" -> "wrong origin";
            case "BadChallengeException" -> "wrong challenge";
            case "MaliciousCounterValueException" -> "signature counter went back (a cloned authenticator?)";
            case "UserNotVerifiedException" -> "user verification missing";
            case "UserNotPresentException" -> "user presence missing";
            case "BadSignatureException" -> "bad signature";
            case "BadRpIdException" -> "wrong relying party id";
            case "BadBackupEligibleFlagException" -> "backup eligibility changed";
            case "IllegalBackupStateException" -> "illegal backup state";
            case "NotAllowedAlgorithmException" -> "algorithm not allowed";
            default -> e instanceof IllegalArgumentException || name.contains("DataConversion")
                    ? "malformed credential" : name;
        };
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
        return Mono.zip(accounts.find(username).hasElement(), repositories.namespaceInUse(username))
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

    /** A failed check inside verification, turned into the 401 by the caller. */
    private static final class Rejected extends RuntimeException {
        Rejected(String why) {
            super(why, null, false, false);
        }
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    private static String random(int bytes) {
        return base64Url(Randomness.bytes(bytes));
    }

    private static String base64Url(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}

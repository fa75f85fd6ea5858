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
import com.webauthn4j.server.ServerProperty;
import io.openregistry.metadata.PasskeyStore.Passkey;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;

/**
 * The WebAuthn checks, on webauthn4j 0.32: the only class that knows the library (and the
 * Jackson 3 it brings; ArchitectureTest keeps it so). It takes the browser's JSON as text and the
 * stored passkey as our record, and answers our records, or throws {@link Refused} naming the
 * check that failed. Attestation "none" (the non-strict manager), user verification and presence
 * required; the counter, backup-eligible flag, origin, rpId and challenge checks are webauthn4j's.
 * Thread-safe; made once (it takes about half a second: {@code Passkeys} makes it on first use).
 */
final class WebAuthn {
    /** COSE ids of the accepted key algorithms, in the order offered: ES256, EdDSA, RS256. */
    static final List<Long> ALGORITHM_IDS = List.of(-7L, -8L, -257L);
    static final int MAX_CREDENTIAL_JSON = 32 * 1024;

    private final List<PublicKeyCredentialParameters> algorithms = ALGORITHM_IDS.stream()
            .map(id -> new PublicKeyCredentialParameters(PublicKeyCredentialType.PUBLIC_KEY,
                    COSEAlgorithmIdentifier.create(id)))
            .toList();
    private final ObjectConverter converter = new ObjectConverter();
    private final WebAuthnManager manager = WebAuthnManager.createNonStrictWebAuthnManager(converter);
    private final AttestedCredentialDataConverter credentialData = new AttestedCredentialDataConverter(converter);
    private final AuthenticatorTransportConverter transports = new AuthenticatorTransportConverter();
    private final String rpId;

    /** A check failed; the message says which (for the error's text and the log, never an account). */
    static final class Refused extends RuntimeException {
        Refused(String why) {
            super(why, null, false, false);
        }
    }

    /**
     * A verified new credential.
     *
     * @param credentialId   base64url
     * @param credentialData the attested credential data to store (AAGUID, id, COSE key)
     * @param transports     comma-separated, or null
     */
    record Registration(String credentialId, byte[] credentialData, long signCount, boolean userVerified,
                        boolean backupEligible, boolean backedUp, String transports) {}

    /**
     * A verified assertion.
     *
     * @param userHandle base64url, or null when the authenticator sent none
     */
    record Assertion(String userHandle, long signCount, boolean backedUp) {}

    WebAuthn(String rpId) {
        this.rpId = rpId;
    }

    /** Verifies a registration ({@code credential.toJSON()}) against its challenge (base64url). */
    Registration register(String json, Set<String> origins, String challenge) {
        checkSize(json);
        RegistrationData data;
        try {
            data = manager.verifyRegistrationResponseJSON(json, new RegistrationParameters(
                    server(origins, challenge), algorithms, true, true));
        } catch (RuntimeException failure) {
            throw new Refused(reason(failure));
        }
        AuthenticatorData<?> ad = data.getAttestationObject().getAuthenticatorData();
        AttestedCredentialData acd = ad.getAttestedCredentialData();
        if (acd == null) {
            throw new Refused("no attested credential data");
        }
        String transportList = data.getTransports() == null || data.getTransports().isEmpty() ? null
                : String.join(",", new TreeSet<>(transports.convertSetToStringSet(data.getTransports())));
        return new Registration(base64Url(acd.getCredentialId()), credentialData.convert(acd), ad.getSignCount(),
                ad.isFlagUV(), ad.isFlagBE(), ad.isFlagBS(), transportList);
    }

    /** Verifies an assertion ({@code credential.toJSON()}) by the stored passkey against its challenge. */
    Assertion authenticate(String json, Set<String> origins, String challenge, Passkey p) {
        checkSize(json);
        AuthenticationData data;
        try {
            CredentialRecordImpl record = new CredentialRecordImpl(new NoneAttestationStatement(), p.uvInitialized(),
                    p.backupEligible(), p.backedUp(), p.signCount(), credentialData.convert(p.credentialData()),
                    null, null, null, p.transports() == null ? null
                    : transports.convertSet(Set.of(p.transports().split(","))));
            data = manager.verifyAuthenticationResponseJSON(json, new AuthenticationParameters(
                    server(origins, challenge), record, null, true, true));
        } catch (RuntimeException failure) {
            throw new Refused(reason(failure));
        }
        AuthenticatorData<?> ad = data.getAuthenticatorData();
        return new Assertion(data.getUserHandle() == null ? null : base64Url(data.getUserHandle()), ad.getSignCount(),
                ad.isFlagBS());
    }

    /** The credential id the browser's answer names (its {@code id}), to find the stored passkey. */
    String credentialId(String json) {
        checkSize(json);
        JsonNode id;
        try {
            JsonNode node = converter.getJsonMapper().readTree(json);
            id = node == null ? null : node.get("id");
        } catch (RuntimeException e) {
            throw new Refused("malformed credential");
        }
        // a credential id is base64url: anything else (a NUL, which PostgreSQL refuses in text,
        // included) names no stored passkey
        if (id == null || !id.isString() || id.asString().length() > 1400 || !Passkeys.isBase64Url(id.asString())) {
            throw new Refused("malformed credential");
        }
        return id.asString();
    }

    private ServerProperty server(Set<String> origins, String challenge) {
        return ServerProperty.builder()
                .origins(origins.stream().map(Origin::create).collect(Collectors.toSet()))
                .rpId(rpId)
                .challenge(new DefaultChallenge(Base64.getUrlDecoder().decode(challenge)))
                .build();
    }

    private static void checkSize(String json) {
        if (json == null || json.length() > MAX_CREDENTIAL_JSON) {
            throw new Refused("credential missing or too large");
        }
    }

    /** Why webauthn4j refused: its exception's class names the check (BadOriginException, …). */
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
            // another check of the library names itself; anything else is input it could not read
            default -> e.getClass().getName().startsWith("com.webauthn4j.verifier.exception.") ? name
                    : "malformed credential";
        };
    }

    static String base64Url(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}

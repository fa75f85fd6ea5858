package io.openregistry.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A software passkey for tests, written from the WebAuthn spec without the server's library: an
 * EC P-256 key (ES256), attestation "none", and the JSON a browser's {@code credential.toJSON()}
 * gives. Every knob a negative test needs is a field: the origin the "browser" writes into the
 * client data, the flags (UV, BE, BS), the signature counter. Public for the packaged jar's test
 * ({@code it.ShadedJarIT}).
 */
public final class SoftAuthenticator {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private final KeyPair keys;
    final byte[] credentialId;
    byte[] userHandle;
    String origin;
    long signCount;
    boolean userVerified = true;
    boolean backupEligible;
    boolean backedUp;

    public SoftAuthenticator(String origin) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            this.keys = generator.generateKeyPair();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        this.credentialId = new byte[32];
        RANDOM.nextBytes(credentialId);
        this.origin = origin;
    }

    public String id() {
        return b64(credentialId);
    }

    /** {@code navigator.credentials.create({publicKey})} then {@code toJSON()}: a RegistrationResponseJSON. */
    public ObjectNode create(JsonNode publicKey) {
        String rpId = publicKey.path("rp").path("id").asText();
        userHandle = Base64.getUrlDecoder().decode(publicKey.path("user").path("id").asText());
        byte[] clientData = clientData("webauthn.create", publicKey.path("challenge").asText());
        ByteArrayOutputStream authData = new ByteArrayOutputStream();
        authData.writeBytes(sha256(rpId.getBytes(StandardCharsets.UTF_8)));
        authData.write(flags() | 0x40); // AT: attested credential data follows
        authData.writeBytes(ByteBuffer.allocate(4).putInt((int) signCount).array());
        authData.writeBytes(new byte[16]); // AAGUID: none
        authData.write(credentialId.length >> 8);
        authData.write(credentialId.length & 0xff);
        authData.writeBytes(credentialId);
        authData.writeBytes(coseKey());
        Map<Object, Object> attestation = new LinkedHashMap<>();
        attestation.put("fmt", "none");
        attestation.put("attStmt", Map.of());
        attestation.put("authData", authData.toByteArray());
        ObjectNode out = credential(clientData);
        ObjectNode response = (ObjectNode) out.get("response");
        response.put("attestationObject", b64(Cbor.encode(attestation)));
        response.putArray("transports").add("internal");
        out.putObject("clientExtensionResults");
        return out;
    }

    /** {@code navigator.credentials.get({publicKey})} then {@code toJSON()}: an AuthenticationResponseJSON. */
    public ObjectNode get(JsonNode publicKey) {
        if (counting) {
            signCount++;
        }
        return assertion(publicKey.path("rpId").asText(), publicKey.path("challenge").asText());
    }

    /** Whether get() increases the counter (a synced passkey always sends 0). */
    boolean counting = true;

    /** An assertion with the counter as it is now. */
    ObjectNode assertion(String rpId, String challenge) {
        byte[] clientData = clientData("webauthn.get", challenge);
        ByteArrayOutputStream authData = new ByteArrayOutputStream();
        authData.writeBytes(sha256(rpId.getBytes(StandardCharsets.UTF_8)));
        authData.write(flags());
        authData.writeBytes(ByteBuffer.allocate(4).putInt((int) signCount).array());
        byte[] data = authData.toByteArray();
        byte[] signature;
        try {
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(keys.getPrivate());
            signer.update(data);
            signer.update(sha256(clientData));
            signature = signer.sign();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        ObjectNode out = credential(clientData);
        ObjectNode response = (ObjectNode) out.get("response");
        response.put("authenticatorData", b64(data));
        response.put("signature", b64(signature));
        response.put("userHandle", b64(userHandle));
        out.putObject("clientExtensionResults");
        return out;
    }

    private int flags() {
        return 0x01 | (userVerified ? 0x04 : 0) | (backupEligible ? 0x08 : 0) | (backedUp ? 0x10 : 0);
    }

    private byte[] clientData(String type, String challenge) {
        ObjectNode node = JSON.createObjectNode();
        node.put("type", type);
        node.put("challenge", challenge);
        node.put("origin", origin);
        node.put("crossOrigin", false);
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The COSE_Key of the public key: kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y. */
    private byte[] coseKey() {
        ECPublicKey pub = (ECPublicKey) keys.getPublic();
        Map<Object, Object> key = new LinkedHashMap<>();
        key.put(1, 2);
        key.put(3, -7);
        key.put(-1, 1);
        key.put(-2, fixed(pub.getW().getAffineX()));
        key.put(-3, fixed(pub.getW().getAffineY()));
        return Cbor.encode(key);
    }

    private static byte[] fixed(BigInteger n) {
        byte[] raw = n.toByteArray();
        byte[] out = new byte[32];
        int copy = Math.min(32, raw.length);
        System.arraycopy(raw, raw.length - copy, out, 32 - copy, copy);
        return out;
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The few CBOR items WebAuthn needs (RFC 8949): integers, byte and text strings, maps. */
    static final class Cbor {
        private Cbor() {
        }

        static byte[] encode(Object item) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            write(out, item);
            return out.toByteArray();
        }

        private static void write(ByteArrayOutputStream out, Object item) {
            if (item instanceof Integer i) {
                if (i >= 0) {
                    head(out, 0, i);
                } else {
                    head(out, 1, -1L - i);
                }
            } else if (item instanceof byte[] b) {
                head(out, 2, b.length);
                out.writeBytes(b);
            } else if (item instanceof String s) {
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                head(out, 3, b.length);
                out.writeBytes(b);
            } else if (item instanceof Map<?, ?> m) {
                head(out, 5, m.size());
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    write(out, e.getKey());
                    write(out, e.getValue());
                }
            } else {
                throw new IllegalArgumentException("no CBOR for " + item);
            }
        }

        private static void head(ByteArrayOutputStream out, int major, long n) {
            if (n < 24) {
                out.write(major << 5 | (int) n);
            } else if (n < 256) {
                out.write(major << 5 | 24);
                out.write((int) n);
            } else if (n < 65536) {
                out.write(major << 5 | 25);
                out.write((int) (n >> 8));
                out.write((int) n & 0xff);
            } else {
                out.write(major << 5 | 26);
                out.writeBytes(ByteBuffer.allocate(4).putInt((int) n).array());
            }
        }
    }

    /** The parts of a PublicKeyCredential's toJSON() both ceremonies share, with its clientDataJSON. */
    private ObjectNode credential(byte[] clientData) {
        ObjectNode out = JSON.createObjectNode();
        out.put("id", id());
        out.put("rawId", id());
        out.put("type", "public-key");
        out.put("authenticatorAttachment", "platform");
        out.putObject("response").put("clientDataJSON", b64(clientData));
        return out;
    }
}

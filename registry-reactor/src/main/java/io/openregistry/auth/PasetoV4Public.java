package io.openregistry.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * PASETO version 4, purpose {@code public}: Ed25519 signatures over the pre-authentication
 * encoding (PAE) of header, message, footer and implicit assertion, as the PASETO v4 specification
 * defines them. Stateless and thread-safe.
 *
 * <p>Tokens are {@code v4.public.} + base64url(message || signature), followed by
 * {@code .} + base64url(footer) only when the footer is non-empty; base64url is unpadded. Decoding
 * is strict (no padding, no characters outside the url alphabet, canonical trailing bits) so that
 * each token has exactly one spelling.
 */
final class PasetoV4Public {
    static final String HEADER = "v4.public.";
    static final int SIGNATURE_BYTES = 64;
    static final byte[] EMPTY = new byte[0];

    private static final byte[] HEADER_BYTES = HEADER.getBytes(StandardCharsets.US_ASCII);
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    /** Unpadded base64url, as PASETO spells every segment. */
    static String base64Url(byte[] bytes) {
        return ENCODER.encodeToString(bytes);
    }
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    /** A verified token: the signed message and the (authenticated) footer. */
    record Verified(byte[] message, byte[] footer) {}

    private PasetoV4Public() {}

    /** Signs {@code message}; Ed25519 is deterministic, so equal inputs give equal tokens. */
    static String sign(Ed25519PrivateKeyParameters key, byte[] message, byte[] footer, byte[] implicit) {
        byte[] preAuth = pae(HEADER_BYTES, message, footer, implicit);
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, key);
        signer.update(preAuth, 0, preAuth.length);
        byte[] signature = signer.generateSignature();

        byte[] body = Arrays.copyOf(message, message.length + SIGNATURE_BYTES);
        System.arraycopy(signature, 0, body, message.length, SIGNATURE_BYTES);
        StringBuilder token = new StringBuilder(HEADER).append(ENCODER.encodeToString(body));
        if (footer.length > 0) {
            token.append('.').append(ENCODER.encodeToString(footer));
        }
        return token.toString();
    }

    /**
     * Verifies {@code token} with {@code key}.
     *
     * @param expectedFooter the footer the caller requires (compared in constant time), or
     *     {@code null} to accept whatever footer the token carries (it is still authenticated)
     * @param implicit the implicit assertion; must equal the one used when signing
     * @throws InvalidTokenException for a wrong header, bad encoding, a token too short to hold a
     *     signature, a footer other than the expected one, or a signature that does not verify
     */
    static Verified verify(Ed25519PublicKeyParameters key, String token, byte[] expectedFooter, byte[] implicit) {
        if (token == null || !token.startsWith(HEADER)) {
            throw new InvalidTokenException("not a v4.public token");
        }
        int dot = token.indexOf('.', HEADER.length());
        byte[] footer = dot < 0 ? EMPTY : decode(token.substring(dot + 1));
        if (dot >= 0 && footer.length == 0) {
            // an empty footer is encoded by omitting the dot; a trailing dot is a second spelling
            throw new InvalidTokenException("empty footer segment");
        }
        if (expectedFooter != null && !MessageDigest.isEqual(footer, expectedFooter)) {
            throw new InvalidTokenException("footer mismatch");
        }
        byte[] body = decode(dot < 0 ? token.substring(HEADER.length()) : token.substring(HEADER.length(), dot));
        if (body.length < SIGNATURE_BYTES) {
            throw new InvalidTokenException("token too short");
        }
        int messageLength = body.length - SIGNATURE_BYTES;
        byte[] message = Arrays.copyOf(body, messageLength);
        byte[] signature = Arrays.copyOfRange(body, messageLength, body.length);

        byte[] preAuth = pae(HEADER_BYTES, message, footer, implicit);
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, key);
        verifier.update(preAuth, 0, preAuth.length);
        if (!verifier.verifySignature(signature)) {
            throw new InvalidTokenException("bad signature");
        }
        return new Verified(message, footer);
    }

    /**
     * The footer of a v4.public token, decoded but NOT authenticated: only for choosing the key
     * (by key id) before {@link #verify}; never trust anything else in it.
     */
    static byte[] untrustedFooter(String token) {
        if (token == null || !token.startsWith(HEADER)) {
            throw new InvalidTokenException("not a v4.public token");
        }
        int dot = token.indexOf('.', HEADER.length());
        return dot < 0 ? EMPTY : decode(token.substring(dot + 1));
    }

    /**
     * Pre-authentication encoding: the piece count, then each piece prefixed by its length, all
     * as 64-bit little-endian integers with the top bit cleared. It makes the concatenation
     * unambiguous, so no two (message, footer, assertion) triples sign the same bytes.
     */
    static byte[] pae(byte[]... pieces) {
        int size = 8;
        for (byte[] piece : pieces) {
            size = Math.addExact(size, 8 + piece.length);
        }
        byte[] out = new byte[size];
        int at = le64(out, 0, pieces.length);
        for (byte[] piece : pieces) {
            at = le64(out, at, piece.length);
            System.arraycopy(piece, 0, out, at, piece.length);
            at += piece.length;
        }
        return out;
    }

    private static int le64(byte[] out, int at, long value) {
        long v = value & Long.MAX_VALUE; // the spec clears the most significant bit
        for (int i = 0; i < 8; i++) {
            out[at + i] = (byte) (v >>> (8 * i));
        }
        return at + 8;
    }

    private static byte[] decode(String text) {
        if (text.indexOf('=') >= 0) {
            throw new InvalidTokenException("padded base64");
        }
        byte[] bytes;
        try {
            bytes = DECODER.decode(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidTokenException("bad base64");
        }
        // the JDK decoder ignores non-zero unused trailing bits; re-encoding exposes them
        if (!ENCODER.encodeToString(bytes).equals(text)) {
            throw new InvalidTokenException("non-canonical base64");
        }
        return bytes;
    }
}

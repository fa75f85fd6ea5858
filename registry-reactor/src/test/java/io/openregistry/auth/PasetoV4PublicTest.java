package io.openregistry.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.junit.jupiter.api.Test;

/** The rejections the PASETO layer must make on its own, beyond the official vectors. */
class PasetoV4PublicTest {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final Ed25519PrivateKeyParameters secret = new Ed25519PrivateKeyParameters(new SecureRandom());
    private final Ed25519PublicKeyParameters key = secret.generatePublicKey();
    private final byte[] message = bytes("{\"data\":\"hello\"}");
    private final byte[] footer = bytes("{\"kid\":\"k1\"}");
    private final byte[] none = PasetoV4Public.EMPTY;

    @Test
    void roundTripWithAndWithoutFooter() {
        String withFooter = PasetoV4Public.sign(secret, message, footer, none);
        String without = PasetoV4Public.sign(secret, message, none, none);
        assertThat(withFooter).startsWith("v4.public.").contains(".").doesNotContain("=");
        assertThat(without.chars().filter(c -> c == '.').count()).isEqualTo(2);
        assertThat(PasetoV4Public.verify(key, withFooter, footer, none).message()).isEqualTo(message);
        assertThat(PasetoV4Public.verify(key, without, none, none).message()).isEqualTo(message);
        assertThat(PasetoV4Public.untrustedFooter(withFooter)).isEqualTo(footer);
    }

    @Test
    void paeMatchesTheSpecExamples() {
        assertThat(PasetoV4Public.pae()).isEqualTo(new byte[8]);
        assertThat(PasetoV4Public.pae(new byte[0])).isEqualTo(new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        byte[] test = PasetoV4Public.pae(bytes("test"));
        assertThat(test).hasSize(20);
        assertThat(test[0]).isEqualTo((byte) 1);
        assertThat(test[8]).isEqualTo((byte) 4);
    }

    @Test
    void rejectsWrongHeaderVersionOrPurpose() {
        String token = PasetoV4Public.sign(secret, message, footer, none);
        String rest = token.substring("v4.public.".length());
        for (String header : new String[] {"v3.public.", "v4.local.", "V4.PUBLIC.", "v4.public", "", "v4public."}) {
            assertRejected(header + rest, footer, "not a v4.public token");
        }
        assertRejected(null, footer, "not a v4.public token");
    }

    @Test
    void rejectsBadBase64() {
        String token = PasetoV4Public.sign(secret, message, none, none);
        assertRejected(token.replace('-', '+').replace('_', '/') + "+", none, "bad base64");
        assertRejected(token + "=", none, "padded base64");
        assertRejected(token + "!", none, "bad base64");
        // 86 characters encode 64 bytes with 4 spare bits; setting one makes a second spelling
        String bare = B64.encodeToString(new byte[64]);
        assertRejected("v4.public." + bare.substring(0, bare.length() - 1) + "B", none, "non-canonical base64");
    }

    @Test
    void rejectsShortTokens() {
        assertRejected("v4.public.", none, "token too short");
        assertRejected("v4.public." + B64.encodeToString(new byte[63]), none, "token too short");
    }

    @Test
    void rejectsBadSignatureAndTampering() {
        String token = PasetoV4Public.sign(secret, message, footer, none);
        int dot = token.lastIndexOf('.');
        byte[] body = Base64.getUrlDecoder().decode(token.substring("v4.public.".length(), dot));
        for (int at : new int[] {0, body.length - 1, body.length - 64}) {
            byte[] flipped = body.clone();
            flipped[at] ^= 1;
            assertRejected("v4.public." + B64.encodeToString(flipped) + token.substring(dot), footer, "bad signature");
        }
        byte[] otherFooter = bytes("{\"kid\":\"k2\"}");
        String swapped = token.substring(0, dot + 1) + B64.encodeToString(otherFooter);
        assertRejected(swapped, otherFooter, "bad signature");
        assertRejected(token, footer, "bad signature",
                new Ed25519PrivateKeyParameters(new SecureRandom()).generatePublicKey());
    }

    @Test
    void rejectsFooterOtherThanExpected() {
        String token = PasetoV4Public.sign(secret, message, footer, none);
        assertRejected(token, bytes("{\"kid\":\"k2\"}"), "footer mismatch");
        assertRejected(token, none, "footer mismatch");
        String noFooter = PasetoV4Public.sign(secret, message, none, none);
        assertRejected(noFooter, footer, "footer mismatch");
        assertRejected(noFooter + ".", null, "empty footer segment");
    }

    @Test
    void implicitAssertionMustMatch() {
        byte[] implicit = bytes("{\"user\":\"alice\"}");
        String token = PasetoV4Public.sign(secret, message, footer, implicit);
        assertThat(PasetoV4Public.verify(key, token, footer, implicit).message()).isEqualTo(message);
        assertThatThrownBy(() -> PasetoV4Public.verify(key, token, footer, none))
                .isInstanceOf(InvalidTokenException.class).hasMessage("bad signature");
    }

    private void assertRejected(String token, byte[] expectedFooter, String reason) {
        assertRejected(token, expectedFooter, reason, key);
    }

    private static void assertRejected(String token, byte[] expectedFooter, String reason, Ed25519PublicKeyParameters with) {
        var thrown = assertThatThrownBy(() -> PasetoV4Public.verify(with, token, expectedFooter, PasetoV4Public.EMPTY))
                .isInstanceOf(InvalidTokenException.class);
        if (reason != null) {
            thrown.hasMessage(reason);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

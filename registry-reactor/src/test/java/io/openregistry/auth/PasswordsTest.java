package io.openregistry.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.junit.jupiter.api.Test;

class PasswordsTest {

    @Test
    void hashIsArgon2idInPhcFormatWithAFreshSalt() {
        String a = Passwords.hash("correct horse battery");
        String b = Passwords.hash("correct horse battery");
        assertThat(a).startsWith("$argon2id$v=19$m=19456,t=2,p=1$").isNotEqualTo(b);
        assertThat(Passwords.verify("correct horse battery", a)).isTrue();
        assertThat(Passwords.verify("correct horse battery", b)).isTrue();
        assertThat(Passwords.verify("correct horse batterY", a)).isFalse();
        assertThat(Passwords.verify("", a)).isFalse();
    }

    /** The hash is the RFC 9106 Argon2id of the password and salt it names: checked with BouncyCastle directly. */
    @Test
    void hashIsTheArgon2idOfPasswordAndSalt() {
        String phc = Passwords.hash("pässwörd");
        String[] parts = phc.split("\\$");
        byte[] salt = java.util.Base64.getDecoder().decode(parts[4]);
        byte[] expected = new byte[32];
        Argon2BytesGenerator g = new Argon2BytesGenerator();
        g.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id).withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(19456).withIterations(2).withParallelism(1).withSalt(salt).build());
        g.generateBytes("pässwörd".getBytes(java.nio.charset.StandardCharsets.UTF_8), expected);
        assertThat(java.util.Base64.getDecoder().decode(parts[5])).isEqualTo(expected);
    }

    /** A lone surrogate used to be encoded as '?': then "pw\uD800" and "pw\uDBFF" and "pw?" were one password. */
    @Test
    void invalidUnicodeIsNeverHashedNorMatched() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Passwords.hash("long-password-\uD800"))
                .isInstanceOf(IllegalArgumentException.class);
        String question = Passwords.hash("long-password-?");
        assertThat(Passwords.verify("long-password-?", question)).isTrue();
        assertThat(Passwords.verify("long-password-\uD800", question)).isFalse();
        assertThat(Passwords.verify("long-password-\uDC00", question)).isFalse();
        // a proper pair is fine
        String pair = Passwords.hash("long-password-\uD83D\uDE00");
        assertThat(Passwords.verify("long-password-\uD83D\uDE00", pair)).isTrue();
        assertThat(Passwords.verify("long-password-\uD83D", pair)).isFalse();
    }

    @Test
    void strictTextConversions() {
        assertThat(Text.isValidUnicode("ok \uD83D\uDE00")).isTrue();
        assertThat(Text.isValidUnicode("\uDE00\uD83D")).isFalse();
        assertThat(Text.isValidUnicode("\uD83D")).isFalse();
        assertThat(Text.decodeUtf8(new byte[] {'a', (byte) 0xff})).isNull();
        assertThat(Text.decodeUtf8(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80})).isNull(); // an encoded surrogate
        assertThat(Text.decodeUtf8("pässwörd".getBytes(java.nio.charset.StandardCharsets.UTF_8))).isEqualTo("pässwörd");
        assertThat(Text.utf8("pässwörd")).isEqualTo("pässwörd".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void otherCostParametersStillVerify() {
        // a hash made with cheaper parameters (as an older release might have) verifies by what it says
        byte[] salt = "0123456789abcdef".getBytes();
        byte[] out = new byte[32];
        Argon2BytesGenerator g = new Argon2BytesGenerator();
        g.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id).withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(64).withIterations(1).withParallelism(1).withSalt(salt).build());
        g.generateBytes("pw".getBytes(), out);
        java.util.Base64.Encoder b64 = java.util.Base64.getEncoder().withoutPadding();
        String phc = "$argon2id$v=19$m=64,t=1,p=1$" + b64.encodeToString(salt) + "$" + b64.encodeToString(out);
        assertThat(Passwords.verify("pw", phc)).isTrue();
        assertThat(Passwords.verify("pw2", phc)).isFalse();
    }

    @Test
    void malformedOrMissingHashesNeverVerify() {
        String good = Passwords.hash("secret-password");
        assertThat(Passwords.verify("secret-password", null)).isFalse();
        assertThat(Passwords.verify("secret-password", "plain")).isFalse();
        assertThat(Passwords.verify("secret-password", good.replace("argon2id", "argon2i"))).isFalse();
        assertThat(Passwords.verify("secret-password", good.replace("m=19456", "m=999999999"))).isFalse();
        assertThat(Passwords.verify(null, good)).isFalse();
        assertThat(Passwords.verify("x".repeat(Passwords.MAX_LENGTH + 1), good)).isFalse();
    }
}

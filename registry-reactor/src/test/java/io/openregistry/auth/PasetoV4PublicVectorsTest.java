package io.openregistry.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every v4.public entry of the official PASETO test vectors (src/test/resources/paseto, see the
 * README there): success vectors must sign byte-exactly and verify; expect-fail vectors must be
 * rejected.
 */
class PasetoV4PublicVectorsTest {
    private static final HexFormat HEX = HexFormat.of();

    @TestFactory
    Stream<DynamicTest> officialVectors() throws Exception {
        List<JsonNode> vectors = vectors();
        assertThat(vectors).hasSize(7);
        return vectors.stream().map(v -> DynamicTest.dynamicTest(v.get("name").asText(), () -> {
            if (v.get("expect-fail").asBoolean()) {
                mustFail(v);
            } else {
                mustPass(v);
            }
        }));
    }

    @Test
    void vectorPemKeysDecodeToTheSameRawKeys() throws Exception {
        JsonNode v = vectors().get(0);
        var privateKey = (Ed25519PrivateKeyParameters) PrivateKeyFactory.createKey(pem(v.get("secret-key-pem").asText()));
        var publicKey = (Ed25519PublicKeyParameters) PublicKeyFactory.createKey(pem(v.get("public-key-pem").asText()));
        assertThat(HEX.formatHex(privateKey.getEncoded())).isEqualTo(v.get("secret-key-seed").asText());
        assertThat(HEX.formatHex(publicKey.getEncoded())).isEqualTo(v.get("public-key").asText());
    }

    private static void mustPass(JsonNode v) {
        // the secret key is seed || public key; Ed25519 signs with the seed
        byte[] secret = HEX.parseHex(v.get("secret-key").asText());
        var privateKey = new Ed25519PrivateKeyParameters(secret, 0);
        var publicKey = new Ed25519PublicKeyParameters(HEX.parseHex(v.get("public-key").asText()), 0);
        assertThat(privateKey.generatePublicKey().getEncoded()).isEqualTo(publicKey.getEncoded());

        byte[] payload = utf8(v.get("payload").asText());
        byte[] footer = utf8(v.get("footer").asText());
        byte[] implicit = utf8(v.get("implicit-assertion").asText());
        String token = v.get("token").asText();

        assertThat(PasetoV4Public.sign(privateKey, payload, footer, implicit)).isEqualTo(token);
        PasetoV4Public.Verified verified = PasetoV4Public.verify(publicKey, token, footer, implicit);
        assertThat(verified.message()).isEqualTo(payload);
        assertThat(verified.footer()).isEqualTo(footer);
        // and with no footer expectation
        assertThat(PasetoV4Public.verify(publicKey, token, null, implicit).message()).isEqualTo(payload);
    }

    /**
     * The failure vectors mix up versions and purposes. A vector may give only a symmetric
     * {@code key} (meant for v4.local); this verifier can only take an Ed25519 public key, so it
     * tries both the vector's public key, when given, and the symmetric key's bytes read as one.
     */
    private static void mustFail(JsonNode v) {
        byte[] footer = utf8(v.get("footer").asText());
        byte[] implicit = utf8(v.get("implicit-assertion").asText());
        String token = v.get("token").asText();
        List<String> keys = new ArrayList<>();
        if (v.hasNonNull("public-key")) {
            keys.add(v.get("public-key").asText());
        }
        if (v.hasNonNull("key")) {
            keys.add(v.get("key").asText());
        }
        assertThat(keys).isNotEmpty();
        for (String hex : keys) {
            assertThatThrownBy(() -> {
                var key = new Ed25519PublicKeyParameters(HEX.parseHex(hex), 0);
                PasetoV4Public.verify(key, token, footer, implicit);
            }).isInstanceOfAny(InvalidTokenException.class, IllegalArgumentException.class);
            assertThatThrownBy(() -> PasetoV4Public.verify(
                    new Ed25519PublicKeyParameters(HEX.parseHex(hex), 0), token, null, implicit))
                    .isInstanceOfAny(InvalidTokenException.class, IllegalArgumentException.class);
        }
    }

    private static List<JsonNode> vectors() throws Exception {
        try (InputStream in = PasetoV4PublicVectorsTest.class.getResourceAsStream("/paseto/v4-public.json")) {
            List<JsonNode> list = new ArrayList<>();
            new ObjectMapper().readTree(in).get("tests").forEach(list::add);
            return list;
        }
    }

    private static byte[] pem(String text) {
        String body = text.replaceAll("-----[A-Z ]+-----", "");
        return Base64.getMimeDecoder().decode(body);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

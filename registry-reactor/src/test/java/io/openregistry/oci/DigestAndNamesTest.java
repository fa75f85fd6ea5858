package io.openregistry.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DigestAndNamesTest {

    @Test
    void digestsParseOnlyInTheirExactForm() {
        String sha256 = "sha256:" + "a".repeat(64);
        assertThat(Digest.tryParse(sha256)).hasToString(sha256);
        assertThat(Digest.tryParse("sha512:" + "0".repeat(128)).algorithm()).isEqualTo(Digest.Algorithm.SHA512);
        assertThat(Digest.tryParse("sha256:" + "a".repeat(63))).isNull();
        assertThat(Digest.tryParse("sha256:" + "A".repeat(64))).isNull();
        assertThat(Digest.tryParse("sha512:" + "a".repeat(64))).isNull();
        assertThat(Digest.tryParse("md5:" + "a".repeat(32))).isNull();
        assertThat(Digest.tryParse("sha256" + "a".repeat(64))).isNull();
        assertThat(Digest.tryParse(null)).isNull();
        assertThatThrownBy(() -> Digest.parse("nope")).isInstanceOfSatisfying(OciException.class,
                e -> assertThat(e.code()).isEqualTo(OciError.DIGEST_INVALID));
    }

    @Test
    void digestOfKnownContent() {
        assertThat(Digest.sha256("".getBytes(StandardCharsets.UTF_8)))
                .hasToString("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    @Test
    void repositoryNameGrammar() {
        for (String ok : new String[] {"a", "library/ubuntu", "a.b_c__d-e--f/g9", "x/y/z/w", "0"}) {
            assertThat(Names.isValidName(ok)).as(ok).isTrue();
        }
        for (String bad : new String[] {"", "A", "a/", "/a", "a//b", "a..b", "a___b", "-a", "a-", "a b", "a/_b",
                "a".repeat(256)}) {
            assertThat(Names.isValidName(bad)).as(bad).isFalse();
        }
    }

    @Test
    void tagGrammar() {
        assertThat(Names.isValidTag("latest")).isTrue();
        assertThat(Names.isValidTag("_v1.0-RC")).isTrue();
        assertThat(Names.isValidTag("a".repeat(128))).isTrue();
        assertThat(Names.isValidTag("a".repeat(129))).isFalse();
        assertThat(Names.isValidTag(".hidden")).isFalse();
        assertThat(Names.isValidTag("-x")).isFalse();
        assertThat(Names.isValidTag("a:b")).isFalse();
    }

    @Test
    void referenceIsATagOrADigest() {
        assertThat(Reference.parse("v1").isDigest()).isFalse();
        assertThat(Reference.parse("sha256:" + "b".repeat(64)).isDigest()).isTrue();
        assertThatThrownBy(() -> Reference.parse("sha256:zz")).isInstanceOfSatisfying(OciException.class,
                e -> assertThat(e.code()).isEqualTo(OciError.DIGEST_INVALID));
        assertThatThrownBy(() -> Reference.parse("-bad")).isInstanceOfSatisfying(OciException.class,
                e -> assertThat(e.code()).isEqualTo(OciError.TAG_INVALID));
    }

    @Test
    void tryParseAnswersNullForWhatParseRefuses() {
        assertThat(Reference.tryParse("v1")).isEqualTo(Reference.parse("v1"));
        String digest = "sha256:" + "b".repeat(64);
        assertThat(Reference.tryParse(digest)).isEqualTo(Reference.parse(digest));
        for (String bad : new String[] {null, "", ".INVALID_MANIFEST_NAME", "-bad", "sha256:zz", "a:b", "a".repeat(129)}) {
            assertThat(Reference.tryParse(bad)).as(bad).isNull();
        }
    }
}

package io.openregistry.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.openregistry.oci.Digest;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Export and restore of the JDK's SHA-256/SHA-512 state: a restored digest continues exactly like
 * the original at every split point (block edges included), and malformed states are refused.
 * The test JVM runs with the same add-opens as the jar's manifest.
 */
class DigestStatesTest {
    private static final byte[] DATA = new byte[3 * 128 * 1024 + 777];

    static {
        new SplittableRandom(12).nextBytes(DATA);
    }

    static Stream<Arguments> splits() {
        int[] points = {0, 1, 2, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 191, 192, 255, 256, 257,
                1000, 4095, 4096, 4097, 65_535, 65_536, 65_537, 128 * 1024, 128 * 1024 + 63, DATA.length - 1, DATA.length};
        return Stream.of(Digest.Algorithm.values())
                .flatMap(a -> IntStream.of(points).mapToObj(p -> Arguments.of(a, p)));
    }

    @Test
    void theJdkFieldsAreReachableInTheTestJvm() {
        assertThat(DigestStates.shared().unavailableReason()).isNull();
        assertThat(DigestStates.shared().available()).isTrue();
    }

    @ParameterizedTest
    @MethodSource("splits")
    void aRestoredDigestContinuesLikeTheOriginal(Digest.Algorithm algorithm, int split) {
        DigestStates states = DigestStates.shared();
        MessageDigest original = algorithm.newMessageDigest();
        // fed in uneven pieces, as request bodies arrive
        for (int i = 0; i < split; i += 1000) {
            original.update(DATA, i, Math.min(1000, split - i));
        }
        byte[] exported = states.export(original);
        int block = DigestStates.blockSize(algorithm);
        int base = 10 + 8 * (algorithm == Digest.Algorithm.SHA256 ? 4 : 8);
        assertThat(exported).as("state after %s bytes", split).isNotNull();
        if (split % block == 0 && split > 0) {
            // once JIT-compiled, the multi-block intrinsic may leave the last whole block buffered
            assertThat(exported.length).isIn(base, base + block);
        } else {
            assertThat(exported).hasSize(base + split % block);
        }

        MessageDigest restored = states.restore(exported, split);
        restored.update(DATA, split, DATA.length - split);
        original.update(DATA, split, DATA.length - split);
        byte[] expected = algorithm.newMessageDigest().digest(DATA);
        assertThat(restored.digest()).isEqualTo(expected);
        assertThat(original.digest()).as("export leaves the original untouched").isEqualTo(expected);
    }

    @ParameterizedTest
    @EnumSource(Digest.Algorithm.class)
    void aRestoredStateExportsAgainIdentically(Digest.Algorithm algorithm) {
        MessageDigest md = algorithm.newMessageDigest();
        md.update(DATA, 0, 5000);
        byte[] exported = DigestStates.shared().export(md);
        assertThat(DigestStates.shared().export(DigestStates.shared().restore(exported, 5000))).isEqualTo(exported);
    }

    /**
     * The JDK may hold a whole unprocessed block (bufOfs == block size) after an update once its
     * intrinsic is compiled; a state of that shape, built here from the words after k-1 blocks and
     * block k as the tail, must continue correctly.
     */
    @ParameterizedTest
    @EnumSource(Digest.Algorithm.class)
    void aWholeBufferedBlockIsRestoredAndContinued(Digest.Algorithm algorithm) {
        int block = DigestStates.blockSize(algorithm);
        int k = 5;
        // one byte past k-1 blocks: all k-1 are compressed whatever the JIT did (the tail is 1 byte)
        MessageDigest before = algorithm.newMessageDigest();
        before.update(DATA, 0, (k - 1) * block + 1);
        byte[] words = DigestStates.shared().export(before);
        int base = 10 + 8 * (algorithm == Digest.Algorithm.SHA256 ? 4 : 8);
        assertThat(words).hasSize(base + 1);
        java.nio.ByteBuffer full = java.nio.ByteBuffer.allocate(base + block);
        full.put(words, 0, 2).putLong((long) k * block).put(words, 10, base - 10).put(DATA, (k - 1) * block, block);

        MessageDigest restored = DigestStates.shared().restore(full.array(), (long) k * block);
        assertThat(DigestStates.shared().export(restored)).isEqualTo(full.array());
        restored.update(DATA, k * block, 1000);
        assertThat(restored.digest()).isEqualTo(algorithm.newMessageDigest().digest(Arrays.copyOf(DATA, k * block + 1000)));
        // but a whole block is never the tail of a count that is not a multiple of the block
        byte[] wrongCount = full.array().clone();
        wrongCount[9] = (byte) (wrongCount[9] + 1);
        assertThatThrownBy(() -> DigestStates.shared().restore(wrongCount, (long) k * block + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * Many rounds, so that the JDK's update and its intrinsics get JIT-compiled (the compiled
     * SHA-512 path left a whole block buffered after ~240 rounds on JDK 17): every exported state
     * restores and continues correctly, whatever shape the compiled code left it in.
     */
    @ParameterizedTest
    @EnumSource(Digest.Algorithm.class)
    void exportsOfJitCompiledDigestsRestoreCorrectly(Digest.Algorithm algorithm) {
        int[] splits = {128, 256, 1024, 65_536, 65_537};
        byte[] expected = null;
        for (int round = 0; round < 1500; round++) {
            int split = splits[round % splits.length];
            MessageDigest md = algorithm.newMessageDigest();
            for (int i = 0; i < split; i += 1000) {
                md.update(DATA, i, Math.min(1000, split - i));
            }
            MessageDigest restored = DigestStates.shared().restore(DigestStates.shared().export(md), split);
            restored.update(DATA, split, 70_000 - split);
            if (expected == null) {
                expected = algorithm.newMessageDigest().digest(Arrays.copyOf(DATA, 70_000));
            }
            assertThat(restored.digest()).as("round %s, split %s", round, split).isEqualTo(expected);
        }
    }

    @Test
    void malformedStatesAreRefused() {
        DigestStates states = DigestStates.shared();
        MessageDigest md = Digest.Algorithm.SHA256.newMessageDigest();
        md.update(DATA, 0, 100);
        byte[] good = states.export(md);
        assertThat(states.restore(good, 100)).isNotNull();

        assertThatThrownBy(() -> states.restore(good, 99)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("covers 100 bytes");
        assertThatThrownBy(() -> states.restore(null, 100)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> states.restore(new byte[5], 100)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> states.restore(Arrays.copyOf(good, good.length - 1), 100))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> states.restore(Arrays.copyOf(good, good.length + 1), 100))
                .isInstanceOf(IllegalArgumentException.class);
        byte[] version = good.clone();
        version[0] = 2;
        assertThatThrownBy(() -> states.restore(version, 100)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("version");
        byte[] algorithm = good.clone();
        algorithm[1] = 9;
        assertThatThrownBy(() -> states.restore(algorithm, 100)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("algorithm");
        // a SHA-256 state relabelled as SHA-512 has the wrong length for it
        byte[] relabelled = good.clone();
        relabelled[1] = 2;
        assertThatThrownBy(() -> states.restore(relabelled, 100)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aFinishedDigestIsNeverExportedAsAWrongState() {
        MessageDigest md = Digest.Algorithm.SHA256.newMessageDigest();
        md.update(DATA, 0, 10);
        md.digest();
        // finished and reset: the state is that of zero bytes again
        byte[] exported = DigestStates.shared().export(md);
        if (exported != null) {
            MessageDigest restored = DigestStates.shared().restore(exported, 0);
            assertThat(restored.digest(DATA)).isEqualTo(Digest.Algorithm.SHA256.newMessageDigest().digest(DATA));
        }
    }

    @Test
    void anUnavailableInstanceNeitherExportsNorRestores() {
        DigestStates off = DigestStates.unavailable("test");
        assertThat(off.available()).isFalse();
        MessageDigest md = Digest.Algorithm.SHA256.newMessageDigest();
        md.update(DATA, 0, 10);
        assertThat(off.export(md)).isNull();
        byte[] exported = DigestStates.shared().export(md);
        assertThatThrownBy(() -> off.restore(exported, 10)).isInstanceOf(IllegalStateException.class);
    }
}

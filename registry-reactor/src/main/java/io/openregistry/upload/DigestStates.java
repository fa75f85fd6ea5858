package io.openregistry.upload;

import io.openregistry.oci.Digest;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exports and restores the running state of the JDK's own SHA-256 and SHA-512 digests, so that an
 * upload's hash can be carried from one request (replica, process) to the next without re-reading
 * the staged bytes.
 *
 * <p>Why the JDK's internals: its SHA-2 runs on the SHA-NI intrinsics (1.4–1.9 GB/s per core here,
 * against 0.2–0.3 GB/s for BouncyCastle, whose state is exportable through public API), and the
 * JDK offers no public way to export a digest's state. {@code MessageDigest.getInstance} wraps a
 * {@code sun.security.provider} SPI in the field {@code digestSpi}; that SPI keeps the chaining
 * words in {@code state} (int[8] or long[8]) and, on its superclass {@code DigestBase}, the
 * unprocessed tail in {@code buffer}/{@code bufOfs} and the length in {@code bytesProcessed}.
 * Reading them needs {@code --add-opens java.base/sun.security.provider} and
 * {@code java.base/java.security} (the runnable jar's manifest carries {@code Add-Opens}).
 *
 * <p>When the fields cannot be reached or do not behave as expected (no add-opens, another JDK),
 * the instance is <em>unavailable</em>: {@link #export} returns null, {@link #restore} refuses,
 * and the caller falls back to re-hashing the staged bytes. Availability is decided once, by a
 * self-test that exports mid-block, restores into a fresh digest and compares both final digests.
 *
 * <p>The format (big-endian): version byte {@value #VERSION}; algorithm byte (1 SHA-256, 2
 * SHA-512); the byte count hashed so far (8 bytes); the eight state words (4 or 8 bytes each);
 * the buffered tail, {@code count % blockSize} bytes — or one whole block when the count is a
 * multiple of the block size: the JDK's multi-block intrinsic may stop one block early and leave
 * the last full block buffered, to be compressed by the next update (seen on JDK 17 for SHA-512).
 * 42–106 bytes for SHA-256, 74–202 for SHA-512. Restoring checks every part of it.
 */
final class DigestStates {
    private static final Logger log = LoggerFactory.getLogger(DigestStates.class);
    static final byte VERSION = 1;
    private static final int HEADER = 1 + 1 + 8;
    private static final int WORDS = 8;

    private static final DigestStates SHARED = create();

    /** The fields of one algorithm's SPI class (SHA-256 and SHA-512 are different classes). */
    private record Fields(Field state, Field buffer, Field bufOfs, Field bytesProcessed) {
        static Fields of(Class<?> spi) throws NoSuchFieldException {
            return new Fields(field(spi, "state"), field(spi, "buffer"), field(spi, "bufOfs"), field(spi, "bytesProcessed"));
        }
    }

    private final Field digestSpi;
    private final Map<Digest.Algorithm, Fields> fields;
    /** Why the instance is unavailable, or null when it is available. */
    private final String unavailable;

    private DigestStates(Field digestSpi, Map<Digest.Algorithm, Fields> fields, String unavailable) {
        this.digestSpi = digestSpi;
        this.fields = fields;
        this.unavailable = unavailable;
    }

    /** The process-wide instance (the fields are looked up and self-tested once). */
    static DigestStates shared() {
        return SHARED;
    }

    /** An instance that never exports or restores: the fallback path, for tests. */
    static DigestStates unavailable(String why) {
        return new DigestStates(null, Map.of(), why);
    }

    /** Looks up the JDK's fields and self-tests them; unavailable (with the reason) on any failure. */
    static DigestStates create() {
        DigestStates candidate;
        try {
            Field spi = null;
            Map<Digest.Algorithm, Fields> byAlgorithm = new EnumMap<>(Digest.Algorithm.class);
            for (Digest.Algorithm algorithm : Digest.Algorithm.values()) {
                MessageDigest probe = algorithm.newMessageDigest();
                spi = field(probe.getClass(), "digestSpi");
                byAlgorithm.put(algorithm, Fields.of(spi.get(probe).getClass()));
            }
            candidate = new DigestStates(spi, byAlgorithm, null);
            for (Digest.Algorithm algorithm : Digest.Algorithm.values()) {
                candidate.selfTest(algorithm);
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            String why = e.toString();
            log.warn("upload hash state cannot be exported on this JVM ({}); a request that continues an upload"
                    + " another process started re-reads its staged bytes. Run the jar (its manifest has Add-Opens)"
                    + " or pass --add-opens java.base/sun.security.provider=ALL-UNNAMED"
                    + " --add-opens java.base/java.security=ALL-UNNAMED", why);
            return unavailable(why);
        }
        return candidate;
    }

    private static Field field(Class<?> type, String name) throws NoSuchFieldException {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField(name);
                f.setAccessible(true); // InaccessibleObjectException (a RuntimeException) without add-opens
                return f;
            } catch (NoSuchFieldException ignored) {
                // declared further up
            }
        }
        throw new NoSuchFieldException(type.getName() + "." + name);
    }

    /** Export mid-block, restore, continue both: the digests must agree, or the fields mean something else. */
    private void selfTest(Digest.Algorithm algorithm) {
        byte[] data = new byte[1000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31 + 7);
        }
        MessageDigest original = algorithm.newMessageDigest();
        original.update(data, 0, 333);
        MessageDigest restored = restore(export(original), 333);
        original.update(data, 333, data.length - 333);
        restored.update(data, 333, data.length - 333);
        if (!Arrays.equals(original.digest(), restored.digest())) {
            throw new IllegalStateException("restored " + algorithm + " digest differs from the original");
        }
    }

    boolean available() {
        return unavailable == null;
    }

    /** Why export/restore is off, or null. */
    String unavailableReason() {
        return unavailable;
    }

    /**
     * The state of {@code md} (a JDK SHA-256 or SHA-512 digest), or null when this instance is
     * unavailable or {@code md} is of another kind. {@code md} is not changed.
     */
    byte[] export(MessageDigest md) {
        if (unavailable != null) {
            return null;
        }
        Digest.Algorithm algorithm = algorithmOf(md.getAlgorithm());
        if (algorithm == null) {
            return null;
        }
        try {
            Object impl = digestSpi.get(md);
            Fields f = fields.get(algorithm);
            if (!f.state().getDeclaringClass().isInstance(impl)) {
                return null; // another provider's implementation
            }
            long count = f.bytesProcessed().getLong(impl);
            int tail = f.bufOfs().getInt(impl);
            int block = blockSize(algorithm);
            Object words = f.state().get(impl);
            if (count < 0 || !validTail(tail, count, block)) {
                return null; // digested and not reset, or a layout we do not understand
            }
            int wordSize = wordSize(algorithm);
            ByteBuffer out = ByteBuffer.allocate(HEADER + WORDS * wordSize + tail);
            out.put(VERSION).put(code(algorithm)).putLong(count);
            if (algorithm == Digest.Algorithm.SHA256) {
                int[] w = (int[]) words;
                for (int i = 0; i < WORDS; i++) {
                    out.putInt(w[i]);
                }
            } else {
                long[] w = (long[]) words;
                for (int i = 0; i < WORDS; i++) {
                    out.putLong(w[i]);
                }
            }
            out.put((byte[]) f.buffer().get(impl), 0, tail);
            return out.array();
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.debug("cannot export {} state: {}", md.getAlgorithm(), e.toString());
            return null;
        }
    }

    /**
     * A fresh JDK digest in the exported {@code exported} state, which must be the state after
     * exactly {@code offset} bytes.
     *
     * @throws IllegalArgumentException when the state is malformed, of another version or
     *                                  algorithm, or not at {@code offset}
     * @throws IllegalStateException    when this instance is unavailable
     */
    MessageDigest restore(byte[] exported, long offset) {
        if (unavailable != null) {
            throw new IllegalStateException("digest state restore unavailable: " + unavailable);
        }
        if (exported == null || exported.length < HEADER) {
            throw new IllegalArgumentException("digest state too short");
        }
        ByteBuffer in = ByteBuffer.wrap(exported);
        byte version = in.get();
        if (version != VERSION) {
            throw new IllegalArgumentException("digest state version " + version + ", expected " + VERSION);
        }
        Digest.Algorithm algorithm = byCode(in.get());
        long count = in.getLong();
        if (count != offset) {
            throw new IllegalArgumentException("digest state covers " + count + " bytes, the upload is at " + offset);
        }
        int block = blockSize(algorithm);
        int wordSize = wordSize(algorithm);
        int tail = exported.length - HEADER - WORDS * wordSize;
        if (!validTail(tail, count, block)) {
            throw new IllegalArgumentException("digest state of " + exported.length + " bytes, expected "
                    + (HEADER + WORDS * wordSize + count % block));
        }
        MessageDigest md = algorithm.newMessageDigest();
        try {
            Object impl = digestSpi.get(md);
            Fields f = fields.get(algorithm);
            if (algorithm == Digest.Algorithm.SHA256) {
                int[] w = (int[]) f.state().get(impl);
                for (int i = 0; i < WORDS; i++) {
                    w[i] = in.getInt();
                }
            } else {
                long[] w = (long[]) f.state().get(impl);
                for (int i = 0; i < WORDS; i++) {
                    w[i] = in.getLong();
                }
            }
            in.get((byte[]) f.buffer().get(impl), 0, tail);
            f.bufOfs().setInt(impl, tail);
            f.bytesProcessed().setLong(impl, count);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("digest state fields not accessible", e);
        }
        return md;
    }

    /** Whether {@code tail} buffered bytes fit {@code count} bytes hashed (see the class comment). */
    private static boolean validTail(int tail, long count, int block) {
        return tail == count % block || (tail == block && count >= block && count % block == 0);
    }

    /** The algorithm of a JDK digest name, or null for one this class does not handle. */
    static Digest.Algorithm algorithmOf(String jdkName) {
        return switch (jdkName) {
            case "SHA-256" -> Digest.Algorithm.SHA256;
            case "SHA-512" -> Digest.Algorithm.SHA512;
            default -> null;
        };
    }

    private static byte code(Digest.Algorithm algorithm) {
        return (byte) (algorithm == Digest.Algorithm.SHA256 ? 1 : 2);
    }

    private static Digest.Algorithm byCode(byte code) {
        return switch (code) {
            case 1 -> Digest.Algorithm.SHA256;
            case 2 -> Digest.Algorithm.SHA512;
            default -> throw new IllegalArgumentException("digest state of unknown algorithm " + code);
        };
    }

    static int blockSize(Digest.Algorithm algorithm) {
        return algorithm == Digest.Algorithm.SHA256 ? 64 : 128;
    }

    private static int wordSize(Digest.Algorithm algorithm) {
        return algorithm == Digest.Algorithm.SHA256 ? 4 : 8;
    }
}

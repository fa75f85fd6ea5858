package io.openregistry.auth;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Password hashing with Argon2id (BouncyCastle), stored in the PHC string format
 * {@code $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>} so that the cost can be raised
 * later without breaking existing hashes: {@link #verify} reads the parameters from the string.
 *
 * <p>Cost: OWASP's recommended minimum for Argon2id, 19 MiB, 2 passes, 1 lane (some tens of
 * milliseconds of one core). CPU-bound: callers run it off the event loops.
 */
public final class Passwords {
    static final int MEMORY_KIB = 19 * 1024;
    static final int PASSES = 2;
    static final int LANES = 1;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;
    /** Longer passwords are refused before hashing: an attacker must not choose the work. */
    public static final int MAX_LENGTH = 1024;
    public static final int MIN_LENGTH = 8;
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getDecoder();
    /** Verified against when an account does not exist, so that the answer takes as long either way. */
    private static final String DECOY = hash("decoy password for unknown accounts");

    private Passwords() {
    }

    /**
     * A new PHC string for {@code password} with a fresh random salt; IllegalArgumentException
     * when it is not valid Unicode (callers refuse such passwords first).
     */
    public static String hash(String password) {
        byte[] salt = Randomness.bytes(SALT_BYTES);
        byte[] out = argon2(password, salt, MEMORY_KIB, PASSES, LANES, HASH_BYTES);
        return "$argon2id$v=19$m=" + MEMORY_KIB + ",t=" + PASSES + ",p=" + LANES + "$" + B64.encodeToString(salt) + "$"
                + B64.encodeToString(out);
    }

    /**
     * Whether {@code password} matches {@code phc} (compared in constant time). A null or
     * malformed {@code phc} is verified against a decoy hash and answers false, taking as long as
     * a real check.
     */
    public static boolean verify(String password, String phc) {
        if (password == null || password.length() > MAX_LENGTH || !Text.isValidUnicode(password)) {
            // no account's password is invalid Unicode; still as slow as a real check
            verifyDecoy();
            return false;
        }
        Parsed parsed = phc == null ? null : parse(phc);
        boolean real = parsed != null;
        if (!real) {
            parsed = parse(DECOY);
        }
        byte[] computed = argon2(password, parsed.salt, parsed.memoryKib, parsed.passes, parsed.lanes, parsed.hash.length);
        return MessageDigest.isEqual(computed, parsed.hash) && real;
    }

    private static void verifyDecoy() {
        Parsed decoy = parse(DECOY);
        argon2("", decoy.salt, decoy.memoryKib, decoy.passes, decoy.lanes, decoy.hash.length);
    }

    private record Parsed(int memoryKib, int passes, int lanes, byte[] salt, byte[] hash) {}

    /** The parts of a PHC string we wrote, or null for anything else (including absurd costs). */
    private static Parsed parse(String phc) {
        String[] parts = phc.split("\\$");
        // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
        if (parts.length != 6 || !parts[1].equals("argon2id") || !parts[2].equals("v=19")) {
            return null;
        }
        try {
            int m = -1;
            int t = -1;
            int p = -1;
            for (String kv : parts[3].split(",")) {
                String[] pair = kv.split("=", 2);
                int value = Integer.parseInt(pair[1]);
                switch (pair[0]) {
                    case "m" -> m = value;
                    case "t" -> t = value;
                    case "p" -> p = value;
                    default -> {
                        return null;
                    }
                }
            }
            byte[] salt = B64D.decode(parts[4]);
            byte[] hash = B64D.decode(parts[5]);
            if (m < 8 || m > 1024 * 1024 || t < 1 || t > 16 || p < 1 || p > 16 || salt.length < 8 || hash.length < 16) {
                return null;
            }
            return new Parsed(m, t, p, salt, hash);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static byte[] argon2(String password, byte[] salt, int memoryKib, int passes, int lanes, int length) {
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(memoryKib)
                .withIterations(passes)
                .withParallelism(lanes)
                .withSalt(salt)
                .build());
        // strict: a lossy encoding would make several passwords one
        byte[] secret = Text.utf8(password);
        byte[] out = new byte[length];
        try {
            generator.generateBytes(secret, out);
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
        return out;
    }
}

package io.openregistry.auth;

import java.security.DrbgParameters;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * The one source of randomness for keys, token ids, secrets and salts: a NIST SP 800-90A DRBG
 * (256-bit strength), seeded once from the operating system when this class loads, at start.
 * The default SecureRandom reads {@code /dev/urandom} on every call, a file read that must not
 * happen on an event loop; the DRBG generates in memory.
 */
final class Randomness {
    static final SecureRandom RANDOM = create();

    private Randomness() {
    }

    private static SecureRandom create() {
        try {
            SecureRandom random = SecureRandom.getInstance("DRBG",
                    DrbgParameters.instantiation(256, DrbgParameters.Capability.RESEED_ONLY, "openregistry".getBytes()));
            random.nextBytes(new byte[1]); // instantiate (and seed) now, not on the first request
            return random;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no DRBG in this JVM", e);
        }
    }

    static byte[] bytes(int n) {
        byte[] out = new byte[n];
        RANDOM.nextBytes(out);
        return out;
    }
}

package io.openregistry.auth;

/**
 * The secrets of robot accounts: {@code orrobot_} and 256 random bits (base64url), so a leaked
 * one is recognisable by secret scanners. The robot is found by its name (the Basic username), so
 * unlike a PAT the secret carries no id; only its SHA-256 is stored ({@link Secrets#matches} checks
 * it), shown to its owner once at creation and at each rotation.
 */
public final class RobotSecrets {
    public static final String PREFIX = "orrobot_";
    private static final int RANDOM_CHARS = 43;

    /** A new secret and the hash to store. */
    public record Issued(String secret, String hash) {
        @Override
        public String toString() {
            return "RobotSecret[…]";
        }
    }

    private RobotSecrets() {
    }

    public static Issued issue() {
        String secret = PREFIX + PasetoV4Public.base64Url(Randomness.bytes(32));
        return new Issued(secret, Secrets.hash(secret));
    }

    /** Whether {@code secret} has the shape of a robot secret. */
    public static boolean looksLikeRobotSecret(String secret) {
        return secret != null && secret.length() == PREFIX.length() + RANDOM_CHARS && secret.startsWith(PREFIX);
    }
}

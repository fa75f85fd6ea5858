package io.openregistry.auth;

import io.openregistry.metadata.AccountStore.Kind;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Opaque secrets handed to clients: personal access tokens ({@code orpat_…}), sessions /
 * refresh tokens ({@code orses_…}), web app sessions ({@code orweb_…}, in the session cookie only), and robot accounts' secrets ({@code orrobot_…}, the prefix and
 * the random part only). A secret is {@code prefix + id + random}: the 22-character id
 * finds the stored record, the 43-character random part (256 bits) is the secret proper. Only the
 * SHA-256 of the whole string is stored; with 256 random bits a slow hash adds nothing. The
 * recognisable prefix lets secret scanners find leaked tokens.
 */
public final class Secrets {
    static final String PAT_PREFIX = "orpat_";
    static final String SESSION_PREFIX = "orses_";
    /** The web app's session, carried by the session cookie only. */
    static final String WEB_PREFIX = "orweb_";
    /** A robot account's secret: the robot is found by its name (the Basic username), so it carries no id. */
    public static final String ROBOT_PREFIX = "orrobot_";
    private static final int ID_CHARS = 22;
    private static final int RANDOM_CHARS = 43;

    /** A fresh secret, its id and the hash to store. The secret itself is shown to its owner once. */
    public record Issued(String id, String secret, String hash) {
        @Override
        public String toString() {
            return "Issued[id=" + id + "]";
        }
    }

    /** A fresh robot secret and the hash to store ({@code OrgStore.Robot.secretHash}); shown once. */
    public record RobotSecret(String secret, String hash) {
        @Override
        public String toString() {
            return "RobotSecret[]";
        }
    }

    private Secrets() {
    }

    /** A new robot secret (at a robot's creation and on rotation). */
    public static RobotSecret issueRobot() {
        String secret = ROBOT_PREFIX + PasetoV4Public.base64Url(Randomness.bytes(32));
        return new RobotSecret(secret, hash(secret));
    }

    /** Whether {@code secret} has the shape of a robot secret. */
    public static boolean isRobotSecret(String secret) {
        return secret != null && secret.length() == ROBOT_PREFIX.length() + RANDOM_CHARS
                && secret.startsWith(ROBOT_PREFIX) && urlSafe(secret, ROBOT_PREFIX.length());
    }

    public static Issued issue(Kind kind) {
        String id = KeyRing.randomId();
        String secret = prefix(kind) + id + PasetoV4Public.base64Url(Randomness.bytes(32));
        return new Issued(id, secret, hash(secret));
    }

    /** The id inside {@code secret} when it has the shape of a secret of this kind, else null. */
    public static String idOf(String secret, Kind kind) {
        String prefix = prefix(kind);
        if (secret == null || secret.length() != prefix.length() + ID_CHARS + RANDOM_CHARS || !secret.startsWith(prefix)) {
            return null;
        }
        if (!urlSafe(secret, prefix.length())) {
            return null;
        }
        return secret.substring(prefix.length(), prefix.length() + ID_CHARS);
    }

    private static boolean urlSafe(String secret, int from) {
        for (int i = from; i < secret.length(); i++) {
            char c = secret.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code secret} has the shape of a personal access token. */
    public static boolean isPersonalToken(String secret) {
        return idOf(secret, Kind.PAT) != null;
    }

    /** Whether {@code secret} hashes to {@code storedHash}, compared in constant time. */
    public static boolean matches(String secret, String storedHash) {
        return MessageDigest.isEqual(hash(secret).getBytes(StandardCharsets.US_ASCII),
                storedHash.getBytes(StandardCharsets.US_ASCII));
    }

    static String hash(String secret) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(Text.utf8(secret)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static String prefix(Kind kind) {
        return switch (kind) {
            case PAT -> PAT_PREFIX;
            case SESSION -> SESSION_PREFIX;
            case WEB -> WEB_PREFIX;
        };
    }

    /**
     * The CSRF token of a web session: base64url of SHA-256("csrf:" + secret). Derived, not
     * stored, so every replica checks it without state; it reveals nothing of the secret.
     */
    public static String csrfToken(String webSecret) {
        try {
            return PasetoV4Public.base64Url(MessageDigest.getInstance("SHA-256").digest(Text.utf8("csrf:" + webSecret)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Whether {@code presented} is the CSRF token of the web session {@code webSecret}, in constant time. */
    public static boolean csrfMatches(String webSecret, String presented) {
        return presented != null && MessageDigest.isEqual(csrfToken(webSecret).getBytes(StandardCharsets.US_ASCII),
                presented.getBytes(StandardCharsets.US_ASCII));
    }
}

package io.openregistry.oci;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A content digest, {@code algorithm:hex}. Only the algorithms of the OCI image specification's
 * registered set are accepted (sha256, sha512), with their exact lowercase hex lengths.
 */
public record Digest(Algorithm algorithm, String hex) {

    /** The digest grammar of the image specification, before algorithm-specific checks. */
    private static final Pattern GRAMMAR =
            Pattern.compile("[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+");

    public enum Algorithm {
        SHA256("sha256", "SHA-256", 64),
        SHA512("sha512", "SHA-512", 128);

        private final String prefix;
        private final String jdkName;
        private final int hexLength;

        Algorithm(String prefix, String jdkName, int hexLength) {
            this.prefix = prefix;
            this.jdkName = jdkName;
            this.hexLength = hexLength;
        }

        public String prefix() {
            return prefix;
        }

        public MessageDigest newMessageDigest() {
            try {
                return MessageDigest.getInstance(jdkName);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("JDK lacks " + jdkName, e);
            }
        }

        public Digest digestOf(MessageDigest md) {
            return new Digest(this, HexFormat.of().formatHex(md.digest()));
        }

        static Algorithm byPrefix(String prefix) {
            for (Algorithm a : values()) {
                if (a.prefix.equals(prefix)) {
                    return a;
                }
            }
            return null;
        }
    }

    public Digest {
        if (algorithm == null || hex == null || hex.length() != algorithm.hexLength) {
            throw new IllegalArgumentException("bad digest");
        }
    }

    /** Parses a digest or fails with DIGEST_INVALID. */
    public static Digest parse(String text) {
        Digest d = tryParse(text);
        if (d == null) {
            throw OciError.DIGEST_INVALID.exception("invalid digest: " + text);
        }
        return d;
    }

    /** Parses a digest, or returns null when the text is not a valid supported digest. */
    public static Digest tryParse(String text) {
        if (text == null || text.length() > 256 || !GRAMMAR.matcher(text).matches()) {
            return null;
        }
        int colon = text.indexOf(':');
        Algorithm algorithm = Algorithm.byPrefix(text.substring(0, colon));
        String hex = text.substring(colon + 1);
        if (algorithm == null || hex.length() != algorithm.hexLength) {
            return null;
        }
        for (int i = 0; i < hex.length(); i++) {
            char c = hex.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return null;
            }
        }
        return new Digest(algorithm, hex);
    }

    public static Digest sha256(byte[] content) {
        MessageDigest md = Algorithm.SHA256.newMessageDigest();
        md.update(content);
        return Algorithm.SHA256.digestOf(md);
    }

    public static Digest of(Algorithm algorithm, byte[] content) {
        MessageDigest md = algorithm.newMessageDigest();
        md.update(content);
        return algorithm.digestOf(md);
    }

    @Override
    public String toString() {
        return algorithm.prefix + ":" + hex;
    }
}

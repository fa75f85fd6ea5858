package io.openregistry.oci;

/** The {@code <reference>} of a manifest URL: either a tag or a digest. */
public record Reference(String tag, Digest digest) {

    /** Parses a reference, failing with DIGEST_INVALID or TAG_INVALID: for a PUT, where the client named what to create. */
    public static Reference parse(String text) {
        if (text != null && text.contains(":")) {
            Digest d = Digest.tryParse(text);
            if (d == null) {
                throw OciError.DIGEST_INVALID.exception("invalid digest: " + text);
            }
            return new Reference(null, d);
        }
        return new Reference(Names.requireTag(text), null);
    }

    /**
     * Parses a reference, or returns null when the text is neither a valid tag nor a supported
     * digest: for lookups, where a reference that cannot exist simply names no manifest.
     */
    public static Reference tryParse(String text) {
        if (text != null && text.contains(":")) {
            Digest d = Digest.tryParse(text);
            return d == null ? null : new Reference(null, d);
        }
        return Names.isValidTag(text) ? new Reference(text, null) : null;
    }

    public boolean isDigest() {
        return digest != null;
    }

    @Override
    public String toString() {
        return isDigest() ? digest.toString() : tag;
    }
}

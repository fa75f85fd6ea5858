package io.openregistry.oci;

/** The {@code <reference>} of a manifest URL: either a tag or a digest. */
public record Reference(String tag, Digest digest) {

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

    public boolean isDigest() {
        return digest != null;
    }

    @Override
    public String toString() {
        return isDigest() ? digest.toString() : tag;
    }
}

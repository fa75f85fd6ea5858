package io.openregistry.metadata;

import io.openregistry.oci.Digest;

/**
 * A manifest put refused because something it requires is not there: a blob not linked to the
 * repository (or being deleted by the collector), or a child manifest not stored in it. Nothing
 * was written. An expected outcome, so no stack trace.
 */
public final class MissingReferenceException extends RuntimeException {
    /** What is missing: a blob or a (child) manifest. */
    public enum Kind { BLOB, MANIFEST }

    private final Kind kind;
    private final Digest digest;

    public MissingReferenceException(Kind kind, Digest digest) {
        super("manifest references an unknown " + kind.name().toLowerCase(java.util.Locale.ROOT) + ": " + digest,
                null, false, false);
        this.kind = kind;
        this.digest = digest;
    }

    public Kind kind() {
        return kind;
    }

    public Digest digest() {
        return digest;
    }
}

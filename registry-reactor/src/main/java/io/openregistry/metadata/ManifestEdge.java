package io.openregistry.metadata;

import io.openregistry.oci.Digest;

/** One edge of the content graph: a stored manifest names {@code digest} as {@code kind}. */
public record ManifestEdge(Kind kind, Digest digest) {
    /** The kinds of edges; {@link #column} is the value of {@code manifest_references.kind}. */
    public enum Kind {
        /** The config blob of an image manifest. */
        CONFIG("config"),
        /** A layer blob (non-distributable ones included). */
        LAYER("layer"),
        /** A child manifest of an index, in the same repository. */
        MANIFEST("manifest"),
        /** The subject of a referrer; it need not exist. */
        SUBJECT("subject");

        public final String column;

        Kind(String column) {
            this.column = column;
        }

        public static Kind of(String column) {
            for (Kind k : values()) {
                if (k.column.equals(column)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown edge kind " + column);
        }
    }
}

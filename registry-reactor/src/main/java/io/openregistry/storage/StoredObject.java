package io.openregistry.storage;

import io.openregistry.oci.Digest;
import java.time.Instant;

/**
 * An object a store holds, as its listing sees it (for the reconciliation of objects no database
 * row names).
 *
 * @param kind         what it is
 * @param location     a blob's location as the store would have handed it out; for a staged upload,
 *                     its upload id
 * @param digest       the digest a content-addressed location encodes, or null
 * @param session      the upload id whose session may still adopt it (its commit would record it),
 *                     or null
 * @param size         its size in bytes (0 when unknown, as for a multipart upload)
 * @param lastModified when it was last written (a multipart upload: when it was started)
 */
public record StoredObject(Kind kind, String location, Digest digest, String session, long size,
                           Instant lastModified) {

    /** The kinds of stored objects, as the reconciliation counts them. */
    public enum Kind {
        /** A committed (or completed but never recorded) blob object. */
        BLOB,
        /** The staged bytes of an upload. */
        STAGED,
        /** An S3 multipart upload of an upload. */
        MULTIPART,
        /**
         * A recursive pin on an IPFS node: reported when no row names it, never removed (a pin
         * carries no owner or time, and the node may be shared with other programs).
         */
        PIN;

        /** The metric tag and report word. */
        public String tag() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}

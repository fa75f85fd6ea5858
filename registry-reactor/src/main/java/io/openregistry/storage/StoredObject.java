package io.openregistry.storage;

import io.openregistry.oci.Digest;
import java.time.Instant;

/**
 * An object a store holds, as its listing sees it (for the reconciliation of objects no database
 * row names).
 *
 * @param location     the location the store would have handed out for it (or, for a staged upload,
 *                     the upload id)
 * @param digest       the digest its content-addressed location encodes, or null when the location
 *                     does not encode one
 * @param size         its size in bytes
 * @param lastModified when it was last written
 */
public record StoredObject(String location, Digest digest, long size, Instant lastModified) {
}

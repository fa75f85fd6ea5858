package io.openregistry.metadata;

import io.openregistry.oci.Digest;

/** A verified blob: its digest, size, and where its bytes are (backend + location or content id). */
public record BlobRecord(Digest digest, long size, String backend, String location) {
}

package io.openregistry.metadata;

import java.time.Instant;

/** A blob upload session: which repository it is for and how many bytes have been received. */
public record UploadRecord(String id, String repository, long offset, Instant startedAt, Instant updatedAt) {
}

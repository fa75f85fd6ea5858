package io.openregistry.metadata;

import io.openregistry.oci.Digest;

/**
 * Something the garbage collector may remove from a repository: an untagged manifest or a blob's
 * link, with the size of the manifest or blob (what a dry run reports). Candidates are listed in
 * (repository, digest) order, so that {@code after} pages through them even when nothing is removed.
 */
public record Collectable(String repository, Digest digest, long size) {
}

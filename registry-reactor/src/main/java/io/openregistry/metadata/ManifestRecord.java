package io.openregistry.metadata;

import io.openregistry.oci.Digest;

/**
 * A stored manifest: the exact bytes and what the registry indexes about them.
 *
 * @param subject         the digest of the manifest's subject, or null
 * @param artifactType    the type used for referrers (manifest artifactType, else config media type), or null
 * @param annotationsJson the manifest's top-level annotations as a JSON object text, or null
 */
public record ManifestRecord(String repository, Digest digest, String mediaType, byte[] content,
                             Digest subject, String artifactType, String annotationsJson) {
    public long size() {
        return content.length;
    }
}

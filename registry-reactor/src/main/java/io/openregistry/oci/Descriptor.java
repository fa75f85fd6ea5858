package io.openregistry.oci;

import java.util.Map;

/** A content descriptor as it appears in manifests, indexes and the referrers response. */
public record Descriptor(String mediaType, Digest digest, long size, String artifactType,
                         Map<String, String> annotations) {
}

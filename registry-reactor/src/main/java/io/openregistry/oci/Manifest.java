package io.openregistry.oci;

import java.util.List;
import java.util.Map;

/**
 * A parsed and validated manifest or index. The raw bytes stay the source of truth; this view
 * carries what the registry needs to check references and answer referrers queries.
 *
 * @param mediaType    the effective media type (from Content-Type, matching the body's own field)
 * @param blobs        descriptors of blobs that must exist in the repository (config and layers)
 * @param manifests    descriptors of child manifests that must exist (for indexes)
 * @param subject      the subject descriptor, or null
 * @param artifactType the artifact type used by referrers: the manifest's own field, else the
 *                     config media type of an image manifest, else null
 */
public record Manifest(String mediaType, List<Descriptor> blobs, List<Descriptor> manifests,
                       Descriptor subject, String artifactType, Map<String, String> annotations) {
}

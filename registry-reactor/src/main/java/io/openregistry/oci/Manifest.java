package io.openregistry.oci;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A parsed and validated manifest or index. The raw bytes stay the source of truth; this view
 * carries what the registry needs to check references, record the content graph and answer
 * referrers queries.
 *
 * @param mediaType     the effective media type (from Content-Type, matching the body's own field)
 * @param config        the config descriptor of an image manifest; null for an index
 * @param layers        descriptors of the layers that must exist in the repository (an image
 *                      manifest's layers but the non-distributable ones)
 * @param foreignLayers descriptors of non-distributable layers: named, but by design not pushed
 *                      to registries, so not required
 * @param manifests     descriptors of child manifests that must exist (for indexes)
 * @param subject       the subject descriptor, or null
 * @param artifactType  the artifact type used by referrers: the manifest's own field, else the
 *                      config media type of an image manifest, else null
 */
public record Manifest(String mediaType, Descriptor config, List<Descriptor> layers, List<Descriptor> foreignLayers,
                       List<Descriptor> manifests, Descriptor subject, String artifactType,
                       Map<String, String> annotations) {

    /** Descriptors of the blobs that must exist in the repository: the config, then the required layers. */
    public List<Descriptor> blobs() {
        if (config == null) {
            return layers;
        }
        List<Descriptor> all = new ArrayList<>(layers.size() + 1);
        all.add(config);
        all.addAll(layers);
        return List.copyOf(all);
    }
}

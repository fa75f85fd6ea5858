package io.openregistry.metadata;

import io.openregistry.oci.Digest;
import java.util.List;

/**
 * What a manifest names besides its subject (which {@link ManifestRecord#subject()} carries): the
 * edges of the content graph that {@link ManifestStore#put} records with it.
 *
 * @param config        the config blob of an image manifest (must be linked to the repository), or null
 * @param layers        layer blobs that must be linked to the repository
 * @param foreignLayers non-distributable layers: recorded as layers, not required (their bytes
 *                      usually live elsewhere; when the registry has them they are kept like any other)
 * @param children      child manifests of an index, which must be stored in the repository
 */
public record ManifestReferences(Digest config, List<Digest> layers, List<Digest> foreignLayers, List<Digest> children) {
    /** A manifest that names nothing (but perhaps a subject). */
    public static final ManifestReferences NONE = new ManifestReferences(null, List.of(), List.of(), List.of());

    public ManifestReferences {
        layers = List.copyOf(layers);
        foreignLayers = List.copyOf(foreignLayers);
        children = List.copyOf(children);
    }
}

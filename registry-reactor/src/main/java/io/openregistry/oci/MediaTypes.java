package io.openregistry.oci;

import java.util.Locale;
import java.util.Set;

/** The manifest media types the registry accepts, and helpers on media type strings. */
public final class MediaTypes {
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String OCTET_STREAM = "application/octet-stream";
    public static final String JSON = "application/json";

    /** Layers that by design are not pushed to registries; their blobs are not required. */
    private static final Set<String> NON_DISTRIBUTABLE = Set.of(
            "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
            "application/vnd.oci.image.layer.nondistributable.v1.tar",
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
            "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd");

    private MediaTypes() {
    }

    public static boolean isImageManifest(String mediaType) {
        return OCI_MANIFEST.equals(mediaType) || DOCKER_MANIFEST.equals(mediaType);
    }

    public static boolean isIndex(String mediaType) {
        return OCI_INDEX.equals(mediaType) || DOCKER_MANIFEST_LIST.equals(mediaType);
    }

    public static boolean isManifest(String mediaType) {
        return isImageManifest(mediaType) || isIndex(mediaType);
    }

    /** Docker's schema2 manifest and manifest list, whose bodies must name their own type. */
    public static boolean isDocker(String mediaType) {
        return DOCKER_MANIFEST.equals(mediaType) || DOCKER_MANIFEST_LIST.equals(mediaType);
    }

    public static boolean isNonDistributable(String mediaType) {
        return mediaType != null && NON_DISTRIBUTABLE.contains(mediaType);
    }

    /** The bare type of a Content-Type header value: parameters dropped, lower-cased, trimmed. */
    public static String bare(String contentType) {
        if (contentType == null) {
            return null;
        }
        int semi = contentType.indexOf(';');
        String t = (semi >= 0 ? contentType.substring(0, semi) : contentType).trim().toLowerCase(Locale.ROOT);
        return t.isEmpty() ? null : t;
    }
}

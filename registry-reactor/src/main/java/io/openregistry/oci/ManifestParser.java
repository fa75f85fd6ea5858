package io.openregistry.oci;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Validates manifest bytes against the OCI image spec and Docker schema2 shapes. Unknown config and
 * layer media types are accepted on purpose: encrypted layers and artifacts use them.
 */
public final class ManifestParser {
    /**
     * A manifest is exactly one JSON value: bytes after it would be stored, digested and served,
     * and clients would then fail to parse what the registry accepted.
     */
    private final ObjectReader json;

    public ManifestParser(ObjectMapper json) {
        this.json = json.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    /**
     * @param contentType the request's Content-Type header, or null when absent
     * @param bytes       the exact manifest bytes
     */
    public Manifest parse(String contentType, byte[] bytes) {
        JsonNode root;
        try {
            root = json.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw invalid("manifest is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw invalid("manifest could not be read");
        }
        if (!(root instanceof ObjectNode)) {
            throw invalid("manifest must be a JSON object");
        }
        String bodyType = optionalText(root, "mediaType");
        String headerType = MediaTypes.bare(contentType);
        String mediaType = effectiveType(headerType, bodyType, root);
        JsonNode schemaVersion = root.get("schemaVersion");
        // canConvertToInt first: asInt() wraps, and 2^32 + 2 would read as 2
        if (schemaVersion == null || !schemaVersion.isIntegralNumber() || !schemaVersion.canConvertToInt()
                || schemaVersion.intValue() != 2) {
            throw invalid("schemaVersion must be 2");
        }
        String artifactType = optionalText(root, "artifactType");
        Descriptor subject = root.has("subject") ? descriptor(root.get("subject"), "subject") : null;
        Map<String, String> annotations = annotations(root.get("annotations"), "annotations");
        if (MediaTypes.isImageManifest(mediaType)) {
            Descriptor config = descriptor(root.get("config"), "config");
            JsonNode layers = root.get("layers");
            if (layers == null || !layers.isArray()) {
                throw invalid("layers must be an array");
            }
            List<Descriptor> required = new ArrayList<>();
            List<Descriptor> foreign = new ArrayList<>();
            for (int i = 0; i < layers.size(); i++) {
                Descriptor layer = descriptor(layers.get(i), "layers[" + i + "]");
                (MediaTypes.isNonDistributable(layer.mediaType()) ? foreign : required).add(layer);
            }
            String referrerType = artifactType != null ? artifactType : config.mediaType();
            return new Manifest(mediaType, config, List.copyOf(required), List.copyOf(foreign), List.of(), subject,
                    referrerType, annotations);
        }
        JsonNode children = root.get("manifests");
        if (children == null || !children.isArray()) {
            throw invalid("manifests must be an array");
        }
        List<Descriptor> manifests = new ArrayList<>();
        for (int i = 0; i < children.size(); i++) {
            manifests.add(descriptor(children.get(i), "manifests[" + i + "]"));
        }
        return new Manifest(mediaType, null, List.of(), List.of(), List.copyOf(manifests), subject, artifactType,
                annotations);
    }

    /**
     * The manifest's media type, from the request's Content-Type and the body's own
     * {@code mediaType}, checked the way the specifications ask:
     * <ul>
     * <li>The distribution-spec: "All manifests SHOULD include a mediaType field ... If a manifest
     * includes a mediaType field, clients MUST set the Content-Type header to the value specified by
     * the mediaType field." A body type that differs from the header is refused.</li>
     * <li>The OCI image-spec (image manifest and image index): {@code mediaType} "SHOULD be used"
     * and "when used, this field MUST contain" the OCI type itself. So an OCI manifest or index
     * without {@code mediaType} is accepted when PUT as its OCI type, and its type comes from the
     * header.</li>
     * <li>Docker's image manifest v2 schema 2 has no such latitude: {@code mediaType} is part of the
     * format, and Distribution refuses a schema2 manifest or manifest list whose {@code mediaType}
     * is not exactly its type. A body without it is an OCI document (or nothing), so storing it
     * under the Docker type the client claimed would serve it as something it is not.</li>
     * <li>Without Content-Type (clients SHOULD send it, not MUST), the body's {@code mediaType}
     * decides; without both, the shape does: {@code manifests} makes an OCI index, {@code config} an
     * OCI image manifest.</li>
     * </ul>
     * Whatever the type, the body's shape must fit it ({@link #requireShape}).
     */
    private static String effectiveType(String headerType, String bodyType, JsonNode root) {
        if (headerType != null && !MediaTypes.isManifest(headerType)) {
            throw invalid("unsupported manifest media type: " + headerType);
        }
        if (bodyType != null && !MediaTypes.isManifest(bodyType)) {
            throw invalid("unsupported manifest media type in body: " + bodyType);
        }
        if (headerType != null && bodyType != null && !headerType.equals(bodyType)) {
            throw invalid("Content-Type " + headerType + " does not match the manifest's mediaType " + bodyType);
        }
        String type;
        if (headerType != null) {
            type = headerType;
        } else if (bodyType != null) {
            type = bodyType;
        } else if (present(root, "manifests") && !present(root, "config") && !present(root, "layers")) {
            type = MediaTypes.OCI_INDEX;
        } else if (present(root, "config") && !present(root, "manifests")) {
            type = MediaTypes.OCI_MANIFEST;
        } else {
            throw invalid("manifest media type is missing and the body's shape does not tell it");
        }
        if (MediaTypes.isDocker(type) && bodyType == null) {
            throw invalid("a " + type + " manifest must carry its mediaType field");
        }
        requireShape(type, root);
        return type;
    }

    /**
     * A body that has the members of the other kind is ambiguous: a client that reads it as an index
     * and one that reads it as an image manifest see different content under one digest (CVE-2021-41190,
     * GHSA-mc8v-mgrf-8f4m; since then Distribution and containerd refuse such a body). So an image
     * manifest has no {@code manifests}, an index neither {@code config} nor {@code layers}.
     */
    private static void requireShape(String type, JsonNode root) {
        if (MediaTypes.isImageManifest(type) && present(root, "manifests")) {
            throw invalid("an image manifest (" + type + ") must not have a manifests member; is it an index?");
        }
        if (MediaTypes.isIndex(type) && (present(root, "config") || present(root, "layers"))) {
            throw invalid("an index (" + type + ") must not have config or layers members; is it an image manifest?");
        }
    }

    /** Present and not JSON null: Distribution's Go decoding does not tell a null member from an absent one. */
    private static boolean present(JsonNode root, String field) {
        JsonNode v = root.get(field);
        return v != null && !v.isNull();
    }

    private static Descriptor descriptor(JsonNode node, String where) {
        if (node == null || !node.isObject()) {
            throw invalid(where + " must be a descriptor object");
        }
        String mediaType = optionalText(node, "mediaType");
        if (mediaType == null || mediaType.isEmpty()) {
            throw invalid(where + ".mediaType is required");
        }
        String digestText = optionalText(node, "digest");
        Digest digest = Digest.tryParse(digestText);
        if (digest == null) {
            throw invalid(where + ".digest is missing or not a supported digest: " + digestText);
        }
        JsonNode size = node.get("size");
        if (size == null || !size.canConvertToExactIntegral() || !size.canConvertToLong() || size.asLong() < 0) {
            throw invalid(where + ".size must be a non-negative integer");
        }
        String artifactType = optionalText(node, "artifactType");
        return new Descriptor(mediaType, digest, size.asLong(), artifactType,
                annotations(node.get("annotations"), where + ".annotations"));
    }

    private static Map<String, String> annotations(JsonNode node, String where) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw invalid(where + " must be an object of strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        var fields = node.fields();
        while (fields.hasNext()) {
            var e = fields.next();
            if (!e.getValue().isTextual()) {
                throw invalid(where + "." + e.getKey() + " must be a string");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private static String optionalText(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw invalid(field + " must be a string");
        }
        return v.asText();
    }

    private static OciException invalid(String message) {
        return OciError.MANIFEST_INVALID.exception(message);
    }
}

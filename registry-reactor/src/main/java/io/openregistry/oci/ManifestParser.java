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
            List<Descriptor> blobs = new ArrayList<>();
            blobs.add(config);
            for (int i = 0; i < layers.size(); i++) {
                Descriptor layer = descriptor(layers.get(i), "layers[" + i + "]");
                if (!MediaTypes.isNonDistributable(layer.mediaType())) {
                    blobs.add(layer);
                }
            }
            String referrerType = artifactType != null ? artifactType : config.mediaType();
            return new Manifest(mediaType, List.copyOf(blobs), List.of(), subject, referrerType, annotations);
        }
        JsonNode children = root.get("manifests");
        if (children == null || !children.isArray()) {
            throw invalid("manifests must be an array");
        }
        List<Descriptor> manifests = new ArrayList<>();
        for (int i = 0; i < children.size(); i++) {
            manifests.add(descriptor(children.get(i), "manifests[" + i + "]"));
        }
        return new Manifest(mediaType, List.of(), List.copyOf(manifests), subject, artifactType, annotations);
    }

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
        if (headerType != null) {
            return headerType;
        }
        if (bodyType != null) {
            return bodyType;
        }
        // OCI manifests may omit mediaType; infer it from the shape, as the image spec allows.
        if (root.has("manifests")) {
            return MediaTypes.OCI_INDEX;
        }
        if (root.has("config")) {
            return MediaTypes.OCI_MANIFEST;
        }
        throw invalid("manifest media type is missing");
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

package io.openregistry.api;

import static io.openregistry.api.FuzzGen.pick;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * Generated manifest bodies with the answer the specification gives them: valid manifests of
 * every kind, valid ones naming blobs the repository lacks, and one mutation each away from valid
 * (wrong shapes and types, missing fields, unknown media types, deep nesting, huge numbers,
 * duplicate keys, trailing bytes, broken encodings).
 */
final class FuzzManifests {
    static final String OCI = Oci.OCI_MANIFEST;
    static final String DOCKER = Oci.DOCKER_MANIFEST;
    static final String INDEX = Oci.OCI_INDEX;

    enum Outcome { CREATED, BLOB_UNKNOWN, INVALID, INVALID_OR_UNKNOWN, EITHER }

    /**
     * @param contentType the request's Content-Type, or null for none
     * @param storedType  the type a GET must answer for a CREATED body, or null when not checked
     */
    record Body(String kind, byte[] bytes, String contentType, Outcome outcome, String storedType) {
    }

    private final String configDigest;
    private final long configSize;
    private final String layerDigest;
    private final long layerSize;
    private String childDigest;
    private long childSize;

    FuzzManifests(String configDigest, long configSize, String layerDigest, long layerSize) {
        this.configDigest = configDigest;
        this.configSize = configSize;
        this.layerDigest = layerDigest;
        this.layerSize = layerSize;
    }

    /** The manifest an index may name (it must be in the repository). */
    void child(String digest, long size) {
        this.childDigest = digest;
        this.childSize = size;
    }

    private ObjectNode image(boolean docker) {
        ObjectNode m = Oci.JSON.createObjectNode().put("schemaVersion", 2).put("mediaType", docker ? DOCKER : OCI);
        m.set("config", descriptor(docker ? "application/vnd.docker.container.image.v1+json"
                : "application/vnd.oci.image.config.v1+json", configDigest, configSize));
        m.putArray("layers").add(descriptor(docker ? "application/vnd.docker.image.rootfs.diff.tar.gzip"
                : "application/vnd.oci.image.layer.v1.tar+gzip", layerDigest, layerSize));
        return m;
    }

    private ObjectNode index() {
        ObjectNode m = Oci.JSON.createObjectNode().put("schemaVersion", 2).put("mediaType", INDEX);
        m.putArray("manifests").add(descriptor(OCI, childDigest, childSize));
        return m;
    }

    private static ObjectNode descriptor(String type, String digest, long size) {
        return Oci.JSON.createObjectNode().put("mediaType", type).put("digest", digest).put("size", size);
    }

    private static JsonNode raw(String json) {
        try {
            return Oci.JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(json, e);
        }
    }

    private static Body body(String kind, JsonNode json, String type, Outcome outcome, String stored) {
        return new Body(kind, json.toString().getBytes(StandardCharsets.UTF_8), type, outcome, stored);
    }

    private static Body text(String kind, String json, String type, Outcome outcome) {
        return new Body(kind, json.getBytes(StandardCharsets.UTF_8), type, outcome, null);
    }

    Body body(Random r) {
        ObjectNode m = image(false);
        JsonNode config = m.get("config");
        ObjectNode layer = (ObjectNode) m.get("layers").get(0);
        switch (r.nextInt(40)) {
            case 0, 1 -> {
                return body("valid OCI", m, OCI, Outcome.CREATED, OCI);
            }
            case 2 -> {
                m.remove("mediaType");
                String type = r.nextBoolean() ? OCI : null;
                return body("valid OCI without mediaType" + (type == null ? ", no Content-Type" : ""), m, type,
                        Outcome.CREATED, OCI);
            }
            case 3 -> {
                return body("valid Docker", image(true), DOCKER, Outcome.CREATED, DOCKER);
            }
            case 4 -> {
                return body("valid, Content-Type with parameters", m, OCI + pick(r, "; charset=utf-8", ";v=1", " ; x=\"y\""),
                        Outcome.CREATED, OCI);
            }
            case 5 -> {
                return body("valid index", index(), INDEX, Outcome.CREATED, INDEX);
            }
            case 6 -> {
                m.set("annotations", Oci.JSON.createObjectNode().put("org.example", FuzzGen.junk(r)));
                m.put("artifactType", "application/vnd.fuzz." + FuzzGen.component(r));
                m.set("x-extra", raw(FuzzGen.nested(1 + r.nextInt(200), r.nextBoolean(), "\"deep\"")));
                return body("valid with annotations and extra fields", m, OCI, Outcome.CREATED, OCI);
            }
            case 7 -> {
                m.set("subject", descriptor(OCI, FuzzGen.sha256(r), 1 + r.nextInt(1000)));
                return body("valid with a subject", m, OCI, Outcome.CREATED, OCI);
            }
            case 8 -> {
                ((ArrayNode) m.get("layers")).add(descriptor("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                        FuzzGen.sha256(r), 12345));
                return body("valid with a non-distributable layer", m, OCI, Outcome.CREATED, OCI);
            }
            case 9 -> {
                m.putArray("layers");
                return body("valid without layers", m, OCI, Outcome.CREATED, OCI);
            }
            case 10 -> {
                ((ObjectNode) (r.nextBoolean() ? config : layer)).put("digest", FuzzGen.sha256(r));
                return body("unknown blob", m, OCI, Outcome.BLOB_UNKNOWN, null);
            }
            case 11 -> {
                ObjectNode index = index();
                ((ObjectNode) index.get("manifests").get(0)).put("digest", FuzzGen.sha256(r));
                return body("index naming an unknown manifest", index, INDEX, Outcome.BLOB_UNKNOWN, null);
            }
            case 12 -> {
                if (r.nextBoolean()) {
                    m.remove("config");
                } else {
                    m.set("config", raw(pick(r, "[]", "\"x\"", "1", "null", "true", "[{}]")));
                }
                return body("config missing or not an object", m, OCI, Outcome.INVALID, null);
            }
            case 13 -> {
                if (r.nextBoolean()) {
                    m.remove("layers");
                } else {
                    m.set("layers", raw(pick(r, "{}", "\"x\"", "null", "1", "{\"0\":{}}")));
                }
                return body("layers missing or not an array", m, OCI, Outcome.INVALID, null);
            }
            case 14 -> {
                ((ArrayNode) m.get("layers")).add(raw(pick(r, "1", "\"x\"", "null", "[]", "true")));
                return body("layer not an object", m, OCI, Outcome.INVALID, null);
            }
            case 15 -> {
                String d = FuzzGen.digest(r);
                ObjectNode target = (ObjectNode) (r.nextBoolean() ? config : layer);
                if (FuzzOpenTest.validDigest(d)) {
                    target.put("digest", d);
                    return body("unknown blob", m, OCI, Outcome.BLOB_UNKNOWN, null);
                }
                if (r.nextInt(4) == 0) {
                    target.set("digest", raw(pick(r, "1", "null", "[]", "{}")));
                } else {
                    target.put("digest", d);
                }
                return body("descriptor digest invalid", m, OCI, Outcome.INVALID_OR_UNKNOWN, null);
            }
            case 16 -> {
                ObjectNode target = (ObjectNode) (r.nextBoolean() ? config : layer);
                String size = pick(r, "-1", "\"12\"", "1.5", "1e400", "9223372036854775808", "null", "true", "[]", "{}",
                        "-9223372036854775808", "1" + "0".repeat(1200), "-0.5");
                if (size.length() > 100) {
                    // beyond what a tree holds: spliced into the text
                    return text("descriptor size invalid", m.toString().replace("\"size\":" + layerSize, "\"size\":" + size),
                            OCI, Outcome.INVALID);
                }
                if (r.nextInt(5) == 0) {
                    target.remove("size");
                } else {
                    target.set("size", raw(size));
                }
                return body("descriptor size invalid", m, OCI, Outcome.INVALID, null);
            }
            case 17 -> {
                ObjectNode target = (ObjectNode) (r.nextBoolean() ? config : layer);
                if (r.nextBoolean()) {
                    target.remove("mediaType");
                } else {
                    target.set("mediaType", raw(pick(r, "\"\"", "1", "null", "[]", "{}")));
                }
                return body("descriptor mediaType invalid", m, OCI, Outcome.INVALID, null);
            }
            case 18 -> {
                if (r.nextInt(5) == 0) {
                    m.remove("schemaVersion");
                } else {
                    m.set("schemaVersion", raw(pick(r, "1", "3", "\"2\"", "null", "2.5", "2.0", "9999999999999999999",
                            "-2", "true", "4294967298", "[2]")));
                }
                return body("schemaVersion invalid", m, OCI, Outcome.INVALID, null);
            }
            case 19 -> {
                m.set("mediaType", raw(pick(r, "\"application/json\"", "\"text/plain\"", "\"application/vnd.oci.image.config.v1+json\"",
                        "\"\"", "1", "[]", "\"" + OCI + "x\"", "\"application/vnd.oci.artifact.manifest.v1+json\"")));
                return body("mediaType unknown", m, r.nextBoolean() ? OCI : null, Outcome.INVALID, null);
            }
            case 20 -> {
                return body("Content-Type unknown", m, pick(r, "application/json", "text/plain", "application/octet-stream",
                        "application/vnd.oci.image.config.v1+json", "garbage", "*/*", OCI + "x", "multipart/form-data",
                        "application/vnd.oci.artifact.manifest.v1+json"), Outcome.INVALID, null);
            }
            case 21 -> {
                return body("Content-Type and mediaType differ", m, pick(r, DOCKER, INDEX, Oci.DOCKER_LIST), Outcome.INVALID,
                        null);
            }
            case 22 -> {
                m.set("annotations", raw(pick(r, "[]", "\"x\"", "{\"a\":1}", "{\"a\":{}}", "1", "{\"a\":null}", "{\"a\":[]}")));
                return body("annotations invalid", m, OCI, Outcome.INVALID, null);
            }
            case 23 -> {
                m.set("subject", raw(pick(r, "\"x\"", "1", "[]", "{}", "{\"mediaType\":\"x\",\"digest\":\"bad\",\"size\":1}",
                        "{\"mediaType\":\"x\",\"digest\":\"sha256:" + "0".repeat(64) + "\",\"size\":-1}")));
                return body("subject invalid", m, OCI, Outcome.INVALID, null);
            }
            case 24 -> {
                m.set("artifactType", raw(pick(r, "1", "[]", "{}", "true")));
                return body("artifactType not a string", m, OCI, Outcome.INVALID, null);
            }
            case 25 -> {
                // an OCI manifest without mediaType is not a Docker manifest (which requires the field)
                m.remove("mediaType");
                return body("Docker Content-Type, body without mediaType", m, DOCKER, Outcome.INVALID, null);
            }
            case 26 -> {
                if (r.nextBoolean()) {
                    m.remove("mediaType");
                    return body("index Content-Type, image body", m, INDEX, Outcome.INVALID, null);
                }
                ObjectNode index = index();
                index.remove("mediaType");
                return body("image Content-Type, index body", index, OCI, Outcome.INVALID, null);
            }
            case 27 -> {
                return text("not an object", pick(r, "[]", "\"x\"", "1", "null", "true", "[{}]", " ", "\n", "{}", "[" + m + "]"),
                        OCI, Outcome.INVALID);
            }
            case 28 -> {
                return text("not JSON", pick(r, "{", "{\"a\":}", "nul", "{'schemaVersion':2}", "{\"schemaVersion\":2,}",
                        m.toString().substring(0, 20), "{\"a\" 1}", "\u0000", "{\"a\":\"\\x\"}", "{\"a\":01}"), OCI,
                        Outcome.INVALID);
            }
            case 29 -> {
                byte[] head = "{\"schemaVersion\":2,\"x\":\"".getBytes(StandardCharsets.US_ASCII);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.writeBytes(head);
                out.writeBytes(pick(r, new byte[] {(byte) 0xC3, 0x28}, new byte[] {(byte) 0xFF}, new byte[] {(byte) 0xED,
                        (byte) 0xA0, (byte) 0x80}, new byte[] {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}));
                out.writeBytes("\"}".getBytes(StandardCharsets.US_ASCII));
                return new Body("invalid UTF-8", out.toByteArray(), OCI, Outcome.INVALID, null);
            }
            case 30 -> {
                return text("trailing bytes after the JSON", m + pick(r, "x", "}", "{}", "[]", " 1", "\u0000", "garbage", ","),
                        OCI, Outcome.INVALID);
            }
            case 31 -> {
                return text("trailing whitespace", m + pick(r, "\n", " ", "\r\n", "\t"), OCI, Outcome.CREATED);
            }
            case 32 -> {
                return text("deeply nested root", FuzzGen.nested(pick(r, 1001, 10_000, 50_000), r.nextBoolean(), "1"), OCI,
                        Outcome.INVALID);
            }
            case 33 -> {
                String s = m.toString();
                return text("deeply nested extra field", s.substring(0, s.length() - 1) + ",\"x\":"
                        + FuzzGen.nested(pick(r, 999, 1001, 10_000), r.nextBoolean(), "1") + "}", OCI, Outcome.EITHER);
            }
            case 34 -> {
                String s = m.toString();
                return text("huge number in an extra field", s.substring(0, s.length() - 1) + ",\"x\":"
                        + pick(r, "1" + "0".repeat(999), "1" + "0".repeat(5000), "1e999999999", "-" + "9".repeat(3000),
                        "0." + "0".repeat(3000) + "1") + "}", OCI, Outcome.EITHER);
            }
            case 35 -> {
                // duplicate keys: a bogus value last must not be accepted under any reading
                String s = m.toString();
                String key = pick(r, "config", "layers", "schemaVersion", "mediaType");
                // (a null mediaType is no mediaType, which is allowed)
                return text("duplicate key, bogus value last", s.substring(0, s.length() - 1) + ",\"" + key + "\":"
                        + pick(r, key.equals("mediaType") ? "[]" : "null", "\"x\"", "7") + "}", OCI, Outcome.INVALID);
            }
            case 36 -> {
                // a bogus value first: accepted by a last-wins reading, refused by a strict one
                String key = pick(r, "config", "layers", "schemaVersion", "mediaType");
                return text("duplicate key, bogus value first", "{\"" + key + "\":" + pick(r, "null", "\"x\"", "7", "{}")
                        + "," + m.toString().substring(1), OCI, Outcome.EITHER);
            }
            case 37 -> {
                byte[] json = m.toString().getBytes(StandardCharsets.UTF_8);
                if (r.nextBoolean()) {
                    byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
                    byte[] out = new byte[json.length + 3];
                    System.arraycopy(bom, 0, out, 0, 3);
                    System.arraycopy(json, 0, out, 3, json.length);
                    return new Body("byte order mark", out, OCI, Outcome.EITHER, null);
                }
                return new Body("UTF-16", m.toString().getBytes(StandardCharsets.UTF_16), OCI, Outcome.EITHER, null);
            }
            case 38 -> {
                layer.put("size", pick(r, 0L, 1L, layerSize + 1, Long.MAX_VALUE));
                return body("descriptor size differs from the blob", m, OCI, Outcome.EITHER, null);
            }
            default -> {
                m.set("x-extra", raw(FuzzGen.jsonValue(r, 0).isEmpty() ? "1" : safe(FuzzGen.jsonValue(r, 0))));
                return body("extra field of any shape", m, OCI, Outcome.EITHER, null);
            }
        }
    }

    /** The value if it parses as JSON within the parser's limits, else a plain one. */
    private static String safe(String json) {
        try {
            Oci.JSON.readTree(json);
            return json;
        } catch (Exception e) {
            return "\"x\"";
        }
    }
}

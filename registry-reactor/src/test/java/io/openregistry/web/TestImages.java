package io.openregistry.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * A multi-architecture image written as an OCI image layout on disk (no network, no daemon), for
 * skopeo to push: an index of linux/amd64 and linux/arm64 images that share a base layer, each
 * with its config (created, entrypoint, cmd, labels). Plus the JSON of an SBOM that refers to the
 * index (an OCI artifact with a subject), which the tests push over the API.
 */
final class TestImages {
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
    static final String SBOM_TYPE = "application/spdx+json";
    static final String EMPTY_CONFIG = "application/vnd.oci.empty.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A blob: its bytes, digest and media type. */
    record Blob(byte[] bytes, String digest, String mediaType) {
        static Blob of(byte[] bytes, String mediaType) {
            return new Blob(bytes, sha256(bytes), mediaType);
        }

        Map<String, Object> descriptor() {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("mediaType", mediaType);
            d.put("digest", digest);
            d.put("size", bytes.length);
            return d;
        }
    }

    /** What was written: the index and its parts, for the tests to compare with what the pages show. */
    record Image(Path layout, Blob index, Map<String, Blob> manifests, Map<String, Blob> configs, List<Blob> layers) {}

    private TestImages() {
    }

    /** Writes the layout under {@code dir} with the index tagged {@code tag}. */
    static Image multiArch(Path dir, String tag) {
        try {
            Files.createDirectories(dir.resolve("blobs/sha256"));
            Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
            byte[] baseTar = tar("etc/motd", "a base layer shared by both platforms\n".repeat(200));
            Blob base = Blob.of(gzip(baseTar), LAYER);
            Map<String, Blob> manifests = new LinkedHashMap<>();
            Map<String, Blob> configs = new LinkedHashMap<>();
            List<Blob> layers = new java.util.ArrayList<>(List.of(base));
            List<Map<String, Object>> children = new java.util.ArrayList<>();
            write(dir, base);
            for (String arch : List.of("amd64", "arm64")) {
                byte[] appTar = tar("bin/app", ("#!/bin/sh\necho " + arch + "\n").repeat(500 + arch.length() * 100));
                Blob app = Blob.of(gzip(appTar), LAYER);
                layers.add(app);
                Map<String, Object> config = new LinkedHashMap<>();
                config.put("created", "2026-11-01T12:00:00Z");
                config.put("architecture", arch);
                config.put("os", "linux");
                config.put("config", Map.of("Entrypoint", List.of("/bin/app"), "Cmd", List.of("--serve"),
                        "Labels", Map.of("org.opencontainers.image.title", "webapp-test",
                                "org.opencontainers.image.version", "1.0." + arch.length())));
                config.put("rootfs", Map.of("type", "layers", "diff_ids", List.of(sha256(baseTar), sha256(appTar))));
                Blob cfg = Blob.of(JSON.writeValueAsBytes(config), "application/vnd.oci.image.config.v1+json");
                configs.put(arch, cfg);
                Map<String, Object> manifest = new LinkedHashMap<>();
                manifest.put("schemaVersion", 2);
                manifest.put("mediaType", OCI_MANIFEST);
                manifest.put("config", cfg.descriptor());
                manifest.put("layers", List.of(base.descriptor(), app.descriptor()));
                Blob m = Blob.of(JSON.writeValueAsBytes(manifest), OCI_MANIFEST);
                manifests.put(arch, m);
                write(dir, app);
                write(dir, cfg);
                write(dir, m);
                Map<String, Object> child = m.descriptor();
                child.put("platform", Map.of("os", "linux", "architecture", arch));
                children.add(child);
            }
            Blob index = Blob.of(JSON.writeValueAsBytes(Map.of("schemaVersion", 2, "mediaType", OCI_INDEX,
                    "manifests", children)), OCI_INDEX);
            write(dir, index);
            Map<String, Object> ref = index.descriptor();
            ref.put("annotations", Map.of("org.opencontainers.image.ref.name", tag));
            Files.write(dir.resolve("index.json"), JSON.writeValueAsBytes(Map.of("schemaVersion", 2, "manifests", List.of(ref))));
            return new Image(dir, index, manifests, configs, layers);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The SBOM document and the artifact manifest that refers to {@code subject} with it. */
    static List<Blob> sbomFor(Blob subject) {
        try {
            Blob doc = Blob.of(("{\"spdxVersion\":\"SPDX-2.3\",\"name\":\"webapp-test\",\"packages\":[]}")
                    .getBytes(StandardCharsets.UTF_8), SBOM_TYPE);
            Blob empty = Blob.of("{}".getBytes(StandardCharsets.UTF_8), EMPTY_CONFIG);
            Map<String, Object> manifest = new LinkedHashMap<>();
            manifest.put("schemaVersion", 2);
            manifest.put("mediaType", OCI_MANIFEST);
            manifest.put("artifactType", SBOM_TYPE);
            manifest.put("config", empty.descriptor());
            manifest.put("layers", List.of(doc.descriptor()));
            manifest.put("subject", subject.descriptor());
            manifest.put("annotations", Map.of("org.opencontainers.image.created", "2026-11-02T08:00:00Z"));
            return List.of(doc, empty, Blob.of(JSON.writeValueAsBytes(manifest), OCI_MANIFEST));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A ustar archive holding one regular file. */
    static byte[] tar(String name, String content) {
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        byte[] header = new byte[512];
        put(header, 0, name);
        put(header, 100, "0000755");
        put(header, 108, "0000000");
        put(header, 116, "0000000");
        put(header, 124, String.format("%011o", data.length));
        put(header, 136, String.format("%011o", 1_761_998_400L));
        java.util.Arrays.fill(header, 148, 156, (byte) ' ');
        header[156] = '0';
        put(header, 257, "ustar");
        put(header, 263, "00");
        int sum = 0;
        for (byte b : header) {
            sum += b & 0xff;
        }
        put(header, 148, String.format("%06o", sum));
        header[155] = ' ';
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(header);
        out.writeBytes(data);
        out.writeBytes(new byte[(512 - data.length % 512) % 512]);
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    private static void put(byte[] header, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, header, at, b.length);
    }

    static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void write(Path layout, Blob blob) throws IOException {
        Files.write(layout.resolve("blobs/sha256").resolve(blob.digest().substring("sha256:".length())), blob.bytes());
    }

    static String sha256(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

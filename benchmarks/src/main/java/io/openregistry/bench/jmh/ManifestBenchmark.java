package io.openregistry.bench.jmh;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.openregistry.oci.Digest;
import io.openregistry.oci.Manifest;
import io.openregistry.oci.ManifestParser;
import io.openregistry.oci.MediaTypes;
import java.nio.charset.StandardCharsets;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * {@link ManifestParser#parse} of the manifest shapes a registry receives on every
 * {@code PUT /v2/<name>/manifests/<reference>}, in ns/op: JSON tree parse, media type resolution,
 * and validation of every descriptor (digest grammar, size). Run with {@code -prof gc} to see the
 * bytes allocated per parse ({@code gc.alloc.rate.norm}).
 *
 * <ul>
 *   <li>{@code ociImage3Layers} — an OCI image manifest: config plus three gzip layers (~0.7 KB).</li>
 *   <li>{@code dockerSchema2TenLayers} — a Docker schema2 manifest with ten layers, pretty-printed (~2 KB).</li>
 *   <li>{@code ociIndexSixPlatforms} — an OCI index of six platform manifests (~1.4 KB).</li>
 *   <li>{@code artifactWithSubject} — an artifact manifest (SBOM style): {@code artifactType}, the
 *       empty config, one layer with a title annotation, a {@code subject} and manifest
 *       annotations — the shape that feeds the referrers API (~0.8 KB).</li>
 * </ul>
 * The documents are built once with real SHA-256 digests; the parser gets the same media type in
 * the Content-Type header as in the body, as clients send it. One shared {@link ObjectMapper},
 * configured as {@code Registry} configures it (defaults).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ManifestBenchmark {
    static final String LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    final ManifestParser parser = new ManifestParser(new ObjectMapper());
    final byte[] ociImage = bytes(ociImage(3));
    final byte[] dockerSchema2 = bytes(dockerSchema2(10));
    final byte[] ociIndex = bytes(ociIndex(6));
    final byte[] artifact = bytes(artifact());

    @Benchmark
    public Manifest ociImage3Layers() {
        return parser.parse(MediaTypes.OCI_MANIFEST, ociImage);
    }

    @Benchmark
    public Manifest dockerSchema2TenLayers() {
        return parser.parse(MediaTypes.DOCKER_MANIFEST, dockerSchema2);
    }

    @Benchmark
    public Manifest ociIndexSixPlatforms() {
        return parser.parse(MediaTypes.OCI_INDEX, ociIndex);
    }

    @Benchmark
    public Manifest artifactWithSubject() {
        return parser.parse(MediaTypes.OCI_MANIFEST, artifact);
    }

    static String ociImage(int layers) {
        StringJoiner ls = new StringJoiner(",", "[", "]");
        for (int i = 0; i < layers; i++) {
            ls.add(descriptor(LAYER_GZIP, "layer-" + i, 3_000_000L + 1_234_567L * i, ""));
        }
        return "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
                + "\"config\":" + descriptor("application/vnd.oci.image.config.v1+json", "config", 1_472, "") + ","
                + "\"layers\":" + ls + "}";
    }

    static String dockerSchema2(int layers) {
        StringJoiner ls = new StringJoiner(",\n      ", "[\n      ", "\n   ]");
        for (int i = 0; i < layers; i++) {
            ls.add(descriptor(DOCKER_LAYER, "docker-layer-" + i, 500_000L + 2_345_678L * i, ""));
        }
        // docker push sends schema2 pretty-printed with three-space indentation
        return "{\n   \"schemaVersion\": 2,\n   \"mediaType\": \"" + MediaTypes.DOCKER_MANIFEST + "\",\n"
                + "   \"config\": " + descriptor("application/vnd.docker.container.image.v1+json", "docker-config", 7_023, "")
                + ",\n   \"layers\": " + ls + "\n}";
    }

    static String ociIndex(int platforms) {
        String[][] platformList = {{"amd64", "linux", null}, {"arm64", "linux", "v8"}, {"arm", "linux", "v7"},
            {"ppc64le", "linux", null}, {"s390x", "linux", null}, {"riscv64", "linux", null}};
        StringJoiner ms = new StringJoiner(",", "[", "]");
        for (int i = 0; i < platforms; i++) {
            String[] p = platformList[i % platformList.length];
            String platform = ",\"platform\":{\"architecture\":\"" + p[0] + "\",\"os\":\"" + p[1] + "\""
                    + (p[2] == null ? "" : ",\"variant\":\"" + p[2] + "\"") + "}";
            ms.add(descriptor(MediaTypes.OCI_MANIFEST, "platform-" + i, 1_000 + i, platform));
        }
        return "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":" + ms
                + ",\"annotations\":{\"org.opencontainers.image.created\":\"2024-05-01T12:00:00Z\"}}";
    }

    static String artifact() {
        String title = ",\"annotations\":{\"org.opencontainers.image.title\":\"sbom.spdx.json\"}";
        return "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
                + "\"artifactType\":\"application/spdx+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\""
                + Digest.sha256("{}".getBytes(StandardCharsets.UTF_8)) + "\",\"size\":2,\"data\":\"e30=\"},"
                + "\"layers\":[" + descriptor("application/spdx+json", "sbom", 48_211, title) + "],"
                + "\"subject\":" + descriptor(MediaTypes.OCI_MANIFEST, "subject", 1_024, "") + ","
                + "\"annotations\":{\"org.opencontainers.image.created\":\"2024-05-01T12:00:00Z\","
                + "\"org.opencontainers.image.description\":\"SPDX SBOM of the api-gateway image\","
                + "\"com.example.scanner\":\"syft 1.4.1\"}}";
    }

    /** A descriptor with a real digest of {@code seed}; {@code extra} is appended verbatim (",..."). */
    static String descriptor(String mediaType, String seed, long size, String extra) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + Digest.sha256(seed.getBytes(StandardCharsets.UTF_8))
                + "\",\"size\":" + size + extra + "}";
    }

    static byte[] bytes(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }
}

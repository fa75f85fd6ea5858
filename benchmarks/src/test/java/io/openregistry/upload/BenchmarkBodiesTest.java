package io.openregistry.upload;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.bench.jmh.ManifestBenchmark;
import io.openregistry.bench.jmh.RequestParsingBenchmark;
import io.openregistry.http.Endpoint;
import java.nio.file.Files;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Runs each benchmark body once, outside JMH, to check that it does what its name says and that
 * the pipeline benchmarks balance every buffer's reference count. No timing is asserted.
 */
class BenchmarkBodiesTest {
    private static final Blackhole BLACKHOLE = new Blackhole(
            "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");

    @Test
    void pipelineBenchmarksHashLikeTheBaselineAndLeakNothing() throws Exception {
        DigestingPipelineBenchmark b = new DigestingPipelineBenchmark();
        DigestingPipelineBenchmark.Cpu cpu = new DigestingPipelineBenchmark.Cpu();
        b.setUp();
        try {
            String expected = HexFormat.of().formatHex(b.bareSha256(cpu));
            b.checkNoLeak();

            b.pipelineToDiscard(BLACKHOLE, cpu);
            b.checkNoLeak();

            b.pipelineToFilesystem(BLACKHOLE, cpu);
            b.checkNoLeak();
            assertThat(cpu.cpuMillisPerGiB()).as("three pushes of CPU time counted").isPositive();
            // the staging file was aborted
            try (var files = Files.list(b.dir.resolve("uploads"))) {
                assertThat(files).isEmpty();
            }
            // the pipeline hashed exactly the bytes of the baseline
            b.body().map(buf -> {
                io.openregistry.storage.Buffers.hash(b.sha256, buf);
                return buf.readableBytes();
            }).blockLast();
            assertThat(HexFormat.of().formatHex(b.sha256.digest())).isEqualTo(expected);
            b.checkNoLeak();
        } finally {
            b.tearDown();
        }
        assertThat(b.prepared).allSatisfy(buf -> assertThat(buf.refCnt()).isZero());
        assertThat(b.dir).doesNotExist();
    }

    @Test
    void hashStateBodiesRestoreAndRereadCorrectly() throws Exception {
        for (io.openregistry.oci.Digest.Algorithm algorithm : io.openregistry.oci.Digest.Algorithm.values()) {
            HashStateBenchmark b = new HashStateBenchmark();
            b.algorithm = algorithm;
            b.setUp();
            try {
                assertThat(b.exportState()).isEqualTo(b.exported);
                java.security.MessageDigest copy = (java.security.MessageDigest) b.running.clone();
                assertThat(b.restoreState().digest()).isEqualTo(copy.digest());
                assertThat(b.exportAndRestore().digest()).isEqualTo(((java.security.MessageDigest) b.running.clone()).digest());
                // the re-read hashes exactly the staged bytes
                java.security.MessageDigest expected = algorithm.newMessageDigest();
                byte[] data = new byte[1 << 20];
                for (int i = 0; i < HashStateBenchmark.STAGED_MIB; i++) {
                    new java.util.SplittableRandom(i).nextBytes(data);
                    expected.update(data);
                }
                assertThat(b.rereadStaged()).isEqualTo(expected.digest());
            } finally {
                b.tearDown();
            }
            assertThat(b.dir).doesNotExist();
        }
    }

    @Test
    void requestParsingBodiesParse() {
        RequestParsingBenchmark b = new RequestParsingBenchmark();
        assertThat(b.digestParse().hex()).hasSize(64);
        assertThat(b.referenceParseTag().isDigest()).isFalse();
        assertThat(b.referenceParseDigest().isDigest()).isTrue();
        assertThat(b.isValidName()).isTrue();
        assertThat(b.routeBlobGet().endpoint()).isEqualTo(Endpoint.BLOB);
        assertThat(b.routeUploadPatch().endpoint()).isEqualTo(Endpoint.UPLOAD);
        assertThat(b.routeManifestByTag().endpoint()).isEqualTo(Endpoint.MANIFEST);
        assertThat(b.routeTagsList().endpoint()).isEqualTo(Endpoint.TAGS);
        assertThat(b.routeTagsList().name()).isEqualTo("myorg/platform-team/api-gateway");
    }

    @Test
    void manifestBodiesParse() {
        ManifestBenchmark b = new ManifestBenchmark();
        assertThat(b.ociImage3Layers().blobs()).hasSize(4);
        assertThat(b.dockerSchema2TenLayers().blobs()).hasSize(11);
        assertThat(b.ociIndexSixPlatforms().manifests()).hasSize(6);
        var artifact = b.artifactWithSubject();
        assertThat(artifact.subject()).isNotNull();
        assertThat(artifact.artifactType()).isEqualTo("application/spdx+json");
        assertThat(artifact.annotations()).hasSize(3);
    }
}

package io.openregistry.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged jar: starts with defaults plus a config file, and refuses bad configuration readably. */
class StartupIT {
    @TempDir
    Path dir;

    @Test
    void startsFromTheJarAndAnswers() throws Exception {
        try (RegistryProcess registry = RegistryProcess.start(dir)) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + registry.port() + "/v2/")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Docker-Distribution-API-Version")).hasValue("registry/2.0");
        }
    }

    @Test
    void badConfigurationStopsStartupWithTheKeyNamed() throws Exception {
        Path config = dir.resolve("registry.yaml");
        Files.writeString(config, "http:\n  addr: 127.0.0.1:0\nmanifest:\n  maxBytez: 10\n");
        assertThat(run(List.of("--config", config.toString()))).contains("manifest.maxBytez");
        assertThat(run(List.of("--config", dir.resolve("missing.yaml").toString()))).contains("config file not found");
        assertThat(run(List.of("--bogus"))).contains("unknown argument");
    }

    @Test
    void anUnreachableStorageBackendStopsStartupWithAReadableMessage() throws Exception {
        int dead;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        String ipfs = run(List.of(), Map.of("OPENREGISTRY_STORAGE_DRIVER", "ipfs",
                "OPENREGISTRY_STORAGE_IPFS_API", "http://127.0.0.1:" + dead));
        assertThat(ipfs).contains("storage.ipfs").contains("127.0.0.1:" + dead);
        String s3 = run(List.of(), Map.of("OPENREGISTRY_STORAGE_DRIVER", "s3",
                "OPENREGISTRY_STORAGE_S3_ENDPOINT", "http://127.0.0.1:" + dead, "OPENREGISTRY_STORAGE_S3_BUCKET", "b",
                "OPENREGISTRY_STORAGE_S3_ACCESS_KEY", "a", "OPENREGISTRY_STORAGE_S3_SECRET_KEY", "hidden-secret"));
        assertThat(s3).contains("storage.s3").contains("127.0.0.1:" + dead).doesNotContain("hidden-secret");
    }

    @Test
    void gcAgainstTheH2FileOfARunningRegistrySaysSoAndExits() throws Exception {
        // an H2 file is open in one process at a time: the command must say what to do instead
        try (RegistryProcess registry = RegistryProcess.start(dir.resolve("data"))) {
            String out = run(List.of("gc", "--dry-run"));
            assertThat(out).contains("in use by another process").contains("stop the registry")
                    .doesNotContain("Exception");
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + registry.port() + "/v2/")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("the registry keeps serving").isEqualTo(200);
        }
    }

    private String run(List<String> args) throws Exception {
        return run(args, Map.of());
    }

    private String run(List<String> args, Map<String, String> env) throws Exception {
        String jar = System.getProperty("registry.jar", "target/openregistry.jar");
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("OPENREGISTRY_"));
        pb.environment().put("OPENREGISTRY_HTTP_ADDR", "127.0.0.1:0");
        pb.environment().put("OPENREGISTRY_STORAGE_ROOT", dir.resolve("data").toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isEqualTo(2);
        return out;
    }
}

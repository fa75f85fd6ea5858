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

    private String run(List<String> args) throws Exception {
        String jar = System.getProperty("registry.jar", "target/openregistry.jar");
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isEqualTo(2);
        return out;
    }
}

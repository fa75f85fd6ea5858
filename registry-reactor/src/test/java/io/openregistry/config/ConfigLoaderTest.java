package io.openregistry.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    @Test
    void defaultsWithoutAnyConfiguration() {
        Config c = ConfigLoader.load(null, Map.of());
        assertThat(c.http().addr().getHostString()).isEqualTo("0.0.0.0");
        assertThat(c.http().addr().getPort()).isEqualTo(5000);
        assertThat(c.storage().root()).isEqualTo(Path.of("data").toAbsolutePath());
        assertThat(c.database().url()).startsWith("r2dbc:h2:file:////").endsWith("/data/db/registry");
        assertThat(c.manifest().maxBytes()).isEqualTo(4 * 1024 * 1024);
        assertThat(c.log().level()).isEqualTo("INFO");
    }

    @Test
    void envNamesSplitCamelCase() {
        assertThat(ConfigLoader.envName("http.addr")).isEqualTo("OPENREGISTRY_HTTP_ADDR");
        assertThat(ConfigLoader.envName("manifest.maxBytes")).isEqualTo("OPENREGISTRY_MANIFEST_MAX_BYTES");
        assertThat(ConfigLoader.envName("storage.s3.accessKey")).isEqualTo("OPENREGISTRY_STORAGE_S3_ACCESS_KEY");
    }

    @Test
    void yamlThenEnvironment() throws Exception {
        Path file = dir.resolve("c.yaml");
        Files.writeString(file, "http:\n  addr: 127.0.0.1:6000\nmanifest:\n  maxBytes: 2048\n"
                + "database:\n  url: r2dbc:postgresql://u:secret@db:5433/reg\n");
        Config c = ConfigLoader.load(file, Map.of("OPENREGISTRY_HTTP_ADDR", "[::1]:7000", "PATH", "/bin"));
        assertThat(c.http().addr().getHostString()).isEqualTo("::1");
        assertThat(c.http().addr().getPort()).isEqualTo(7000);
        assertThat(c.manifest().maxBytes()).isEqualTo(2048);
        assertThat(DatabaseUrls.jdbcUrl(c.database().url())).isEqualTo("jdbc:postgresql://db:5433/reg");
        assertThat(c.database().toString()).doesNotContain("secret");
    }

    @Test
    void mistakesNameTheKey() throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "http:\n  adr: 1\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of())).hasMessageContaining("http.adr");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_MANIFEST_MAX_BYTES", "lots")))
                .hasMessageContaining("manifest.maxBytes");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_HTTP_ADRESS", "x")))
                .hasMessageContaining("OPENREGISTRY_HTTP_ADRESS");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_HTTP_ADDR", "localhost")))
                .hasMessageContaining("http.addr");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_LOG_LEVEL", "LOUD")))
                .hasMessageContaining("log.level");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_DATABASE_URL", "mysql://x")))
                .hasMessageContaining("database.url");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("OPENREGISTRY_STORAGE_DRIVER", "tape")))
                .hasMessageContaining("storage.driver");
    }
}

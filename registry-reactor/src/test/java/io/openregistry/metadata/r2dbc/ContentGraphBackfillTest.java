package io.openregistry.metadata.r2dbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.config.Config;
import io.openregistry.metadata.ManifestEdge;
import io.openregistry.metadata.PostgresSupport;
import io.openregistry.oci.Digest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import reactor.blockhound.BlockHound;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A database holding manifests from before the content graph (migrated to V7 only) gets their
 * edges when the registry opens it (migration 8.1), on H2 and PostgreSQL; unreadable bytes get
 * none and stop nothing.
 */
class ContentGraphBackfillTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    @TempDir
    Path dir;

    /**
     * As every other test that runs Reactor code: installed before the first Reactor use in the
     * test JVM. (Run first in a JVM without it, this class left the H2 metadata contract that ran
     * after it, which installs BlockHound, hanging on its first awaits.)
     */
    @BeforeAll
    static void installBlockHound() {
        BlockHound.install();
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void manifestsStoredBeforeTheGraphGetTheirEdges(String database) throws Exception {
        PostgresSupport postgres = database.equals("postgresql") ? PostgresSupport.start() : null;
        try {
            Config.Database cfg = postgres != null ? postgres.newDatabase(2)
                    : new Config.Database("r2dbc:h2:file:///" + dir.toAbsolutePath() + "/metadata", null, null, 2);
            String jdbc = R2dbcUrls.jdbcUrl(cfg.url());
            String user = postgres != null ? PostgresSupport.USER : "sa";
            String password = postgres != null ? PostgresSupport.PASSWORD : "";
            Flyway.configure().dataSource(jdbc, user, password).locations("classpath:db/migration/" + database)
                    .target("7").load().migrate();
            Digest config = Digest.sha256("config".getBytes(StandardCharsets.UTF_8));
            Digest layer = Digest.sha256("layer".getBytes(StandardCharsets.UTF_8));
            Digest foreign = Digest.sha256("foreign".getBytes(StandardCharsets.UTF_8));
            Digest subject = Digest.sha256("subject".getBytes(StandardCharsets.UTF_8));
            String image = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                    + "\"config\":" + descriptor(config) + ",\"layers\":[" + descriptor(layer) + "," + descriptor(layer)
                    + ",{\"mediaType\":\"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip\",\"digest\":\""
                    + foreign + "\",\"size\":1}],\"subject\":" + descriptor(subject) + "}";
            Digest imageDigest = Digest.sha256(image.getBytes(StandardCharsets.UTF_8));
            String index = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
                    + "\"manifests\":[" + descriptor(imageDigest) + "]}";
            Digest indexDigest = Digest.sha256(index.getBytes(StandardCharsets.UTF_8));
            Digest junk = Digest.sha256("junk".getBytes(StandardCharsets.UTF_8));
            try (Connection c = DriverManager.getConnection(jdbc, user, password)) {
                c.createStatement().executeUpdate("INSERT INTO repositories (name) VALUES ('old/app')");
                insert(c, imageDigest, image.getBytes(StandardCharsets.UTF_8));
                insert(c, indexDigest, index.getBytes(StandardCharsets.UTF_8));
                insert(c, junk, "not json {".getBytes(StandardCharsets.UTF_8));
            }

            R2dbcMetadata meta = R2dbcMetadata.open(cfg);
            try {
                assertThat(meta.manifests().edges("old/app", imageDigest).collectList().block(WAIT)).containsExactlyInAnyOrder(
                        new ManifestEdge(ManifestEdge.Kind.CONFIG, config),
                        new ManifestEdge(ManifestEdge.Kind.LAYER, layer),
                        new ManifestEdge(ManifestEdge.Kind.LAYER, foreign),
                        new ManifestEdge(ManifestEdge.Kind.SUBJECT, subject));
                assertThat(meta.manifests().edges("old/app", indexDigest).collectList().block(WAIT))
                        .containsExactly(new ManifestEdge(ManifestEdge.Kind.MANIFEST, imageDigest));
                assertThat(meta.manifests().edges("old/app", junk).collectList().block(WAIT)).isEmpty();
                assertThat(meta.manifests().blobReferenced(layer).block(WAIT)).isTrue();
            } finally {
                meta.close();
            }
        } finally {
            if (postgres != null) {
                postgres.close();
            }
        }
    }

    private static void insert(Connection c, Digest digest, byte[] content) throws Exception {
        try (PreparedStatement st = c.prepareStatement("INSERT INTO manifests (repository, digest, media_type, size, content)"
                + " VALUES ('old/app', ?, 'application/vnd.oci.image.manifest.v1+json', ?, ?)")) {
            st.setString(1, digest.toString());
            st.setLong(2, content.length);
            st.setBytes(3, content);
            st.executeUpdate();
        }
    }

    private static String descriptor(Digest digest) {
        return "{\"mediaType\":\"application/octet-stream\",\"digest\":\"" + digest + "\",\"size\":1}";
    }

}

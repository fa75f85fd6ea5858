package io.openregistry.metadata.r2dbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.openregistry.metadata.ManifestEdge;
import io.openregistry.oci.Digest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashSet;
import java.util.Set;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.migration.Context;
import org.flywaydb.core.api.migration.JavaMigration;

/**
 * Migration 8.1, after V8 created the content graph's table: the edges of every manifest stored
 * before it, read from the stored bytes (over Flyway's JDBC connection, in its transaction, once,
 * at start). Without them a layer of an old image whose link was deleted could be collected
 * although the image still names it.
 *
 * <p>The bytes passed the manifest parser when they were pushed; this reads them leniently all the
 * same (any {@code config}, {@code layers[]}, {@code manifests[]} and {@code subject} descriptor
 * with a well-formed digest), so that a parser grown stricter since never leaves an old manifest
 * without its edges or stops the start. Non-distributable layers are layers here too, as in a put.
 */
final class ContentGraphBackfill implements JavaMigration {
    private static final int BATCH = 500;
    private final ObjectMapper json = new ObjectMapper();

    @Override
    public MigrationVersion getVersion() {
        return MigrationVersion.fromVersion("8.1");
    }

    @Override
    public String getDescription() {
        return "content graph of manifests stored before V8";
    }

    @Override
    public Integer getChecksum() {
        return null;
    }

    @Override
    public boolean canExecuteInTransaction() {
        return true;
    }

    @Override
    public void migrate(Context context) throws Exception {
        Connection c = context.getConnection();
        try (Statement select = c.createStatement();
             PreparedStatement insert = c.prepareStatement(
                     "INSERT INTO manifest_references (repository, manifest, kind, digest) VALUES (?, ?, ?, ?)")) {
            // PostgreSQL's driver streams the rows only with a fetch size inside a transaction (we are in one)
            select.setFetchSize(100);
            int pending = 0;
            try (ResultSet rows = select.executeQuery("SELECT repository, digest, content FROM manifests")) {
                while (rows.next()) {
                    String repository = rows.getString(1);
                    String manifest = rows.getString(2);
                    for (ManifestEdge edge : edges(rows.getBytes(3))) {
                        insert.setString(1, repository);
                        insert.setString(2, manifest);
                        insert.setString(3, edge.kind().column);
                        insert.setString(4, edge.digest().toString());
                        insert.addBatch();
                        if (++pending == BATCH) {
                            insert.executeBatch();
                            pending = 0;
                        }
                    }
                }
            }
            if (pending > 0) {
                insert.executeBatch();
            }
        }
    }

    /** The edges a stored manifest's bytes name (none for bytes that are not a JSON object). */
    Set<ManifestEdge> edges(byte[] content) {
        Set<ManifestEdge> edges = new LinkedHashSet<>();
        JsonNode root;
        try {
            root = json.readTree(content);
        } catch (java.io.IOException e) {
            return edges;
        }
        if (root == null || !root.isObject()) {
            return edges;
        }
        add(edges, ManifestEdge.Kind.CONFIG, root.get("config"));
        for (JsonNode layer : array(root.get("layers"))) {
            add(edges, ManifestEdge.Kind.LAYER, layer);
        }
        for (JsonNode child : array(root.get("manifests"))) {
            add(edges, ManifestEdge.Kind.MANIFEST, child);
        }
        add(edges, ManifestEdge.Kind.SUBJECT, root.get("subject"));
        return edges;
    }

    private static Iterable<JsonNode> array(JsonNode node) {
        return node != null && node.isArray() ? node : java.util.List.of();
    }

    private static void add(Set<ManifestEdge> edges, ManifestEdge.Kind kind, JsonNode descriptor) {
        if (descriptor == null || !descriptor.isObject() || !descriptor.path("digest").isTextual()) {
            return;
        }
        Digest digest = Digest.tryParse(descriptor.get("digest").asText());
        if (digest != null) {
            edges.add(new ManifestEdge(kind, digest));
        }
    }
}

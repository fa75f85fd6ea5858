package io.openregistry.metadata.r2dbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.openregistry.metadata.OrgStore.AuditEntry;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Row;
import java.util.Locale;
import reactor.core.publisher.Mono;

/** The audit log's writes (always inside the transaction of the change) and its small JSON details. */
final class Audit {
    static final String COLUMNS = "id, namespace, actor, action, target, detail, at";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Audit() {
    }

    /** Records one change in the caller's transaction. */
    static Mono<Void> record(Connection conn, String namespace, String actor, String action, String target,
                             String detail) {
        return Db.update(conn, "INSERT INTO audit_log (namespace, actor, action, target, detail, at)"
                + " VALUES ($1, $2, $3, $4, $5, $6)", namespace, actor, action, target, detail, Sql.now()).then();
    }

    static AuditEntry entry(Row row) {
        return new AuditEntry(((Number) row.get(0)).longValue(), row.get(1, String.class), row.get(2, String.class),
                row.get(3, String.class), row.get(4, String.class), row.get(5, String.class), Sql.instant(row, 6));
    }

    /**
     * A JSON object of the given key/value pairs; values are strings, booleans or numbers, and enums
     * (written as lower-case strings, as the management API spells roles).
     */
    static String detail(Object... pairs) {
        ObjectNode json = JSON.createObjectNode();
        for (int i = 0; i < pairs.length; i += 2) {
            Object value = pairs[i + 1];
            json.putPOJO((String) pairs[i], value instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT) : value);
        }
        try {
            return JSON.writeValueAsString(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("audit detail not writable as JSON", e);
        }
    }
}

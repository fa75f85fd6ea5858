package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.OrgStore.AuditEntry;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Row;
import java.util.Locale;
import reactor.core.publisher.Mono;

/** The audit log's writes (always inside the transaction of the change) and its small JSON details. */
final class Audit {
    static final String COLUMNS = "id, namespace, actor, action, target, detail, at";

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
     * A JSON object of the given key/value pairs; values are strings (quoted), booleans or numbers,
     * and enums (written as lower-case strings, as the management API spells roles).
     */
    static String detail(Object... pairs) {
        StringBuilder json = new StringBuilder("{");
        for (int i = 0; i < pairs.length; i += 2) {
            json.append(i == 0 ? "" : ",");
            quote(json, (String) pairs[i]);
            json.append(':');
            Object value = pairs[i + 1];
            if (value == null) {
                json.append("null");
            } else if (value instanceof Boolean || value instanceof Number) {
                json.append(value);
            } else if (value instanceof Enum<?> e) {
                quote(json, e.name().toLowerCase(Locale.ROOT));
            } else {
                quote(json, value.toString());
            }
        }
        return json.append('}').toString();
    }

    private static void quote(StringBuilder json, String text) {
        json.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                json.append('\\').append(c);
            } else if (c < 0x20) {
                json.append(String.format("\\u%04x", (int) c));
            } else {
                json.append(c);
            }
        }
        json.append('"');
    }
}

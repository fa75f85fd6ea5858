package io.openregistry.metadata.r2dbc;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The few statements that differ between H2 and PostgreSQL. Everything else is plain SQL that both
 * accept, with {@code $n} placeholders.
 */
enum Dialect {
    H2("h2"),
    POSTGRESQL("postgresql");

    /** The Flyway location suffix and the {@code DatabaseUrls.driver} name. */
    final String driver;

    Dialect(String driver) {
        this.driver = driver;
    }

    static Dialect of(String driver) {
        for (Dialect d : values()) {
            if (d.driver.equals(driver)) {
                return d;
            }
        }
        throw new IllegalArgumentException("no SQL dialect for driver " + driver);
    }

    /**
     * An INSERT of {@code columns} (bound as $1..$n in that order) that does nothing when a row with
     * the same {@code keys} exists.
     */
    String insertIfAbsent(String table, List<String> columns, List<String> keys) {
        String cols = String.join(", ", columns);
        if (this == POSTGRESQL) {
            // ON CONFLICT waits for a concurrent inserter and then skips: no error under contention.
            return "INSERT INTO " + table + " (" + cols + ") VALUES (" + placeholders(columns.size())
                    + ") ON CONFLICT (" + String.join(", ", keys) + ") DO NOTHING";
        }
        // H2 has no ON CONFLICT. MERGE ... KEY would update (and lock) an existing row, which we do
        // not want for rows that are "first one wins"; a racing inserter gets a duplicate key error
        // instead, and Db retries the transaction, which then sees the committed row and skips.
        String match = keys.stream()
                .map(k -> k + " = " + "$" + (columns.indexOf(k) + 1))
                .collect(Collectors.joining(" AND "));
        return "INSERT INTO " + table + " (" + cols + ") SELECT " + placeholders(columns.size())
                + " WHERE NOT EXISTS (SELECT 1 FROM " + table + " WHERE " + match + ")";
    }

    /** An INSERT of {@code columns} that replaces the other columns of an existing row with the same keys. */
    String upsert(String table, List<String> columns, List<String> keys) {
        String cols = String.join(", ", columns);
        if (this == POSTGRESQL) {
            String set = columns.stream().filter(c -> !keys.contains(c))
                    .map(c -> c + " = EXCLUDED." + c)
                    .collect(Collectors.joining(", "));
            return "INSERT INTO " + table + " (" + cols + ") VALUES (" + placeholders(columns.size())
                    + ") ON CONFLICT (" + String.join(", ", keys) + ") DO UPDATE SET " + set;
        }
        return "MERGE INTO " + table + " (" + cols + ") KEY (" + String.join(", ", keys) + ") VALUES ("
                + placeholders(columns.size()) + ")";
    }

    /**
     * The database's current time plus the milliseconds bound at {@code param} (e.g. {@code "$3"}):
     * lease expiries are computed in database time, so that replicas whose clocks disagree still
     * agree on who holds a lease.
     */
    String nowPlusMillis(String param) {
        if (this == POSTGRESQL) {
            return "(CURRENT_TIMESTAMP + CAST(" + param + " AS BIGINT) * INTERVAL '1 millisecond')";
        }
        return "DATEADD(MILLISECOND, CAST(" + param + " AS BIGINT), CURRENT_TIMESTAMP)";
    }

    /**
     * {@code update} (an UPDATE statement) as a query of {@code columns} of the rows it changed, as
     * they are after it: one round trip instead of an update and a select.
     */
    String returning(String update, String columns) {
        if (this == POSTGRESQL) {
            return update + " RETURNING " + columns;
        }
        return "SELECT " + columns + " FROM FINAL TABLE (" + update + ")";
    }

    /** {@code $from, $from+1, ...} for {@code count} parameters. */
    static String placeholders(int from, int count) {
        return IntStream.range(from, from + count).mapToObj(i -> "$" + i).collect(Collectors.joining(", "));
    }

    private static String placeholders(int count) {
        return placeholders(1, count);
    }
}

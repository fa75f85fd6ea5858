package io.openregistry.metadata.r2dbc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The plans PostgreSQL makes for a statement prepared as the driver prepares it: the one made for
 * the given values (a custom plan) and the generic one, which PostgreSQL may switch to for a
 * statement used again (the driver's statement cache reuses them). Printed for the record.
 */
final class PreparedPlans {
    private static final String GENERIC = "-- force_generic_plan";

    private PreparedPlans() {
    }

    /**
     * @param explain  the EXPLAIN options, e.g. {@code ANALYZE, BUFFERS}
     * @param types    the parameters' types, e.g. {@code text, bigint}
     * @param literals SQL literals for $1, $2, …
     * @return the custom plan, then a line {@code -- force_generic_plan: …}, then the generic plan
     */
    static String of(Connection jdbc, String explain, String sql, String types, String... literals) throws SQLException {
        String name = "q" + Math.abs(sql.hashCode());
        List<String> lines = new ArrayList<>();
        for (String mode : List.of("force_custom_plan", "force_generic_plan")) {
            lines.add("-- " + mode + ": " + String.join(", ", literals));
            try (Statement s = jdbc.createStatement()) {
                s.execute("DEALLOCATE ALL");
                s.execute("SET plan_cache_mode = " + mode);
                s.execute("PREPARE " + name + "(" + types + ") AS " + sql);
                try (ResultSet rows = s.executeQuery("EXPLAIN (" + explain + ") EXECUTE " + name
                        + "(" + String.join(", ", literals) + ")")) {
                    while (rows.next()) {
                        lines.add(rows.getString(1));
                    }
                }
                s.execute("RESET plan_cache_mode");
            }
        }
        String plan = String.join("\n", lines);
        System.out.println(sql + "\n" + plan);
        return plan;
    }

    /** The custom part of a plan {@link #of} made. */
    static String custom(String plan) {
        return plan.substring(0, plan.indexOf(GENERIC));
    }
}

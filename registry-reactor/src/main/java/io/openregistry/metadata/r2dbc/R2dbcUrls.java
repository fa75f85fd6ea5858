package io.openregistry.metadata.r2dbc;

import io.openregistry.config.ConfigException;
import io.openregistry.config.DatabaseUrls;
import io.r2dbc.spi.ConnectionFactoryOptions;

/** The configured R2DBC URL read with the R2DBC SPI: its options, and the JDBC URL Flyway migrates through. */
final class R2dbcUrls {
    private R2dbcUrls() {
    }

    /** The equivalent JDBC URL (without credentials). */
    static String jdbcUrl(String r2dbcUrl) {
        if (DatabaseUrls.driver(r2dbcUrl).equals("h2")) {
            return DatabaseUrls.h2JdbcUrl(r2dbcUrl);
        }
        ConnectionFactoryOptions o = options(r2dbcUrl);
        Object host = o.getValue(ConnectionFactoryOptions.HOST);
        Object port = o.getValue(ConnectionFactoryOptions.PORT);
        Object db = o.getValue(ConnectionFactoryOptions.DATABASE);
        if (host == null) {
            throw new ConfigException("database.url: the PostgreSQL URL names no host");
        }
        return "jdbc:postgresql://" + host + ":" + (port == null ? 5432 : port) + "/" + (db == null ? "" : db);
    }

    static ConnectionFactoryOptions options(String r2dbcUrl) {
        try {
            return ConnectionFactoryOptions.parse(r2dbcUrl);
        } catch (RuntimeException e) {
            throw new ConfigException("database.url: cannot parse '" + DatabaseUrls.redact(r2dbcUrl) + "': "
                    + e.getMessage());
        }
    }
}

package io.openregistry.config;

import io.r2dbc.spi.ConnectionFactoryOptions;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/** Derives the JDBC URL used for migrations from the configured R2DBC URL. */
public final class DatabaseUrls {
    private DatabaseUrls() {
    }

    /** The driver name of an R2DBC URL: {@code h2} or {@code postgresql}. */
    public static String driver(String r2dbcUrl) {
        if (r2dbcUrl.startsWith("r2dbc:h2:")) {
            return "h2";
        }
        if (r2dbcUrl.startsWith("r2dbc:postgresql:") || r2dbcUrl.startsWith("r2dbc:pool:postgresql:")) {
            return "postgresql";
        }
        throw new ConfigException("database.url: unsupported URL '" + redact(r2dbcUrl)
                + "'; expected r2dbc:h2:file:////absolute/path or r2dbc:postgresql://user:pass@host:port/db");
    }

    /** The equivalent JDBC URL (without credentials). */
    public static String jdbcUrl(String r2dbcUrl) {
        String driver = driver(r2dbcUrl);
        if (driver.equals("h2")) {
            // r2dbc:h2:file:////abs/path[;opts] -> jdbc:h2:file:/abs/path ; r2dbc:h2:mem:///name -> jdbc:h2:mem:name
            String rest = r2dbcUrl.substring("r2dbc:h2:".length());
            int q = rest.indexOf('?');
            String options = q >= 0 ? h2Settings(rest.substring(q + 1)) : "";
            String base = q >= 0 ? rest.substring(0, q) : rest;
            String jdbc;
            if (base.startsWith("file://")) {
                jdbc = "jdbc:h2:file:" + base.substring("file://".length()).replaceFirst("^/+", "/");
            } else if (base.startsWith("mem://")) {
                jdbc = "jdbc:h2:mem:" + base.substring("mem://".length()).replaceFirst("^/+", "");
            } else {
                throw new ConfigException("database.url: H2 URLs must be r2dbc:h2:file:////absolute/path or r2dbc:h2:mem:///name");
            }
            return options.isEmpty() ? jdbc : jdbc + ";" + options;
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

    /**
     * The H2 settings of an r2dbc-h2 query string as a JDBC URL suffix. r2dbc-h2 takes its H2
     * settings from {@code options=K=V;K=V} (and single settings as {@code K=V} parameters), so
     * {@code options} is unpacked rather than passed on as a setting named "options", which JDBC H2
     * would reject.
     */
    private static String h2Settings(String query) {
        StringBuilder settings = new StringBuilder();
        for (String param : query.split("&")) {
            if (param.isEmpty()) {
                continue;
            }
            int eq = param.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? param : param.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(param.substring(eq + 1), StandardCharsets.UTF_8);
            String setting = key.equals("options") ? value : key + "=" + value;
            if (!setting.isEmpty()) {
                settings.append(settings.length() == 0 ? "" : ";").append(setting);
            }
        }
        return settings.toString();
    }

    public static ConnectionFactoryOptions options(String r2dbcUrl) {
        try {
            return ConnectionFactoryOptions.parse(r2dbcUrl);
        } catch (RuntimeException e) {
            throw new ConfigException("database.url: cannot parse '" + redact(r2dbcUrl) + "': " + e.getMessage());
        }
    }

    /** The URL with any password replaced, for messages and logs. */
    public static String redact(String url) {
        if (url == null) {
            return null;
        }
        return url.replaceAll("(//[^:/@]+:)[^@/]*@", "$1***@");
    }
}

package io.openregistry.config;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * What the configuration needs to know about an R2DBC URL, by string work alone: which driver it
 * names, whether it has the shape that driver needs, its H2 JDBC twin, and a redacted form for
 * logs. Parsing PostgreSQL URLs with the R2DBC SPI is the metadata layer's business
 * ({@code metadata.r2dbc.R2dbcUrls}), so this package depends on no database driver.
 */
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

    /**
     * Stops startup with a message naming {@code database.url} when the URL cannot work: an
     * unknown driver, an H2 URL that is neither a file nor an in-memory database, a PostgreSQL URL
     * without a host.
     */
    public static void check(String r2dbcUrl) {
        if (driver(r2dbcUrl).equals("h2")) {
            h2JdbcUrl(r2dbcUrl);
            return;
        }
        int authority = r2dbcUrl.indexOf("//");
        String rest = authority < 0 ? "" : r2dbcUrl.substring(authority + 2);
        String hostPart = rest.split("[/?]", 2)[0];
        hostPart = hostPart.substring(hostPart.lastIndexOf('@') + 1);
        if (hostPart.isEmpty() || hostPart.startsWith(":")) {
            throw new ConfigException("database.url: the PostgreSQL URL names no host");
        }
    }

    /**
     * The JDBC URL of an H2 R2DBC URL: {@code r2dbc:h2:file:////abs/path[?opts]} becomes
     * {@code jdbc:h2:file:/abs/path[;opts]}, {@code r2dbc:h2:mem:///name} becomes {@code jdbc:h2:mem:name}.
     */
    public static String h2JdbcUrl(String r2dbcUrl) {
        if (!r2dbcUrl.startsWith("r2dbc:h2:")) {
            throw new IllegalArgumentException("not an H2 URL");
        }
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

    /** The URL with any password replaced, for messages and logs. */
    public static String redact(String url) {
        if (url == null) {
            return null;
        }
        return url.replaceAll("(//[^:/@]+:)[^@/]*@", "$1***@");
    }
}

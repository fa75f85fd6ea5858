package io.openregistry.metadata;

import io.openregistry.config.Config;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL server for tests (zonky embedded binaries, no Docker), handing out a fresh,
 * empty database per call so that tests sharing one server do not see each other's rows.
 * Start one per test class and close it afterwards.
 */
public final class PostgresSupport implements AutoCloseable {
    /** The superuser of the embedded cluster; it trusts local connections, so no password. */
    public static final String USER = "postgres";
    public static final String PASSWORD = "";

    private final EmbeddedPostgres postgres;
    private final AtomicInteger databases = new AtomicInteger();

    private PostgresSupport(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /** Starts a server on a free port (takes a few seconds the first time: it unpacks the binaries). */
    public static PostgresSupport start() {
        try {
            return new PostgresSupport(EmbeddedPostgres.builder().start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
        }
    }

    /** Creates a new empty database and returns its name. */
    public String createDatabase() {
        String name = "test_" + databases.incrementAndGet();
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name, e);
        }
        return name;
    }

    /** The R2DBC URL of database {@code name} on this server. */
    public String r2dbcUrl(String name) {
        return "r2dbc:postgresql://localhost:" + postgres.getPort() + "/" + name;
    }

    /** The JDBC URL of database {@code name} on this server. */
    public String jdbcUrl(String name) {
        return postgres.getJdbcUrl(USER, name);
    }

    /** A configuration for a fresh database, with explicit credentials. */
    public Config.Database newDatabase(int poolSize) {
        return new Config.Database(r2dbcUrl(createDatabase()), USER, PASSWORD, poolSize);
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

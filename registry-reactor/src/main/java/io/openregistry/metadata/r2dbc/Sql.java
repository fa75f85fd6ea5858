package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.Page;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Row;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Statements and helpers shared by several stores. */
final class Sql {
    /** IN lists are sent in slices of this many, to keep statements and their plans small. */
    static final int IN_LIST_SLICE = 200;

    private Sql() {
    }

    /** Creates the repository unless it exists, inside the caller's transaction. */
    static Mono<Long> ensureRepository(Db db, Connection conn, String repository) {
        return Db.update(conn, db.dialect.insertIfAbsent("repositories",
                List.of("name", "created_at", "is_public"), List.of("name")), repository, now(), db.newRepositoriesPublic);
    }

    /**
     * Runs {@code sql}, which must contain the token {@code IN_LIST} where {@code ($2, $3, …)}
     * belongs, with {@code first} as $1 and the items as the list, slice by slice.
     */
    static <T> Flux<T> inList(Db db, String sql, String first, Collection<?> items, Function<Row, T> mapper) {
        if (items.isEmpty()) {
            return Flux.empty();
        }
        return Flux.fromIterable(slices(items)).concatMap(slice -> {
            Object[] args = new Object[slice.size() + 1];
            args[0] = first;
            for (int i = 0; i < slice.size(); i++) {
                args[i + 1] = slice.get(i);
            }
            String statement = sql.replace("IN_LIST", "(" + Dialect.placeholders(2, slice.size()) + ")");
            return db.query(statement, mapper, args);
        });
    }

    /**
     * As {@link #inList}, on {@code conn} (inside the caller's transaction): {@code sql} contains
     * {@code IN_LIST}; {@code leading} are bound as $1…$k and the items after them, slice by slice,
     * one statement after another (a connection runs one at a time).
     */
    static <T> Flux<T> inListOn(Connection conn, String sql, List<Object> leading, Collection<?> items,
                                Function<Row, T> mapper) {
        if (items.isEmpty()) {
            return Flux.empty();
        }
        return Flux.fromIterable(slices(items)).concatMap(slice -> {
            List<Object> args = new ArrayList<>(leading);
            args.addAll(slice);
            String statement = sql.replace("IN_LIST", "(" + Dialect.placeholders(leading.size() + 1, slice.size()) + ")");
            return Db.query(conn, statement, mapper, args.toArray());
        });
    }

    /** As {@link #inListOn} for an update. @return the number of rows changed */
    static Mono<Long> updateInListOn(Connection conn, String sql, List<Object> leading, Collection<?> items) {
        if (items.isEmpty()) {
            return Mono.just(0L);
        }
        return Flux.fromIterable(slices(items)).concatMap(slice -> {
            List<Object> args = new ArrayList<>(leading);
            args.addAll(slice);
            String statement = sql.replace("IN_LIST", "(" + Dialect.placeholders(leading.size() + 1, slice.size()) + ")");
            return Db.update(conn, statement, args.toArray());
        }).reduce(0L, Long::sum);
    }

    /** The distinct items in slices of at most {@link #IN_LIST_SLICE}, in their order. */
    private static List<List<Object>> slices(Collection<?> items) {
        List<Object> distinct = items.stream().distinct().map(o -> (Object) o).toList();
        List<List<Object>> slices = new ArrayList<>();
        for (int i = 0; i < distinct.size(); i += IN_LIST_SLICE) {
            slices.add(distinct.subList(i, Math.min(distinct.size(), i + IN_LIST_SLICE)));
        }
        return slices;
    }

    /**
     * A page of a single-column name listing. {@code sqlAfter} and {@code sqlAll} select the names
     * in byte order with {@code $1} = the scope (when {@code scope} is not null), then {@code last}
     * (only in {@code sqlAfter}), then the limit.
     */
    static Mono<Page> page(Db db, String sqlAll, String sqlAfter, String scope, String last, int n) {
        int limit = Math.max(0, n);
        List<Object> args = new ArrayList<>();
        if (scope != null) {
            args.add(scope);
        }
        if (last != null) {
            args.add(last);
        }
        // One more than asked tells whether another page follows (as a long: n may be Integer.MAX_VALUE).
        args.add(limit + 1L);
        return page(db.query(last == null ? sqlAll : sqlAfter, row -> row.get(0, String.class), args.toArray()), limit);
    }

    /** A page from names selected in byte order with a limit of {@code n + 1} (which tells whether more follow). */
    static Mono<Page> page(Flux<String> namesPlusOne, int n) {
        int limit = Math.max(0, n);
        return namesPlusOne.collectList()
                .map(names -> names.size() > limit
                        ? new Page(List.copyOf(names.subList(0, limit)), true)
                        : new Page(List.copyOf(names), false));
    }

    /** The current time at the precision both databases keep, so that a record read back equals the one written. */
    static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }

    static Instant instant(Row row, int index) {
        OffsetDateTime t = row.get(index, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    /**
     * The LIKE pattern of names containing {@code text}: its {@code %}, {@code _} and backslash escaped
     * with a backslash, the default escape character of LIKE in PostgreSQL and H2.
     */
    static String containing(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('%');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%' || c == '_' || c == '\\') {
                out.append('\\');
            }
            out.append(c);
        }
        return out.append('%').toString();
    }
}

package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.BrowseStore;
import io.openregistry.oci.Digest;
import io.r2dbc.spi.Row;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@link BrowseStore} over R2DBC. Every read is one statement (a page of tags, the sizes of a
 * page's manifests in slices of {@link Sql#IN_LIST_SLICE}), served by primary keys and the
 * indexes of V8 ({@code manifest_references}) and V15 ({@code tags_pushed}).
 */
final class R2dbcBrowseStore implements BrowseStore {
    /** The latest manifest push or tag move of repository {@code r}. */
    private static final String PUSHED = "(SELECT MAX(created_at) FROM manifests WHERE repository = r.name),"
            + " (SELECT MAX(updated_at) FROM tags WHERE repository = r.name)";
    private static final String SUMMARIES = "SELECT r.name, r.is_public, " + PUSHED
            + " FROM repositories r WHERE r.name IN IN_LIST";
    private static final String USAGE = "SELECT (SELECT COUNT(*) FROM tags WHERE repository = $1),"
            + " (SELECT CAST(COALESCE(SUM(b.size), 0) AS BIGINT) FROM repository_blobs l JOIN blobs b ON b.digest = l.digest"
            + " WHERE l.repository = $1),"
            + " (SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM manifests WHERE repository = $1),"
            + " (SELECT MAX(created_at) FROM manifests WHERE repository = $1),"
            + " (SELECT MAX(updated_at) FROM tags WHERE repository = $1)";
    /**
     * Per manifest ($2…), its distinct config and layer blobs and those of its children (an index),
     * summed over the blobs the registry stores ($1 = repository).
     */
    private static final String BLOB_SIZES = "SELECT s.m, CAST(SUM(b.size) AS BIGINT) FROM ("
            + "SELECT r.manifest AS m, r.digest AS d FROM manifest_references r"
            + " WHERE r.repository = $1 AND r.manifest IN IN_LIST AND r.kind IN ('config', 'layer')"
            + " UNION SELECT c.manifest AS m, r.digest AS d FROM manifest_references c JOIN manifest_references r"
            + " ON r.repository = c.repository AND r.manifest = c.digest AND r.kind IN ('config', 'layer')"
            + " WHERE c.repository = $1 AND c.manifest IN IN_LIST AND c.kind = 'manifest'"
            + ") s JOIN blobs b ON b.digest = s.d GROUP BY s.m";
    /** Per manifest ($2…), its own bytes and those of its child manifests ($1 = repository). */
    private static final String MANIFEST_SIZES = "SELECT m.digest, CAST(m.size + COALESCE((SELECT SUM(x.size)"
            + " FROM manifest_references c JOIN manifests x ON x.repository = c.repository AND x.digest = c.digest"
            + " WHERE c.repository = m.repository AND c.manifest = m.digest AND c.kind = 'manifest'), 0) AS BIGINT)"
            + " FROM manifests m WHERE m.repository = $1 AND m.digest IN IN_LIST";

    private final Db db;

    R2dbcBrowseStore(Db db) {
        this.db = db;
    }

    @Override
    public Flux<Summary> summaries(Collection<String> names) {
        if (names.isEmpty()) {
            return Flux.empty();
        }
        return db.run(conn -> Sql.inListOn(conn, SUMMARIES, List.of(), names,
                row -> new Summary(row.get(0, String.class), Boolean.TRUE.equals(row.get(1, Boolean.class)),
                        later(Sql.instant(row, 2), Sql.instant(row, 3)))));
    }

    @Override
    public Mono<Usage> usage(String repository) {
        return db.query(USAGE, row -> new Usage(number(row, 0), number(row, 1) + number(row, 2),
                later(Sql.instant(row, 3), Sql.instant(row, 4))), repository).single();
    }

    @Override
    public Flux<Tag> tags(String repository, String contains, TagOrder order, boolean descending, TagCursor after,
                          int limit) {
        List<Object> args = new ArrayList<>(List.of(repository));
        if (contains != null) {
            args.add(Sql.containing(contains));
        }
        if (after != null && order == TagOrder.NAME) {
            args.add(after.name());
        } else if (after != null) {
            args.add(after.pushedAt());
            args.add(after.name());
        }
        args.add((long) Math.max(0, limit));
        return db.query(tagsStatement(contains != null, order, descending, after != null), row -> new Tag(
                row.get(0, String.class), Digest.parse(row.get(1, String.class)), row.get(2, String.class),
                number(row, 3), Sql.instant(row, 4)), args.toArray());
    }

    /**
     * The statement of a tag page: $1 = repository, then the LIKE pattern ({@code contains}), then
     * the cursor ({@code after}: the name, or in push order the time and the name), then the limit.
     * In push order the keyset is (updated_at, name), ties in push time broken by name, read from
     * the cursor in the index {@code tags_pushed}; in name order the primary key's range.
     */
    static String tagsStatement(boolean contains, TagOrder order, boolean descending, boolean after) {
        StringBuilder sql = new StringBuilder("SELECT t.name, t.digest, m.media_type, m.size, t.updated_at FROM tags t"
                + " JOIN manifests m ON m.repository = t.repository AND m.digest = t.digest WHERE t.repository = $1");
        int next = 2;
        if (contains) {
            sql.append(" AND t.name LIKE $").append(next++);
        }
        String beyond = descending ? " < " : " > ";
        if (after && order == TagOrder.NAME) {
            sql.append(" AND t.name").append(beyond).append('$').append(next++);
        } else if (after) {
            // a row comparison, not "a < x OR (a = x AND b < y)": PostgreSQL bounds the index scan by
            // it, where the OR form is a filter over every tag newer than the cursor
            sql.append(" AND (t.updated_at, t.name)").append(beyond).append("($").append(next).append(", $")
                    .append(next + 1).append(')');
            next += 2;
        }
        String direction = descending ? " DESC" : " ASC";
        sql.append(order == TagOrder.NAME ? " ORDER BY t.name" + direction
                : " ORDER BY t.updated_at" + direction + ", t.name" + direction);
        return sql.append(" LIMIT $").append(next).toString();
    }

    @Override
    public Mono<Map<Digest, Long>> sizes(String repository, Collection<Digest> manifests) {
        List<String> digests = manifests.stream().map(Digest::toString).distinct().toList();
        Flux<Object[]> own = Sql.inList(db, MANIFEST_SIZES, repository, digests,
                row -> new Object[] {row.get(0, String.class), number(row, 1)});
        Flux<Object[]> blobs = Sql.inList(db, BLOB_SIZES, repository, digests,
                row -> new Object[] {row.get(0, String.class), number(row, 1)});
        return own.collectList().zipWith(blobs.collectList(), (stored, blobSizes) -> {
            Map<Digest, Long> out = new HashMap<>();
            stored.forEach(r -> out.put(Digest.parse((String) r[0]), (Long) r[1]));
            // blobs only of manifests that are stored
            blobSizes.forEach(r -> out.computeIfPresent(Digest.parse((String) r[0]), (d, size) -> size + (Long) r[1]));
            return out;
        });
    }

    @Override
    public Flux<String> tagsOf(String repository, Digest digest) {
        return db.query("SELECT name FROM tags WHERE repository = $1 AND digest = $2 ORDER BY name",
                row -> row.get(0, String.class), repository, digest);
    }

    @Override
    public Mono<Void> addPulls(Map<PullKey, Long> counts) {
        if (counts.isEmpty()) {
            return Mono.empty();
        }
        String add = db.dialect == Dialect.POSTGRESQL
                ? "INSERT INTO repository_pulls (repository, pulled_on, pulls) SELECT name, CAST($2 AS DATE),"
                        + " CAST($3 AS BIGINT) FROM repositories WHERE name = $1 ON CONFLICT (repository, pulled_on)"
                        + " DO UPDATE SET pulls = repository_pulls.pulls + EXCLUDED.pulls"
                : "MERGE INTO repository_pulls t USING (SELECT name AS repository, CAST($2 AS DATE) AS pulled_on,"
                        + " CAST($3 AS BIGINT) AS pulls FROM repositories WHERE name = $1) s"
                        + " ON t.repository = s.repository AND t.pulled_on = s.pulled_on"
                        + " WHEN MATCHED THEN UPDATE SET pulls = t.pulls + s.pulls"
                        + " WHEN NOT MATCHED THEN INSERT (repository, pulled_on, pulls) VALUES (s.repository, s.pulled_on, s.pulls)";
        // in key order, so that two replicas flushing the same keys lock them in the same order
        List<Map.Entry<PullKey, Long>> entries = new ArrayList<>(counts.entrySet());
        entries.sort(Map.Entry.comparingByKey(java.util.Comparator.comparing(PullKey::repository)
                .thenComparing(PullKey::day)));
        return db.transaction(conn -> Flux.fromIterable(entries).concatMap(e ->
                Db.update(conn, add, e.getKey().repository(), e.getKey().day(), e.getValue()))).then();
    }

    @Override
    public Mono<Pulls> pulls(String repository, LocalDate from) {
        Mono<List<DayCount>> days = db.query("SELECT pulled_on, pulls FROM repository_pulls WHERE repository = $1"
                        + " AND pulled_on >= $2 ORDER BY pulled_on",
                row -> new DayCount(row.get(0, LocalDate.class), number(row, 1)), repository, from).collectList();
        Mono<Long> total = db.query("SELECT CAST(COALESCE(SUM(pulls), 0) AS BIGINT) FROM repository_pulls"
                + " WHERE repository = $1", row -> number(row, 0), repository).single();
        return days.zipWith(total, Pulls::new);
    }

    private static long number(Row row, int index) {
        Number n = (Number) row.get(index);
        return n == null ? 0 : n.longValue();
    }

    private static Instant later(Instant a, Instant b) {
        return a == null ? b : b == null || a.isAfter(b) ? a : b;
    }
}

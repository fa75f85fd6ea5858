package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.OrgStore.Outcome;
import io.openregistry.metadata.OrgStore.RepoRole;
import io.openregistry.metadata.OrgStore.Robot;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Robot accounts: a row each, and one row per repository listed for it (read back with a left join). */
final class Robots {
    private static final String COLUMNS = "b.name, b.namespace, b.secret_hash, b.description, b.role, b.all_repositories,"
            + " b.may_create, b.expires_at, b.last_used_at, b.created_by, b.created_at";
    private static final String SELECT = "SELECT " + COLUMNS + ", l.repository FROM robots b"
            + " LEFT JOIN robot_repositories l ON l.robot = b.name";
    /** Listed repositories per INSERT. */
    private static final int LISTED_PER_STATEMENT = 200;

    private final Db db;

    Robots(Db db) {
        this.db = db;
    }

    Mono<Outcome> create(Robot robot, String actor) {
        String insert = db.dialect.insertIfAbsent("robots", List.of("name", "namespace", "secret_hash", "description",
                "role", "all_repositories", "may_create", "expires_at", "last_used_at", "created_by", "created_at"),
                List.of("name"));
        return db.transaction(conn -> Db.query(conn, "SELECT 1 FROM namespaces WHERE name = $1", row -> true, robot.namespace())
                        .hasElements()
                        .flatMap(found -> !found ? Mono.just(Outcome.NOT_FOUND)
                                : Db.update(conn, insert, robot.name(), robot.namespace(), robot.secretHash(),
                                                robot.description(), robot.role().name(), robot.allRepositories(),
                                                robot.mayCreate(), time(robot.expiresAt()), time(robot.lastUsedAt()),
                                                robot.createdBy(), robot.createdAt() == null ? Sql.now() : robot.createdAt())
                                        .flatMap(rows -> rows == 0 ? Mono.just(Outcome.TAKEN)
                                                : list(conn, robot.name(), robot.repositories())
                                                        .then(Audit.record(conn, robot.namespace(), actor, "robot.create",
                                                                robot.name(), detail(robot)))
                                                        .thenReturn(Outcome.DONE))))
                .single();
    }

    Mono<Robot> find(String name) {
        return fold(db.query(SELECT + " WHERE b.name = $1 ORDER BY l.repository", Robots::row, name)).singleOrEmpty();
    }

    Flux<Robot> of(String namespace) {
        return fold(db.query(SELECT + " WHERE b.namespace = $1 ORDER BY b.name, l.repository", Robots::row, namespace));
    }

    Mono<Outcome> update(Robot robot, String actor) {
        return db.transaction(conn -> Db.update(conn, "UPDATE robots SET description = $1, role = $2, all_repositories = $3,"
                                        + " may_create = $4, expires_at = $5 WHERE name = $6", robot.description(),
                                robot.role().name(), robot.allRepositories(), robot.mayCreate(), time(robot.expiresAt()),
                                robot.name())
                        .flatMap(rows -> rows == 0 ? Mono.just(Outcome.NOT_FOUND)
                                : Db.update(conn, "DELETE FROM robot_repositories WHERE robot = $1", robot.name())
                                        .then(list(conn, robot.name(), robot.repositories()))
                                        .then(Audit.record(conn, namespace(robot.name()), actor, "robot.update", robot.name(),
                                                detail(robot)))
                                        .thenReturn(Outcome.DONE)))
                .single();
    }

    Mono<Outcome> replaceSecret(String name, String secretHash, String actor) {
        return db.transaction(conn -> Db.update(conn, "UPDATE robots SET secret_hash = $1 WHERE name = $2", secretHash, name)
                        .flatMap(rows -> rows == 0 ? Mono.just(Outcome.NOT_FOUND)
                                : Audit.record(conn, namespace(name), actor, "robot.secret", name, null)
                                        .thenReturn(Outcome.DONE)))
                .single();
    }

    Mono<Outcome> delete(String name, String actor) {
        return db.transaction(conn -> Db.update(conn, "DELETE FROM robots WHERE name = $1", name)
                        .flatMap(rows -> rows == 0 ? Mono.just(Outcome.NOT_FOUND)
                                : Audit.record(conn, namespace(name), actor, "robot.delete", name, null)
                                        .thenReturn(Outcome.DONE)))
                .single();
    }

    /** The namespace of a robot's full name {@code <namespace>+<short>}. */
    private static String namespace(String robot) {
        int plus = robot.indexOf('+');
        return plus < 0 ? robot : robot.substring(0, plus);
    }

    private static String detail(Robot robot) {
        return Audit.detail("role", robot.role(), "allRepositories", robot.allRepositories(), "mayCreate", robot.mayCreate(),
                "repositories", robot.repositories().size(),
                "expiresAt", robot.expiresAt() == null ? null : robot.expiresAt().toString());
    }

    private static Object time(java.time.Instant t) {
        return t == null ? Db.NULL_TIME : t;
    }

    /** Inserts the listed repositories, many per statement. */
    private static Mono<Void> list(Connection conn, String robot, List<String> repositories) {
        List<String> distinct = repositories.stream().distinct().toList();
        List<List<String>> batches = new ArrayList<>();
        for (int i = 0; i < distinct.size(); i += LISTED_PER_STATEMENT) {
            batches.add(distinct.subList(i, Math.min(distinct.size(), i + LISTED_PER_STATEMENT)));
        }
        return Flux.fromIterable(batches).concatMap(batch -> {
            StringBuilder values = new StringBuilder();
            Object[] args = new Object[batch.size() * 2];
            for (int i = 0; i < batch.size(); i++) {
                values.append(i == 0 ? "" : ", ").append('(').append(Dialect.placeholders(i * 2 + 1, 2)).append(')');
                args[i * 2] = robot;
                args[i * 2 + 1] = batch.get(i);
            }
            return Db.update(conn, "INSERT INTO robot_repositories (robot, repository) VALUES " + values, args);
        }).then();
    }

    /** A robot's columns and one listed repository (null when it lists none). */
    private record RobotRow(Robot robot, String repository) {
    }

    private static RobotRow row(Row row) {
        Robot robot = new Robot(row.get(0, String.class), row.get(1, String.class), row.get(2, String.class),
                row.get(3, String.class), RepoRole.valueOf(row.get(4, String.class)),
                Boolean.TRUE.equals(row.get(5, Boolean.class)), Boolean.TRUE.equals(row.get(6, Boolean.class)), List.of(),
                Sql.instant(row, 7), Sql.instant(row, 8), row.get(9, String.class), Sql.instant(row, 10));
        return new RobotRow(robot, row.get(11, String.class));
    }

    /** Folds consecutive rows of one robot (ordered by robot name) into the robot with its list. */
    private static Flux<Robot> fold(Flux<RobotRow> rows) {
        return rows.bufferUntilChanged(r -> r.robot().name())
                .map(group -> {
                    Robot r = group.get(0).robot();
                    List<String> listed = group.stream().map(RobotRow::repository).filter(Objects::nonNull).toList();
                    return new Robot(r.name(), r.namespace(), r.secretHash(), r.description(), r.role(),
                            r.allRepositories(), r.mayCreate(), listed, r.expiresAt(), r.lastUsedAt(), r.createdBy(),
                            r.createdAt());
                });
    }
}

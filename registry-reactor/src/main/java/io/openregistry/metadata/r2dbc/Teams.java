package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.OrgStore.OrgRole;
import io.openregistry.metadata.OrgStore.Outcome;
import io.openregistry.metadata.OrgStore.RepoRole;
import io.openregistry.metadata.OrgStore.Team;
import io.r2dbc.spi.Row;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Teams of organizations, their members (members of the organization) and listed repositories. */
final class Teams {
    private static final String TEAM_COLUMNS = "organization, name, description, role, all_repositories, may_create, created_at";

    private final Db db;

    Teams(Db db) {
        this.db = db;
    }

    Flux<Team> teams(String organization) {
        return db.query("SELECT " + TEAM_COLUMNS + " FROM teams WHERE organization = $1 ORDER BY name",
                Teams::team, organization);
    }

    Mono<Team> team(String organization, String name) {
        return db.query("SELECT " + TEAM_COLUMNS + " FROM teams WHERE organization = $1 AND name = $2",
                Teams::team, organization, name).singleOrEmpty();
    }

    Mono<Outcome> createTeam(Team team, String actor) {
        String insert = db.dialect.insertIfAbsent("teams", List.of("organization", "name", "description", "role",
                "all_repositories", "may_create", "created_at"), List.of("organization", "name"));
        return db.transaction(conn -> OrgSteps.exists(conn, "SELECT 1 FROM organizations WHERE name = $1", team.organization())
                        .flatMap(found -> !found ? Mono.just(Outcome.NOT_FOUND)
                                : Db.update(conn, insert, team.organization(), team.name(), team.description(),
                                                team.role().name(), team.allRepositories(), team.mayCreate(),
                                                team.createdAt() == null ? Sql.now() : team.createdAt())
                                        .flatMap(rows -> rows == 0 ? Mono.just(Outcome.TAKEN)
                                                : Audit.record(conn, team.organization(), actor, "team.create", team.name(),
                                                        teamDetail(team)).thenReturn(Outcome.DONE))))
                .single();
    }

    Mono<Outcome> updateTeam(Team team, String actor) {
        return db.transaction(conn -> Db.update(conn, "UPDATE teams SET description = $1, role = $2, all_repositories = $3,"
                                        + " may_create = $4 WHERE organization = $5 AND name = $6", team.description(),
                                team.role().name(), team.allRepositories(), team.mayCreate(), team.organization(), team.name())
                        .flatMap(rows -> rows == 0 ? Mono.just(Outcome.NOT_FOUND)
                                : Audit.record(conn, team.organization(), actor, "team.update", team.name(), teamDetail(team))
                                        .thenReturn(Outcome.DONE)))
                .single();
    }

    private static String teamDetail(Team team) {
        return Audit.detail("role", team.role(), "allRepositories", team.allRepositories(), "mayCreate", team.mayCreate());
    }

    Mono<Outcome> deleteTeam(String organization, String name, String actor) {
        return db.transaction(conn -> Db.update(conn, "DELETE FROM teams WHERE organization = $1 AND name = $2",
                                organization, name)
                        .flatMap(rows -> rows == 0 ? Mono.just(Outcome.NOT_FOUND)
                                : Audit.record(conn, organization, actor, "team.delete", name, null).thenReturn(Outcome.DONE)))
                .single();
    }

    Flux<String> teamMembers(String organization, String team) {
        return db.query("SELECT username FROM team_members WHERE organization = $1 AND team = $2 ORDER BY username",
                row -> row.get(0, String.class), organization, team);
    }

    Mono<Outcome> addTeamMember(String organization, String team, String username, String actor) {
        String addToOrg = db.dialect.insertIfAbsent("org_members", List.of("organization", "username", "role", "added_at"),
                List.of("organization", "username"));
        String addToTeam = db.dialect.insertIfAbsent("team_members", List.of("organization", "team", "username"),
                List.of("organization", "team", "username"));
        return db.transaction(conn -> OrgSteps.lockOrganization(conn, organization)
                        .flatMap(found -> !found ? Mono.just(false)
                                : OrgSteps.exists(conn, "SELECT 1 FROM teams WHERE organization = $1 AND name = $2", organization, team))
                        .flatMap(found -> !found ? Mono.just(false)
                                : OrgSteps.exists(conn, "SELECT 1 FROM accounts WHERE username = $1", username))
                        .flatMap(found -> !found ? Mono.just(Outcome.NOT_FOUND)
                                : Db.update(conn, addToOrg, organization, username, OrgRole.MEMBER.name(), Sql.now())
                                        .flatMap(joined -> joined == 0 ? Mono.empty()
                                                : Audit.record(conn, organization, actor, "member.set", username,
                                                        Audit.detail("role", OrgRole.MEMBER)))
                                        .then(Db.update(conn, addToTeam, organization, team, username))
                                        .flatMap(added -> added == 0 ? Mono.empty()
                                                : Audit.record(conn, organization, actor, "team.member.add", username,
                                                        Audit.detail("team", team)))
                                        .thenReturn(Outcome.DONE)))
                .single();
    }

    Mono<Outcome> removeTeamMember(String organization, String team, String username, String actor) {
        return db.transaction(conn -> Db.update(conn, "DELETE FROM team_members WHERE organization = $1 AND team = $2"
                                + " AND username = $3", organization, team, username)
                        .flatMap(rows -> rows == 0 ? Mono.just(Outcome.NOT_FOUND)
                                : Audit.record(conn, organization, actor, "team.member.remove", username,
                                        Audit.detail("team", team)).thenReturn(Outcome.DONE)))
                .single();
    }

    Flux<String> teamRepositories(String organization, String team) {
        return db.query("SELECT repository FROM team_repositories WHERE organization = $1 AND team = $2 ORDER BY repository",
                row -> row.get(0, String.class), organization, team);
    }

    Mono<Outcome> addTeamRepository(String organization, String team, String repository, String actor) {
        String insert = db.dialect.insertIfAbsent("team_repositories", List.of("organization", "team", "repository"),
                List.of("organization", "team", "repository"));
        return db.transaction(conn -> OrgSteps.exists(conn, "SELECT 1 FROM teams WHERE organization = $1 AND name = $2", organization, team)
                        .flatMap(found -> !found ? Mono.just(Outcome.NOT_FOUND)
                                : Db.update(conn, insert, organization, team, repository)
                                        .flatMap(added -> added == 0 ? Mono.empty()
                                                : Audit.record(conn, organization, actor, "team.repository.add", repository,
                                                        Audit.detail("team", team)))
                                        .thenReturn(Outcome.DONE)))
                .single();
    }

    Mono<Outcome> removeTeamRepository(String organization, String team, String repository, String actor) {
        return db.transaction(conn -> Db.update(conn, "DELETE FROM team_repositories WHERE organization = $1 AND team = $2"
                                + " AND repository = $3", organization, team, repository)
                        .flatMap(rows -> rows == 0 ? Mono.just(Outcome.NOT_FOUND)
                                : Audit.record(conn, organization, actor, "team.repository.remove", repository,
                                        Audit.detail("team", team)).thenReturn(Outcome.DONE)))
                .single();
    }

    private static Team team(Row row) {
        return new Team(row.get(0, String.class), row.get(1, String.class), row.get(2, String.class),
                RepoRole.valueOf(row.get(3, String.class)), Boolean.TRUE.equals(row.get(4, Boolean.class)),
                Boolean.TRUE.equals(row.get(5, Boolean.class)), Sql.instant(row, 6));
    }
}

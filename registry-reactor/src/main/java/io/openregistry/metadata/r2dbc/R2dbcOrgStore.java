package io.openregistry.metadata.r2dbc;

import io.openregistry.metadata.AccountStore.Account;
import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.Page;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Row;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Org mode over R2DBC (migration V13). Every change runs in one transaction with its audit entry;
 * a change that would change nothing (the same role again, a member already there) writes none.
 * Changes to an organization's membership lock the organization's row first, so that two of them
 * (two owners demoting each other) run one after the other and the last-owner rule holds.
 * Roles and kinds are stored as their enum names.
 */
final class R2dbcOrgStore implements OrgStore {

    private final Db db;
    private final OrgAccess access;
    private final RepositoryRemoval removal;
    private final Robots robots;
    private final Teams teams;
    private final AccountAdministration accounts;
    private final String claim;

    /** @param localFeed where to announce repository deletions on H2; null on PostgreSQL, whose triggers do */
    R2dbcOrgStore(Db db, LocalChangeFeed localFeed) {
        this.db = db;
        this.access = new OrgAccess(db);
        this.removal = new RepositoryRemoval(db, localFeed);
        this.robots = new Robots(db);
        this.teams = new Teams(db);
        this.accounts = new AccountAdministration(db, removal);
        this.claim = claimStatement(db);
    }

    /** The insert that claims a name in the shared name space; it changes no row when the name is taken. */
    static String claimStatement(Db db) {
        return db.dialect.insertIfAbsent("namespaces", List.of("name", "kind", "created_at"), List.of("name"));
    }

    // --- the shared name space ---

    @Override
    public Mono<NamespaceKind> namespaceKind(String name) {
        return db.query("SELECT kind FROM namespaces WHERE name = $1", row -> NamespaceKind.valueOf(row.get(0, String.class)),
                name).singleOrEmpty();
    }

    // --- organizations ---

    @Override
    public Mono<Outcome> createOrganization(String name, String owner, Instant at) {
        Instant when = at == null ? Sql.now() : at;
        return db.transaction(conn -> OrgSteps.exists(conn, "SELECT 1 FROM accounts WHERE username = $1", owner)
                        .flatMap(ownerExists -> !ownerExists ? Mono.just(Outcome.NOT_FOUND)
                                : Db.update(conn, claim, name, NamespaceKind.ORGANIZATION.name(), when)
                                        .flatMap(claimed -> claimed == 0 ? Mono.just(Outcome.TAKEN)
                                                : Db.update(conn, "INSERT INTO organizations (name, created_by, created_at)"
                                                                + " VALUES ($1, $2, $3)", name, owner, when)
                                                        .then(Db.update(conn, "INSERT INTO org_members (organization,"
                                                                        + " username, role, added_at) VALUES ($1, $2, $3, $4)",
                                                                name, owner, OrgRole.OWNER.name(), when))
                                                        .then(Audit.record(conn, name, owner, "org.create", name, null))
                                                        .thenReturn(Outcome.DONE))))
                .single();
    }

    @Override
    public Mono<Organization> organization(String name) {
        return db.query("SELECT name, created_by, created_at FROM organizations WHERE name = $1",
                R2dbcOrgStore::organization, name).singleOrEmpty();
    }

    @Override
    public Mono<List<Organization>> organizations(String last, int n) {
        return db.query("SELECT name, created_by, created_at FROM organizations WHERE name > $1 ORDER BY name LIMIT $2",
                R2dbcOrgStore::organization, last == null ? "" : last, (long) Math.max(0, n)).collectList();
    }

    @Override
    public Flux<Member> membershipsOf(String username) {
        return db.query("SELECT organization, username, role, added_at FROM org_members WHERE username = $1"
                + " ORDER BY organization", R2dbcOrgStore::member, username);
    }

    @Override
    public Mono<Outcome> deleteOrganization(String name, boolean withRepositories, String actor) {
        return organization(name).hasElement()
                .flatMap(found -> !found ? Mono.just(Outcome.NOT_FOUND)
                        : holdsRepositories(name).flatMap(holds -> {
                            if (holds && !withRepositories) {
                                return Mono.just(Outcome.HOLDS_REPOSITORIES);
                            }
                            // the per-repository entries go with the namespace's log: the registry-wide
                            // org.delete entry keeps their count
                            return (holds ? removal.deleteAll(name, actor) : Mono.just(0L))
                                    .flatMap(repositories -> db.transaction(conn -> OrgSteps.lockOrganization(conn, name)
                                            .flatMap(stillThere -> !stillThere ? Mono.just(Outcome.NOT_FOUND)
                                                    : OrgSteps.holdsRepositories(conn, name).flatMap(holdsNow -> holdsNow
                                                            // pushed into meanwhile: refuse rather than leave them ownerless
                                                            ? Mono.just(Outcome.HOLDS_REPOSITORIES)
                                                            : OrgSteps.dropNamespace(conn, name)
                                                                    .then(Audit.record(conn, null, actor, "org.delete", name,
                                                                            Audit.detail("repositories", repositories)))
                                                                    .thenReturn(Outcome.DONE)))).single());
                        }));
    }

    // --- members ---

    @Override
    public Flux<Member> members(String organization) {
        return db.query("SELECT organization, username, role, added_at FROM org_members WHERE organization = $1"
                + " ORDER BY username", R2dbcOrgStore::member, organization);
    }

    @Override
    public Mono<Member> member(String organization, String username) {
        return db.query("SELECT organization, username, role, added_at FROM org_members WHERE organization = $1"
                + " AND username = $2", R2dbcOrgStore::member, organization, username).singleOrEmpty();
    }

    @Override
    public Mono<Outcome> setMember(String organization, String username, OrgRole role, String actor) {
        return db.transaction(conn -> OrgSteps.lockOrganization(conn, organization)
                        .flatMap(found -> found ? OrgSteps.exists(conn, "SELECT 1 FROM accounts WHERE username = $1", username)
                                : Mono.just(false))
                        .flatMap(found -> !found ? Mono.just(Outcome.NOT_FOUND)
                                : role(conn, organization, username).map(Optional::of).defaultIfEmpty(Optional.empty())
                                        .flatMap(current -> current.isPresent()
                                                ? changeRole(conn, organization, username, current.get(), role, actor)
                                                : Db.update(conn, "INSERT INTO org_members (organization, username, role,"
                                                                + " added_at) VALUES ($1, $2, $3, $4)",
                                                                organization, username, role.name(), Sql.now())
                                                        .then(Audit.record(conn, organization, actor, "member.set", username,
                                                                Audit.detail("role", role)))
                                                        .thenReturn(Outcome.DONE))))
                .single();
    }

    private static Mono<Outcome> changeRole(Connection conn, String organization, String username, OrgRole current,
                                            OrgRole role, String actor) {
        if (current == role) {
            return Mono.just(Outcome.DONE);
        }
        return (current == OrgRole.OWNER ? owners(conn, organization) : Mono.just(Long.MAX_VALUE))
                .flatMap(owners -> owners <= 1 ? Mono.just(Outcome.LAST_OWNER)
                        : Db.update(conn, "UPDATE org_members SET role = $1 WHERE organization = $2 AND username = $3",
                                        role.name(), organization, username)
                                .then(Audit.record(conn, organization, actor, "member.set", username,
                                        Audit.detail("role", role)))
                                .thenReturn(Outcome.DONE));
    }

    @Override
    public Mono<Outcome> removeMember(String organization, String username, String actor) {
        return db.transaction(conn -> OrgSteps.lockOrganization(conn, organization)
                        .flatMap(found -> !found ? Mono.empty() : role(conn, organization, username))
                        .flatMap(current -> (current == OrgRole.OWNER ? owners(conn, organization) : Mono.just(Long.MAX_VALUE))
                                .flatMap(owners -> owners <= 1 ? Mono.just(Outcome.LAST_OWNER)
                                        // its team memberships go with it (team_members' foreign key)
                                        : Db.update(conn, "DELETE FROM org_members WHERE organization = $1 AND username = $2",
                                                        organization, username)
                                                .then(Audit.record(conn, organization, actor, "member.remove", username, null))
                                                .thenReturn(Outcome.DONE)))
                        .defaultIfEmpty(Outcome.NOT_FOUND))
                .single();
    }

    // --- teams ---

    @Override
    public Flux<Team> teams(String organization) {
        return teams.teams(organization);
    }

    @Override
    public Mono<Team> team(String organization, String name) {
        return teams.team(organization, name);
    }

    @Override
    public Mono<Outcome> createTeam(Team team, String actor) {
        return teams.createTeam(team, actor);
    }

    @Override
    public Mono<Outcome> updateTeam(Team team, String actor) {
        return teams.updateTeam(team, actor);
    }

    @Override
    public Mono<Outcome> deleteTeam(String organization, String name, String actor) {
        return teams.deleteTeam(organization, name, actor);
    }

    @Override
    public Flux<String> teamMembers(String organization, String team) {
        return teams.teamMembers(organization, team);
    }

    @Override
    public Mono<Outcome> addTeamMember(String organization, String team, String username, String actor) {
        return teams.addTeamMember(organization, team, username, actor);
    }

    @Override
    public Mono<Outcome> removeTeamMember(String organization, String team, String username, String actor) {
        return teams.removeTeamMember(organization, team, username, actor);
    }

    @Override
    public Flux<String> teamRepositories(String organization, String team) {
        return teams.teamRepositories(organization, team);
    }

    @Override
    public Mono<Outcome> addTeamRepository(String organization, String team, String repository, String actor) {
        return teams.addTeamRepository(organization, team, repository, actor);
    }

    @Override
    public Mono<Outcome> removeTeamRepository(String organization, String team, String repository, String actor) {
        return teams.removeTeamRepository(organization, team, repository, actor);
    }

    // --- direct grants ---

    @Override
    public Flux<Grant> grants(String repository) {
        return db.query("SELECT repository, username, role, granted_at FROM repository_grants WHERE repository = $1"
                        + " ORDER BY username",
                row -> new Grant(row.get(0, String.class), row.get(1, String.class), RepoRole.valueOf(row.get(2, String.class)),
                        Sql.instant(row, 3)), repository);
    }

    @Override
    public Mono<Outcome> setGrant(String repository, String username, RepoRole role, String actor) {
        String insert = db.dialect.insertIfAbsent("repository_grants",
                List.of("repository", "username", "role", "granted_at"), List.of("repository", "username"));
        return db.transaction(conn -> OrgSteps.exists(conn, "SELECT 1 FROM accounts WHERE username = $1", username)
                        .flatMap(found -> !found ? Mono.just(Outcome.NOT_FOUND)
                                // insert, else change: no row to lock first, so two first grants racing
                                // cannot both "insert" (the loser's insert does nothing and its update,
                                // which sees the winner's committed row, applies its role)
                                : Db.update(conn, insert, repository, username, role.name(), Sql.now())
                                        .flatMap(inserted -> inserted > 0 ? Mono.just(inserted)
                                                : Db.update(conn, "UPDATE repository_grants SET role = $1 WHERE repository = $2"
                                                        + " AND username = $3 AND role <> $4", role.name(), repository, username, role.name()))
                                        .flatMap(rows -> rows == 0 ? Mono.empty()
                                                : Audit.record(conn, OrgAccess.namespaceOf(repository), actor, "grant.set",
                                                        repository, Audit.detail("user", username, "role", role)))
                                        .thenReturn(Outcome.DONE)))
                .single();
    }

    @Override
    public Mono<Outcome> removeGrant(String repository, String username, String actor) {
        return db.transaction(conn -> Db.update(conn, "DELETE FROM repository_grants WHERE repository = $1 AND username = $2",
                                repository, username)
                        .flatMap(rows -> rows == 0 ? Mono.just(Outcome.NOT_FOUND)
                                : Audit.record(conn, OrgAccess.namespaceOf(repository), actor, "grant.remove", repository,
                                        Audit.detail("user", username)).thenReturn(Outcome.DONE)))
                .single();
    }

    // --- robots ---

    @Override
    public Mono<Outcome> createRobot(Robot robot, String actor) {
        return robots.create(robot, actor);
    }

    @Override
    public Mono<Robot> robot(String name) {
        return robots.find(name);
    }

    @Override
    public Flux<Robot> robots(String namespace) {
        return robots.of(namespace);
    }

    @Override
    public Mono<Outcome> updateRobot(Robot robot, String actor) {
        return robots.update(robot, actor);
    }

    @Override
    public Mono<Outcome> replaceRobotSecret(String name, String secretHash, String actor) {
        return robots.replaceSecret(name, secretHash, actor);
    }

    @Override
    public Mono<Outcome> deleteRobot(String name, String actor) {
        return robots.delete(name, actor);
    }

    @Override
    public Mono<Void> robotUsed(String name, Instant at) {
        // replicas report their uses in any order: the time only moves forward
        return db.update("UPDATE robots SET last_used_at = $1 WHERE name = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
                at, name).then();
    }

    // --- accounts ---

    @Override
    public Mono<List<Account>> accounts(String last, int n) {
        return accounts.accounts(last, n);
    }

    @Override
    public Mono<Outcome> setDisabled(String username, boolean disabled, String actor) {
        return accounts.setDisabled(username, disabled, actor);
    }

    @Override
    public Mono<Outcome> setPasswordHash(String username, String passwordHash, boolean endSessions, String actor) {
        return accounts.setPasswordHash(username, passwordHash, endSessions, actor);
    }

    @Override
    public Mono<Outcome> deleteAccount(String username, boolean withRepositories, String actor) {
        return accounts.deleteAccount(username, withRepositories, actor);
    }

    // --- repositories ---

    @Override
    public Mono<Long> deleteRepositories(String namespace, String actor) {
        return removal.deleteAll(namespace, actor);
    }

    @Override
    public Mono<Outcome> setVisibility(String repository, boolean isPublic, String actor) {
        return db.transaction(conn -> Db.query(conn, "SELECT is_public FROM repositories WHERE name = $1 FOR UPDATE",
                                row -> row.get(0, Boolean.class), repository)
                        .singleOrEmpty()
                        .flatMap(current -> current == isPublic ? Mono.just(Outcome.DONE)
                                : Db.update(conn, "UPDATE repositories SET is_public = $1 WHERE name = $2", isPublic, repository)
                                        .then(Audit.record(conn, OrgAccess.namespaceOf(repository), actor,
                                                "repository.visibility", repository, Audit.detail("public", isPublic)))
                                        .thenReturn(Outcome.DONE))
                        .defaultIfEmpty(Outcome.NOT_FOUND))
                .single();
    }

    // --- access ---

    @Override
    public Mono<AccessFacts> accessFacts(String username, String repository) {
        return access.facts(username, repository);
    }

    @Override
    public Mono<Page> catalogFor(String username, String robot, boolean admin, String last, int n, String contains) {
        return access.catalog(username, robot, admin, last, n, contains);
    }

    // --- audit ---

    @Override
    public Mono<List<AuditEntry>> audit(String namespace, Long beforeId, int n) {
        long before = beforeId == null ? Long.MAX_VALUE : beforeId;
        long limit = Math.max(0, n);
        Flux<AuditEntry> entries = namespace == null
                ? db.query("SELECT " + Audit.COLUMNS + " FROM audit_log WHERE namespace IS NULL AND id < $1"
                        + " ORDER BY id DESC LIMIT $2", Audit::entry, before, limit)
                : db.query("SELECT " + Audit.COLUMNS + " FROM audit_log WHERE namespace = $1 AND id < $2"
                        + " ORDER BY id DESC LIMIT $3", Audit::entry, namespace, before, limit);
        return entries.collectList();
    }

    // --- shared steps ---

    private static Mono<OrgRole> role(Connection conn, String organization, String username) {
        return Db.query(conn, "SELECT role FROM org_members WHERE organization = $1 AND username = $2",
                row -> OrgRole.valueOf(row.get(0, String.class)), organization, username).singleOrEmpty();
    }

    private static Mono<Long> owners(Connection conn, String organization) {
        return Db.query(conn, "SELECT COUNT(*) FROM org_members WHERE organization = $1 AND role = 'OWNER'",
                row -> ((Number) row.get(0)).longValue(), organization).single();
    }

    private Mono<Boolean> holdsRepositories(String namespace) {
        return db.run(conn -> OrgSteps.holdsRepositories(conn, namespace)).single();
    }

    private static Organization organization(Row row) {
        return new Organization(row.get(0, String.class), row.get(1, String.class), Sql.instant(row, 2));
    }

    private static Member member(Row row) {
        return new Member(row.get(0, String.class), row.get(1, String.class), OrgRole.valueOf(row.get(2, String.class)),
                Sql.instant(row, 3));
    }
}

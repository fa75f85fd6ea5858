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
    private static final String TEAM_COLUMNS = "organization, name, description, role, all_repositories, may_create, created_at";
    private static final String ACCOUNT_COLUMNS = "username, password_hash, is_admin, created_at, disabled";

    private final Db db;
    private final OrgAccess access;
    private final RepositoryRemoval removal;
    private final Robots robots;
    private final String claim;

    /** @param localFeed where to announce repository deletions on H2; null on PostgreSQL, whose triggers do */
    R2dbcOrgStore(Db db, LocalChangeFeed localFeed) {
        this.db = db;
        this.access = new OrgAccess(db);
        this.removal = new RepositoryRemoval(db, localFeed);
        this.robots = new Robots(db);
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
        return db.transaction(conn -> exists(conn, "SELECT 1 FROM accounts WHERE username = $1", owner)
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
                            return (holds ? removal.deleteAll(name, actor) : Mono.just(0L))
                                    .then(db.transaction(conn -> lockOrganization(conn, name)
                                            .flatMap(stillThere -> !stillThere ? Mono.just(Outcome.NOT_FOUND)
                                                    : holdsRepositories(conn, name).flatMap(holdsNow -> holdsNow
                                                            // pushed into meanwhile: refuse rather than leave them ownerless
                                                            ? Mono.just(Outcome.HOLDS_REPOSITORIES)
                                                            : dropNamespace(conn, name)
                                                                    .then(Audit.record(conn, null, actor, "org.delete", name, null))
                                                                    .thenReturn(Outcome.DONE)))).single());
                        }));
    }

    /**
     * Deletes a namespace's row, which takes its organization (members, teams with their members
     * and listings) and robots with it (the foreign keys' cascades), the grants on repositories of
     * the namespace, which may outlive the repositories they name, and its audit log, which a next
     * owner of the name must not read.
     */
    private static Mono<Void> dropNamespace(Connection conn, String name) {
        String prefix = name + "/";
        return Db.update(conn, "DELETE FROM repository_grants WHERE LEFT(repository, $1) = $2", prefix.length(), prefix)
                .then(Db.update(conn, "DELETE FROM namespaces WHERE name = $1", name))
                .then(Db.update(conn, "DELETE FROM audit_log WHERE namespace = $1", name))
                .then();
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
        return db.transaction(conn -> lockOrganization(conn, organization)
                        .flatMap(found -> found ? exists(conn, "SELECT 1 FROM accounts WHERE username = $1", username)
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
        return db.transaction(conn -> lockOrganization(conn, organization)
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
        return db.query("SELECT " + TEAM_COLUMNS + " FROM teams WHERE organization = $1 ORDER BY name",
                R2dbcOrgStore::team, organization);
    }

    @Override
    public Mono<Team> team(String organization, String name) {
        return db.query("SELECT " + TEAM_COLUMNS + " FROM teams WHERE organization = $1 AND name = $2",
                R2dbcOrgStore::team, organization, name).singleOrEmpty();
    }

    @Override
    public Mono<Outcome> createTeam(Team team, String actor) {
        String insert = db.dialect.insertIfAbsent("teams", List.of("organization", "name", "description", "role",
                "all_repositories", "may_create", "created_at"), List.of("organization", "name"));
        return db.transaction(conn -> exists(conn, "SELECT 1 FROM organizations WHERE name = $1", team.organization())
                        .flatMap(found -> !found ? Mono.just(Outcome.NOT_FOUND)
                                : Db.update(conn, insert, team.organization(), team.name(), team.description(),
                                                team.role().name(), team.allRepositories(), team.mayCreate(),
                                                team.createdAt() == null ? Sql.now() : team.createdAt())
                                        .flatMap(rows -> rows == 0 ? Mono.just(Outcome.TAKEN)
                                                : Audit.record(conn, team.organization(), actor, "team.create", team.name(),
                                                        teamDetail(team)).thenReturn(Outcome.DONE))))
                .single();
    }

    @Override
    public Mono<Outcome> updateTeam(Team team, String actor) {
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

    @Override
    public Mono<Outcome> deleteTeam(String organization, String name, String actor) {
        return db.transaction(conn -> Db.update(conn, "DELETE FROM teams WHERE organization = $1 AND name = $2",
                                organization, name)
                        .flatMap(rows -> rows == 0 ? Mono.just(Outcome.NOT_FOUND)
                                : Audit.record(conn, organization, actor, "team.delete", name, null).thenReturn(Outcome.DONE)))
                .single();
    }

    @Override
    public Flux<String> teamMembers(String organization, String team) {
        return db.query("SELECT username FROM team_members WHERE organization = $1 AND team = $2 ORDER BY username",
                row -> row.get(0, String.class), organization, team);
    }

    @Override
    public Mono<Outcome> addTeamMember(String organization, String team, String username, String actor) {
        String addToOrg = db.dialect.insertIfAbsent("org_members", List.of("organization", "username", "role", "added_at"),
                List.of("organization", "username"));
        String addToTeam = db.dialect.insertIfAbsent("team_members", List.of("organization", "team", "username"),
                List.of("organization", "team", "username"));
        return db.transaction(conn -> lockOrganization(conn, organization)
                        .flatMap(found -> !found ? Mono.just(false)
                                : exists(conn, "SELECT 1 FROM teams WHERE organization = $1 AND name = $2", organization, team))
                        .flatMap(found -> !found ? Mono.just(false)
                                : exists(conn, "SELECT 1 FROM accounts WHERE username = $1", username))
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

    @Override
    public Mono<Outcome> removeTeamMember(String organization, String team, String username, String actor) {
        return db.transaction(conn -> Db.update(conn, "DELETE FROM team_members WHERE organization = $1 AND team = $2"
                                + " AND username = $3", organization, team, username)
                        .flatMap(rows -> rows == 0 ? Mono.just(Outcome.NOT_FOUND)
                                : Audit.record(conn, organization, actor, "team.member.remove", username,
                                        Audit.detail("team", team)).thenReturn(Outcome.DONE)))
                .single();
    }

    @Override
    public Flux<String> teamRepositories(String organization, String team) {
        return db.query("SELECT repository FROM team_repositories WHERE organization = $1 AND team = $2 ORDER BY repository",
                row -> row.get(0, String.class), organization, team);
    }

    @Override
    public Mono<Outcome> addTeamRepository(String organization, String team, String repository, String actor) {
        String insert = db.dialect.insertIfAbsent("team_repositories", List.of("organization", "team", "repository"),
                List.of("organization", "team", "repository"));
        return db.transaction(conn -> exists(conn, "SELECT 1 FROM teams WHERE organization = $1 AND name = $2", organization, team)
                        .flatMap(found -> !found ? Mono.just(Outcome.NOT_FOUND)
                                : Db.update(conn, insert, organization, team, repository)
                                        .flatMap(added -> added == 0 ? Mono.empty()
                                                : Audit.record(conn, organization, actor, "team.repository.add", repository,
                                                        Audit.detail("team", team)))
                                        .thenReturn(Outcome.DONE)))
                .single();
    }

    @Override
    public Mono<Outcome> removeTeamRepository(String organization, String team, String repository, String actor) {
        return db.transaction(conn -> Db.update(conn, "DELETE FROM team_repositories WHERE organization = $1 AND team = $2"
                                + " AND repository = $3", organization, team, repository)
                        .flatMap(rows -> rows == 0 ? Mono.just(Outcome.NOT_FOUND)
                                : Audit.record(conn, organization, actor, "team.repository.remove", repository,
                                        Audit.detail("team", team)).thenReturn(Outcome.DONE)))
                .single();
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
        return db.transaction(conn -> exists(conn, "SELECT 1 FROM accounts WHERE username = $1", username)
                        .flatMap(found -> !found ? Mono.just(Outcome.NOT_FOUND)
                                : Db.query(conn, "SELECT role FROM repository_grants WHERE repository = $1 AND username = $2"
                                                + " FOR UPDATE", row -> row.get(0, String.class), repository, username)
                                        .singleOrEmpty().map(Optional::of).defaultIfEmpty(Optional.empty())
                                        .flatMap(current -> current.isEmpty()
                                                ? Db.update(conn, insert, repository, username, role.name(), Sql.now())
                                                : current.get().equals(role.name()) ? Mono.just(0L)
                                                : Db.update(conn, "UPDATE repository_grants SET role = $1 WHERE repository = $2"
                                                        + " AND username = $3", role.name(), repository, username))
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
        return db.update("UPDATE robots SET last_used_at = $1 WHERE name = $2", at, name).then();
    }

    // --- accounts ---

    @Override
    public Mono<List<Account>> accounts(String last, int n) {
        return db.query("SELECT " + ACCOUNT_COLUMNS + " FROM accounts WHERE username > $1 ORDER BY username LIMIT $2",
                R2dbcOrgStore::account, last == null ? "" : last, (long) Math.max(0, n)).collectList();
    }

    /** An account row of {@link #ACCOUNT_COLUMNS}. */
    static Account account(Row row) {
        return new Account(row.get(0, String.class), row.get(1, String.class), Boolean.TRUE.equals(row.get(2, Boolean.class)),
                Sql.instant(row, 3), Boolean.TRUE.equals(row.get(4, Boolean.class)));
    }

    @Override
    public Mono<Outcome> setDisabled(String username, boolean disabled, String actor) {
        return db.transaction(conn -> Db.update(conn, "UPDATE accounts SET disabled = $1 WHERE username = $2", disabled, username)
                        .flatMap(rows -> rows == 0 ? Mono.just(Outcome.NOT_FOUND)
                                : Audit.record(conn, null, actor, disabled ? "account.disable" : "account.enable", username,
                                        null).thenReturn(Outcome.DONE)))
                .single();
    }

    @Override
    public Mono<Outcome> setPasswordHash(String username, String passwordHash, boolean endSessions, String actor) {
        return db.transaction(conn -> Db.update(conn, "UPDATE accounts SET password_hash = $1 WHERE username = $2",
                                passwordHash, username)
                        .flatMap(rows -> rows == 0 ? Mono.just(Outcome.NOT_FOUND)
                                : (endSessions ? Db.update(conn, "DELETE FROM credentials WHERE username = $1 AND kind = $2",
                                        username, "SESSION") : Mono.just(0L))
                                        .then(Audit.record(conn, null, actor, "account.password", username,
                                                Audit.detail("endSessions", endSessions)))
                                        .thenReturn(Outcome.DONE)))
                .single();
    }

    @Override
    public Mono<Outcome> deleteAccount(String username, boolean withRepositories, String actor) {
        return db.query("SELECT 1 FROM accounts WHERE username = $1", row -> true, username).hasElements()
                .flatMap(found -> !found ? Mono.just(Outcome.NOT_FOUND)
                        : db.run(conn -> lastOwner(conn, username)).single().flatMap(last -> last ? Mono.just(Outcome.LAST_OWNER)
                                : holdsRepositories(username).flatMap(holds -> {
                                    if (holds && !withRepositories) {
                                        return Mono.just(Outcome.HOLDS_REPOSITORIES);
                                    }
                                    return (holds ? removal.deleteAll(username, actor) : Mono.just(0L))
                                            .then(db.transaction(conn -> dropAccount(conn, username, actor)).single());
                                })));
    }

    /** The account's deletion proper, with the checks made again under the locks. */
    private Mono<Outcome> dropAccount(Connection conn, String username, String actor) {
        // the organizations it owns, locked, so that no owner leaves them meanwhile
        return Db.query(conn, "SELECT name FROM organizations WHERE name IN (SELECT organization FROM org_members"
                                + " WHERE username = $1 AND role = 'OWNER') ORDER BY name FOR UPDATE",
                        row -> row.get(0, String.class), username)
                .then(lastOwner(conn, username))
                .flatMap(last -> last ? Mono.just(Outcome.LAST_OWNER) : holdsRepositories(conn, username)
                        .flatMap(holds -> holds ? Mono.just(Outcome.HOLDS_REPOSITORIES)
                                // credentials, memberships (and so team memberships) and grants go
                                // with the account (foreign keys); robots with the namespace
                                : Db.update(conn, "DELETE FROM accounts WHERE username = $1", username)
                                        .flatMap(rows -> rows == 0 ? Mono.just(Outcome.NOT_FOUND)
                                                : dropNamespace(conn, username)
                                                        .then(Audit.record(conn, null, actor, "account.delete", username, null))
                                                        .thenReturn(Outcome.DONE))));
    }

    /** Whether {@code username} is the only owner of some organization. */
    private static Mono<Boolean> lastOwner(Connection conn, String username) {
        return Db.query(conn, "SELECT 1 FROM org_members m WHERE m.username = $1 AND m.role = 'OWNER'"
                        + " AND NOT EXISTS (SELECT 1 FROM org_members o WHERE o.organization = m.organization"
                        + " AND o.role = 'OWNER' AND o.username <> m.username)", row -> true, username)
                .hasElements();
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
    public Mono<Page> catalogFor(String username, String robot, boolean admin, String last, int n) {
        return access.catalog(username, robot, admin, last, n);
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

    /** Locks the organization's row until the end of the transaction; false when there is none. */
    private static Mono<Boolean> lockOrganization(Connection conn, String organization) {
        return Db.query(conn, "SELECT name FROM organizations WHERE name = $1 FOR UPDATE", row -> true, organization)
                .hasElements();
    }

    private static Mono<Boolean> exists(Connection conn, String sql, Object... args) {
        return Db.query(conn, sql, row -> true, args).hasElements();
    }

    private static Mono<OrgRole> role(Connection conn, String organization, String username) {
        return Db.query(conn, "SELECT role FROM org_members WHERE organization = $1 AND username = $2",
                row -> OrgRole.valueOf(row.get(0, String.class)), organization, username).singleOrEmpty();
    }

    private static Mono<Long> owners(Connection conn, String organization) {
        return Db.query(conn, "SELECT COUNT(*) FROM org_members WHERE organization = $1 AND role = 'OWNER'",
                row -> ((Number) row.get(0)).longValue(), organization).single();
    }

    private Mono<Boolean> holdsRepositories(String namespace) {
        return db.run(conn -> holdsRepositories(conn, namespace)).single();
    }

    private static Mono<Boolean> holdsRepositories(Connection conn, String namespace) {
        return Db.query(conn, "SELECT 1 FROM repositories WHERE namespace = $1 LIMIT 1", row -> true, namespace).hasElements();
    }

    private static Organization organization(Row row) {
        return new Organization(row.get(0, String.class), row.get(1, String.class), Sql.instant(row, 2));
    }

    private static Member member(Row row) {
        return new Member(row.get(0, String.class), row.get(1, String.class), OrgRole.valueOf(row.get(2, String.class)),
                Sql.instant(row, 3));
    }

    private static Team team(Row row) {
        return new Team(row.get(0, String.class), row.get(1, String.class), row.get(2, String.class),
                RepoRole.valueOf(row.get(3, String.class)), Boolean.TRUE.equals(row.get(4, Boolean.class)),
                Boolean.TRUE.equals(row.get(5, Boolean.class)), Sql.instant(row, 6));
    }
}

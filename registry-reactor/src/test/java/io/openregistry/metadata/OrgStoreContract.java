package io.openregistry.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.config.Config;
import io.openregistry.metadata.OrgStore.AccessFacts;
import io.openregistry.metadata.OrgStore.AuditEntry;
import io.openregistry.metadata.OrgStore.NamespaceKind;
import io.openregistry.metadata.OrgStore.OrgRole;
import io.openregistry.metadata.OrgStore.Outcome;
import io.openregistry.metadata.OrgStore.RepoRole;
import io.openregistry.metadata.OrgStore.Robot;
import io.openregistry.metadata.OrgStore.Team;
import io.openregistry.metadata.r2dbc.R2dbcMetadata;
import io.openregistry.oci.Digest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockHound;
import reactor.core.Disposable;
import reactor.core.publisher.ConnectableFlux;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The contract of {@link OrgStore}, run against every database (a fresh one per test). Calls are
 * subscribed from non-blocking threads with BlockHound installed, as in {@link MetadataStoreContract}.
 */
public abstract class OrgStoreContract {
    protected static final int POOL_SIZE = 8;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final Instant T0 = Instant.parse("2026-01-02T03:04:05.123456Z");

    protected R2dbcMetadata meta;
    protected OrgStore orgs;

    /** A fresh, empty database. */
    protected abstract Config.Database newDatabase() throws Exception;

    @BeforeAll
    static void installBlockHound() {
        BlockHound.install();
    }

    @BeforeEach
    void open() throws Exception {
        meta = R2dbcMetadata.open(newDatabase());
        orgs = meta.orgs();
    }

    @AfterEach
    void close() {
        meta.close();
    }

    protected static <T> T await(Mono<T> mono) {
        return mono.subscribeOn(Schedulers.parallel()).block(TIMEOUT);
    }

    protected static <T> List<T> awaitAll(Flux<T> flux) {
        return flux.collectList().subscribeOn(Schedulers.parallel()).block(TIMEOUT);
    }

    private void account(String name) {
        assertThat(await(meta.accounts().create(new AccountStore.Account(name, "hash-" + name, false, T0)))).isTrue();
    }

    private void admin(String name) {
        assertThat(await(meta.accounts().create(new AccountStore.Account(name, "hash-" + name, true, T0)))).isTrue();
    }

    /** Creates a repository with one tagged manifest (and so a row). */
    private void repository(String name) {
        byte[] content = ("{\"for\":\"" + name + "\"}").getBytes(StandardCharsets.UTF_8);
        await(meta.manifests().put(new ManifestRecord(name, Digest.sha256(content),
                "application/vnd.oci.image.manifest.v1+json", content, null, null, null), "latest", ManifestReferences.NONE));
    }

    private void publicRepository(String name) {
        repository(name);
        assertThat(await(orgs.setVisibility(name, true, "test"))).isEqualTo(Outcome.DONE);
    }

    private static Team team(String org, String name, RepoRole role, boolean all, boolean mayCreate) {
        return new Team(org, name, "the " + name, role, all, mayCreate, T0);
    }

    private static Robot robot(String namespace, String shortName, RepoRole role, boolean all, List<String> repos) {
        return new Robot(namespace + "+" + shortName, namespace, "hash:" + shortName, "robot " + shortName, role, all, false,
                repos, null, null, "creator", T0);
    }

    private List<String> catalog(String user, String robot, boolean admin) {
        List<String> all = await(orgs.catalogFor(user, robot, admin, null, 1000)).items();
        // paging in twos gives the same list, and says when more follow
        List<String> paged = new ArrayList<>();
        String last = null;
        while (true) {
            Page page = await(orgs.catalogFor(user, robot, admin, last, 2));
            paged.addAll(page.items());
            if (!page.hasMore()) {
                break;
            }
            assertThat(page.items()).hasSize(2);
            last = page.items().get(1);
        }
        assertThat(paged).isEqualTo(all);
        return all;
    }

    private void searchesAgreeWithTheCatalog(String user, String robot, boolean admin) {
        List<String> catalog = catalog(user, robot, admin);
        for (String text : List.of("acme", "web", "/a", "e/", "z", "_", "%", "nothing")) {
            List<String> found = new ArrayList<>();
            String last = null;
            while (true) {
                Page page = await(orgs.catalogFor(user, robot, admin, last, 2, text));
                found.addAll(page.items());
                if (!page.hasMore()) {
                    break;
                }
                last = page.items().get(page.items().size() - 1);
            }
            assertThat(found).as(user + " " + robot + " " + text)
                    .isEqualTo(catalog.stream().filter(name -> name.contains(text)).toList());
        }
    }

    private List<String> actions(String namespace) {
        return await(orgs.audit(namespace, null, 100)).stream().map(e -> e.action() + " " + e.target()).toList();
    }

    // ---- the shared name space ----

    @Test
    void accountsAndOrganizationsShareOneNameSpace() {
        assertThat(await(orgs.namespaceKind("alice"))).isNull();
        account("alice");
        assertThat(await(orgs.namespaceKind("alice"))).isEqualTo(NamespaceKind.USER);
        // an organization cannot take a user's name
        assertThat(await(orgs.createOrganization("alice", "alice", T0))).isEqualTo(Outcome.TAKEN);
        assertThat(await(orgs.createOrganization("acme", "alice", T0))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.namespaceKind("acme"))).isEqualTo(NamespaceKind.ORGANIZATION);
        // nor an account an organization's, nor an organization another's
        assertThat(await(meta.accounts().create(new AccountStore.Account("acme", "h", false, T0)))).isFalse();
        assertThat(await(meta.accounts().find("acme"))).isNull();
        assertThat(await(orgs.createOrganization("acme", "alice", T0))).isEqualTo(Outcome.TAKEN);
        assertThat(await(meta.accounts().create(new AccountStore.Account("alice", "h", false, T0)))).isFalse();
        // the owner must exist
        assertThat(await(orgs.createOrganization("ghosts", "nobody", T0))).isEqualTo(Outcome.NOT_FOUND);
        assertThat(await(orgs.namespaceKind("ghosts"))).isNull();
    }

    @Test
    void aSignUpAndAnOrganizationRacingForOneNameHaveOneWinner() {
        account("founder");
        for (int round = 0; round < 12; round++) {
            String name = "name" + round;
            Mono<Boolean> signUp = meta.accounts().create(new AccountStore.Account(name, "h", false, T0))
                    .subscribeOn(Schedulers.parallel());
            Mono<Boolean> org = orgs.createOrganization(name, "founder", T0).map(o -> o == Outcome.DONE)
                    .subscribeOn(Schedulers.parallel());
            var result = Mono.zip(signUp, org).block(TIMEOUT);
            assertThat(result.getT1() ^ result.getT2()).as("exactly one of sign-up and org creation wins " + name).isTrue();
            NamespaceKind kind = await(orgs.namespaceKind(name));
            assertThat(kind).isEqualTo(result.getT1() ? NamespaceKind.USER : NamespaceKind.ORGANIZATION);
            assertThat(await(meta.accounts().find(name)) != null).isEqualTo(result.getT1());
            assertThat(await(orgs.organization(name)) != null).isEqualTo(result.getT2());
        }
    }

    @Test
    void accountsKeepTheirDisabledState() {
        assertThat(await(meta.accounts().create(new AccountStore.Account("dora", "h", false, T0, true)))).isTrue();
        assertThat(await(meta.accounts().find("dora")).disabled()).isTrue();
        account("eve");
        assertThat(await(meta.accounts().find("eve")).disabled()).isFalse();
        assertThat(await(orgs.setDisabled("eve", true, "root"))).isEqualTo(Outcome.DONE);
        assertThat(await(meta.accounts().find("eve")).disabled()).isTrue();
        assertThat(await(orgs.setDisabled("eve", false, "root"))).isEqualTo(Outcome.DONE);
        assertThat(await(meta.accounts().find("eve")).disabled()).isFalse();
        assertThat(await(orgs.setDisabled("nobody", true, "root"))).isEqualTo(Outcome.NOT_FOUND);
        // registry-wide entries belong to no namespace
        assertThat(await(orgs.audit(null, null, 10))).extracting(AuditEntry::action, AuditEntry::target, AuditEntry::actor)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("account.enable", "eve", "root"),
                        org.assertj.core.groups.Tuple.tuple("account.disable", "eve", "root"));
        assertThat(await(orgs.audit("eve", null, 10))).isEmpty();
    }

    // ---- organizations and members ----

    @Test
    void organizationsAndTheirMembers() {
        account("alice");
        account("bob");
        account("carol");
        assertThat(await(orgs.createOrganization("acme", "alice", T0))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.createOrganization("beta", "bob", T0))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.organization("acme"))).isEqualTo(new OrgStore.Organization("acme", "alice", T0));
        assertThat(await(orgs.organization("nope"))).isNull();
        assertThat(await(orgs.organizations(null, 10))).extracting(OrgStore.Organization::name).containsExactly("acme", "beta");
        assertThat(await(orgs.organizations(null, 1))).extracting(OrgStore.Organization::name).containsExactly("acme");
        assertThat(await(orgs.organizations("acme", 10))).extracting(OrgStore.Organization::name).containsExactly("beta");

        assertThat(await(orgs.member("acme", "alice")).role()).isEqualTo(OrgRole.OWNER);
        assertThat(await(orgs.setMember("acme", "bob", OrgRole.MEMBER, "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.setMember("acme", "nobody", OrgRole.MEMBER, "alice"))).isEqualTo(Outcome.NOT_FOUND);
        assertThat(await(orgs.setMember("nope", "bob", OrgRole.MEMBER, "alice"))).isEqualTo(Outcome.NOT_FOUND);
        assertThat(awaitAll(orgs.members("acme"))).extracting(OrgStore.Member::username, OrgStore.Member::role)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("alice", OrgRole.OWNER),
                        org.assertj.core.groups.Tuple.tuple("bob", OrgRole.MEMBER));
        assertThat(awaitAll(orgs.membershipsOf("bob"))).extracting(OrgStore.Member::organization, OrgStore.Member::role)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("acme", OrgRole.MEMBER),
                        org.assertj.core.groups.Tuple.tuple("beta", OrgRole.OWNER));

        // the last owner stays
        assertThat(await(orgs.setMember("acme", "alice", OrgRole.ADMIN, "alice"))).isEqualTo(Outcome.LAST_OWNER);
        assertThat(await(orgs.removeMember("acme", "alice", "alice"))).isEqualTo(Outcome.LAST_OWNER);
        assertThat(await(orgs.setMember("acme", "bob", OrgRole.OWNER, "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.setMember("acme", "alice", OrgRole.ADMIN, "bob"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.setMember("acme", "bob", OrgRole.MEMBER, "bob"))).isEqualTo(Outcome.LAST_OWNER);
        assertThat(await(orgs.member("acme", "alice")).role()).isEqualTo(OrgRole.ADMIN);
        // the same role again changes nothing and records nothing
        int before = actions("acme").size();
        assertThat(await(orgs.setMember("acme", "alice", OrgRole.ADMIN, "bob"))).isEqualTo(Outcome.DONE);
        assertThat(actions("acme")).hasSize(before);

        assertThat(await(orgs.removeMember("acme", "alice", "bob"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.removeMember("acme", "alice", "bob"))).isEqualTo(Outcome.NOT_FOUND);
        assertThat(await(orgs.removeMember("nope", "alice", "bob"))).isEqualTo(Outcome.NOT_FOUND);
        assertThat(await(orgs.member("acme", "alice"))).isNull();
        assertThat(actions("acme")).containsExactly("member.remove alice", "member.set alice", "member.set bob",
                "member.set bob", "org.create acme");
    }

    @Test
    void ownersDemotingEachOtherAtOnceLeaveAnOwner() {
        account("alice");
        account("bob");
        await(orgs.createOrganization("acme", "alice", T0));
        for (int round = 0; round < 6; round++) {
            await(orgs.setMember("acme", "alice", OrgRole.OWNER, "root"));
            await(orgs.setMember("acme", "bob", OrgRole.OWNER, "root"));
            List<Outcome> outcomes = Flux.merge(
                            orgs.setMember("acme", "alice", OrgRole.MEMBER, "bob").subscribeOn(Schedulers.parallel()),
                            orgs.setMember("acme", "bob", OrgRole.MEMBER, "alice").subscribeOn(Schedulers.parallel()))
                    .collectList().block(TIMEOUT);
            assertThat(outcomes).containsExactlyInAnyOrder(Outcome.DONE, Outcome.LAST_OWNER);
            assertThat(awaitAll(orgs.members("acme")).stream().filter(m -> m.role() == OrgRole.OWNER)).hasSize(1);
        }
    }

    // ---- teams ----

    @Test
    void teamsTheirMembersAndRepositories() {
        account("alice");
        account("bob");
        await(orgs.createOrganization("acme", "alice", T0));
        Team devs = team("acme", "devs", RepoRole.WRITE, false, true);
        assertThat(await(orgs.createTeam(devs, "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.createTeam(devs, "alice"))).isEqualTo(Outcome.TAKEN);
        assertThat(await(orgs.createTeam(team("nope", "devs", RepoRole.READ, false, false), "alice")))
                .isEqualTo(Outcome.NOT_FOUND);
        assertThat(await(orgs.createTeam(team("acme", "all", RepoRole.READ, true, false), "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.team("acme", "devs"))).isEqualTo(devs);
        assertThat(awaitAll(orgs.teams("acme"))).extracting(Team::name).containsExactly("all", "devs");

        Team changed = new Team("acme", "devs", null, RepoRole.ADMIN, true, false, T0);
        assertThat(await(orgs.updateTeam(changed, "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.team("acme", "devs"))).isEqualTo(changed);
        assertThat(await(orgs.updateTeam(team("acme", "ghost", RepoRole.READ, false, false), "alice")))
                .isEqualTo(Outcome.NOT_FOUND);

        // a team member becomes a member of the organization
        assertThat(await(orgs.addTeamMember("acme", "devs", "bob", "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.member("acme", "bob")).role()).isEqualTo(OrgRole.MEMBER);
        assertThat(await(orgs.addTeamMember("acme", "devs", "bob", "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.addTeamMember("acme", "all", "bob", "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.addTeamMember("acme", "devs", "nobody", "alice"))).isEqualTo(Outcome.NOT_FOUND);
        assertThat(await(orgs.addTeamMember("acme", "ghost", "bob", "alice"))).isEqualTo(Outcome.NOT_FOUND);
        assertThat(awaitAll(orgs.teamMembers("acme", "devs"))).containsExactly("bob");

        assertThat(await(orgs.addTeamRepository("acme", "devs", "acme/web", "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.addTeamRepository("acme", "devs", "acme/api/v2", "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.addTeamRepository("acme", "ghost", "acme/web", "alice"))).isEqualTo(Outcome.NOT_FOUND);
        assertThat(awaitAll(orgs.teamRepositories("acme", "devs"))).containsExactly("acme/api/v2", "acme/web");
        assertThat(await(orgs.removeTeamRepository("acme", "devs", "acme/web", "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.removeTeamRepository("acme", "devs", "acme/web", "alice"))).isEqualTo(Outcome.NOT_FOUND);
        assertThat(awaitAll(orgs.teamRepositories("acme", "devs"))).containsExactly("acme/api/v2");

        assertThat(await(orgs.removeTeamMember("acme", "devs", "bob", "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.removeTeamMember("acme", "devs", "bob", "alice"))).isEqualTo(Outcome.NOT_FOUND);
        assertThat(await(orgs.member("acme", "bob"))).isNotNull();
        // leaving the organization leaves its teams
        assertThat(awaitAll(orgs.teamMembers("acme", "all"))).containsExactly("bob");
        assertThat(await(orgs.removeMember("acme", "bob", "alice"))).isEqualTo(Outcome.DONE);
        assertThat(awaitAll(orgs.teamMembers("acme", "all"))).isEmpty();

        assertThat(await(orgs.deleteTeam("acme", "devs", "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.deleteTeam("acme", "devs", "alice"))).isEqualTo(Outcome.NOT_FOUND);
        assertThat(awaitAll(orgs.teamRepositories("acme", "devs"))).isEmpty();
        assertThat(actions("acme")).containsExactly("team.delete devs", "member.remove bob", "team.member.remove bob",
                "team.repository.remove acme/web", "team.repository.add acme/api/v2", "team.repository.add acme/web",
                "team.member.add bob", "team.member.add bob", "member.set bob", "team.update devs", "team.create all",
                "team.create devs", "org.create acme");
        AuditEntry added = await(orgs.audit("acme", null, 100)).stream()
                .filter(e -> e.action().equals("team.member.add")).reduce((a, b) -> b).orElseThrow();
        assertThat(added.actor()).isEqualTo("alice");
        assertThat(added.namespace()).isEqualTo("acme");
        assertThat(added.detail()).isEqualTo("{\"team\":\"devs\"}");
        assertThat(added.at()).isNotNull();
    }

    // ---- grants ----

    @Test
    void directGrants() {
        account("alice");
        account("bob");
        account("carol");
        assertThat(await(orgs.setGrant("alice/app", "bob", RepoRole.READ, "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.setGrant("alice/app", "carol", RepoRole.WRITE, "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.setGrant("alice/app", "bob", RepoRole.ADMIN, "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.setGrant("alice/app", "nobody", RepoRole.ADMIN, "alice"))).isEqualTo(Outcome.NOT_FOUND);
        assertThat(awaitAll(orgs.grants("alice/app"))).extracting(OrgStore.Grant::username, OrgStore.Grant::role)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("bob", RepoRole.ADMIN),
                        org.assertj.core.groups.Tuple.tuple("carol", RepoRole.WRITE));
        // the same role again changes nothing and records nothing
        assertThat(await(orgs.setGrant("alice/app", "bob", RepoRole.ADMIN, "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.removeGrant("alice/app", "carol", "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.removeGrant("alice/app", "carol", "alice"))).isEqualTo(Outcome.NOT_FOUND);
        assertThat(awaitAll(orgs.grants("alice/app"))).extracting(OrgStore.Grant::username).containsExactly("bob");
        assertThat(await(orgs.audit("alice", null, 10))).extracting(AuditEntry::action, AuditEntry::detail)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("grant.remove", "{\"user\":\"carol\"}"),
                        org.assertj.core.groups.Tuple.tuple("grant.set", "{\"user\":\"bob\",\"role\":\"admin\"}"),
                        org.assertj.core.groups.Tuple.tuple("grant.set", "{\"user\":\"carol\",\"role\":\"write\"}"),
                        org.assertj.core.groups.Tuple.tuple("grant.set", "{\"user\":\"bob\",\"role\":\"read\"}"));
    }

    @Test
    void twoFirstGrantsRacingBothApply() {
        account("alice");
        account("dave");
        for (int i = 0; i < 20; i++) {
            String repo = "alice/race" + i;
            // both answer DONE: each must have been applied (and recorded), the later one winning
            var both = await(reactor.core.publisher.Mono.zip(orgs.setGrant(repo, "dave", RepoRole.READ, "alice"),
                    orgs.setGrant(repo, "dave", RepoRole.WRITE, "alice")));
            assertThat(both.getT1()).isEqualTo(Outcome.DONE);
            assertThat(both.getT2()).isEqualTo(Outcome.DONE);
            List<AuditEntry> recorded = await(orgs.audit("alice", null, 100)).stream()
                    .filter(e -> e.target().equals(repo)).toList();
            assertThat(recorded).as(repo).hasSize(2);
            assertThat(awaitAll(orgs.grants(repo))).extracting(OrgStore.Grant::role)
                    .containsExactly(recorded.get(0).detail().contains("write") ? RepoRole.WRITE : RepoRole.READ);
        }
    }

    // ---- robots ----

    @Test
    void robotsOfOrganizationsAndUsers() {
        account("alice");
        await(orgs.createOrganization("acme", "alice", T0));
        Robot ci = robot("acme", "ci", RepoRole.WRITE, false, List.of("acme/web", "acme/api"));
        assertThat(await(orgs.createRobot(ci, "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.createRobot(ci, "alice"))).isEqualTo(Outcome.TAKEN);
        assertThat(await(orgs.createRobot(robot("nope", "ci", RepoRole.READ, true, List.of()), "alice")))
                .isEqualTo(Outcome.NOT_FOUND);
        Robot found = await(orgs.robot("acme+ci"));
        assertThat(found.repositories()).containsExactly("acme/api", "acme/web");
        assertThat(found).usingRecursiveComparison().ignoringFields("repositories").isEqualTo(ci);
        Robot mine = robot("alice", "backup", RepoRole.READ, true, List.of());
        assertThat(await(orgs.createRobot(mine, "alice"))).isEqualTo(Outcome.DONE);
        assertThat(awaitAll(orgs.robots("alice"))).usingRecursiveFieldByFieldElementComparator().containsExactly(mine);
        assertThat(awaitAll(orgs.robots("acme"))).extracting(Robot::name).containsExactly("acme+ci");
        assertThat(await(orgs.robot("acme+none"))).isNull();

        Instant expires = T0.plus(30, ChronoUnit.DAYS);
        Robot changed = new Robot("acme+ci", "acme", "ignored", "deploys", RepoRole.READ, false, true, List.of("acme/db"),
                expires, null, "creator", T0);
        assertThat(await(orgs.updateRobot(changed, "alice"))).isEqualTo(Outcome.DONE);
        Robot updated = await(orgs.robot("acme+ci"));
        assertThat(updated.secretHash()).isEqualTo("hash:ci");
        assertThat(updated.description()).isEqualTo("deploys");
        assertThat(updated.role()).isEqualTo(RepoRole.READ);
        assertThat(updated.mayCreate()).isTrue();
        assertThat(updated.repositories()).containsExactly("acme/db");
        assertThat(updated.expiresAt()).isEqualTo(expires);
        assertThat(await(orgs.updateRobot(robot("acme", "ghost", RepoRole.READ, true, List.of()), "alice")))
                .isEqualTo(Outcome.NOT_FOUND);

        assertThat(await(orgs.replaceRobotSecret("acme+ci", "hash:new", "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.robot("acme+ci")).secretHash()).isEqualTo("hash:new");
        assertThat(await(orgs.replaceRobotSecret("acme+ghost", "hash:new", "alice"))).isEqualTo(Outcome.NOT_FOUND);
        Instant used = T0.plusSeconds(99);
        await(orgs.robotUsed("acme+ci", used));
        assertThat(await(orgs.robot("acme+ci")).lastUsedAt()).isEqualTo(used);
        await(orgs.robotUsed("acme+ci", used.minusSeconds(10)));
        assertThat(await(orgs.robot("acme+ci")).lastUsedAt()).as("a late report of an earlier use").isEqualTo(used);

        assertThat(await(orgs.deleteRobot("acme+ci", "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.deleteRobot("acme+ci", "alice"))).isEqualTo(Outcome.NOT_FOUND);
        assertThat(await(orgs.robot("acme+ci"))).isNull();
        assertThat(actions("acme")).containsExactly("robot.delete acme+ci", "robot.secret acme+ci", "robot.update acme+ci",
                "robot.create acme+ci", "org.create acme");
        assertThat(actions("alice")).containsExactly("robot.create alice+backup");
        // the secret hash never reaches the audit log
        assertThat(await(orgs.audit("acme", null, 100))).allSatisfy(e -> assertThat(String.valueOf(e.detail())).doesNotContain("hash"));
    }

    // ---- accounts ----

    @Test
    void accountsAreListedAndTheirPasswordsReplaced() {
        admin("root");
        account("alice");
        account("bob");
        assertThat(await(orgs.accounts(null, 10))).extracting(AccountStore.Account::username)
                .containsExactly("alice", "bob", "root");
        assertThat(await(orgs.accounts("alice", 1))).extracting(AccountStore.Account::username).containsExactly("bob");
        assertThat(await(orgs.accounts(null, 10)).get(2).admin()).isTrue();

        AccountStore.Credential session = new AccountStore.Credential("s1", "alice", AccountStore.Kind.SESSION, null, "x",
                List.of(), List.of(), null, T0);
        AccountStore.Credential pat = new AccountStore.Credential("p1", "alice", AccountStore.Kind.PAT, "ci", "y",
                List.of("pull"), List.of(), null, T0);
        await(meta.accounts().addCredential(session));
        await(meta.accounts().addCredential(pat));
        assertThat(await(orgs.setPasswordHash("alice", "new-hash", false, "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(meta.accounts().find("alice")).passwordHash()).isEqualTo("new-hash");
        assertThat(await(meta.accounts().credential("s1"))).isNotNull();
        assertThat(await(orgs.setPasswordHash("alice", "newer", true, "root"))).isEqualTo(Outcome.DONE);
        assertThat(await(meta.accounts().credential("s1"))).isNull();
        assertThat(await(meta.accounts().credential("p1"))).isNotNull();
        assertThat(await(orgs.setPasswordHash("nobody", "h", true, "root"))).isEqualTo(Outcome.NOT_FOUND);
    }

    @Test
    void deletingAnAccount() {
        account("alice");
        account("bob");
        await(orgs.createOrganization("acme", "alice", T0));
        await(orgs.createTeam(team("acme", "devs", RepoRole.WRITE, false, false), "alice"));
        await(orgs.addTeamMember("acme", "devs", "bob", "alice"));
        await(orgs.setGrant("acme/web", "bob", RepoRole.READ, "alice"));
        await(orgs.setGrant("bob/app", "alice", RepoRole.READ, "bob"));
        await(orgs.createRobot(robot("bob", "ci", RepoRole.READ, true, List.of()), "bob"));
        repository("bob/app");
        await(meta.accounts().addCredential(new AccountStore.Credential("p1", "bob", AccountStore.Kind.PAT, "ci", "y",
                List.of("pull"), List.of(), null, T0)));

        assertThat(await(orgs.deleteAccount("nobody", true, "root"))).isEqualTo(Outcome.NOT_FOUND);
        assertThat(await(orgs.deleteAccount("alice", true, "root"))).isEqualTo(Outcome.LAST_OWNER);
        assertThat(await(orgs.deleteAccount("bob", false, "root"))).isEqualTo(Outcome.HOLDS_REPOSITORIES);
        assertThat(await(meta.accounts().find("bob"))).isNotNull();
        assertThat(await(orgs.deleteAccount("bob", true, "root"))).isEqualTo(Outcome.DONE);

        assertThat(await(meta.accounts().find("bob"))).isNull();
        assertThat(await(orgs.namespaceKind("bob"))).isNull();
        assertThat(await(meta.repositories().exists("bob/app"))).isFalse();
        assertThat(await(meta.accounts().credential("p1"))).isNull();
        assertThat(await(orgs.member("acme", "bob"))).isNull();
        assertThat(awaitAll(orgs.teamMembers("acme", "devs"))).isEmpty();
        assertThat(awaitAll(orgs.grants("acme/web"))).isEmpty();
        assertThat(awaitAll(orgs.grants("bob/app"))).isEmpty();
        assertThat(await(orgs.robot("bob+ci"))).isNull();
        assertThat(await(orgs.audit("bob", null, 10))).isEmpty();
        // the registry-wide entry keeps what went with the namespace's own log
        assertThat(await(orgs.audit(null, null, 10))).extracting(AuditEntry::action, AuditEntry::target, AuditEntry::detail)
                .contains(org.assertj.core.groups.Tuple.tuple("account.delete", "bob", "{\"repositories\":1}"));
        // the name is free again, and the new bob inherits nothing
        account("bob");
        assertThat(awaitAll(orgs.robots("bob"))).isEmpty();
        assertThat(await(orgs.accessFacts("alice", "bob/app")).grantRole()).isNull();
    }

    @Test
    void deletingAnOrganization() {
        account("alice");
        account("bob");
        await(orgs.createOrganization("acme", "alice", T0));
        await(orgs.createTeam(team("acme", "devs", RepoRole.WRITE, false, false), "alice"));
        await(orgs.addTeamMember("acme", "devs", "bob", "alice"));
        await(orgs.addTeamRepository("acme", "devs", "acme/web", "alice"));
        await(orgs.setGrant("acme/web", "bob", RepoRole.READ, "alice"));
        await(orgs.setGrant("acme/later", "bob", RepoRole.READ, "alice"));
        await(orgs.createRobot(robot("acme", "ci", RepoRole.READ, false, List.of("acme/web")), "alice"));
        repository("acme/web");

        assertThat(await(orgs.deleteOrganization("nope", true, "alice"))).isEqualTo(Outcome.NOT_FOUND);
        assertThat(await(orgs.deleteOrganization("acme", false, "alice"))).isEqualTo(Outcome.HOLDS_REPOSITORIES);
        assertThat(await(orgs.organization("acme"))).isNotNull();
        assertThat(await(orgs.deleteOrganization("acme", true, "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.organization("acme"))).isNull();
        assertThat(await(orgs.namespaceKind("acme"))).isNull();
        assertThat(await(meta.repositories().exists("acme/web"))).isFalse();
        assertThat(awaitAll(orgs.membershipsOf("bob"))).isEmpty();
        assertThat(awaitAll(orgs.teams("acme"))).isEmpty();
        assertThat(awaitAll(orgs.grants("acme/later"))).isEmpty();
        assertThat(await(orgs.robot("acme+ci"))).isNull();
        // a next owner of the name reads no history and inherits nothing
        assertThat(await(orgs.audit("acme", null, 10))).isEmpty();
        assertThat(await(orgs.audit(null, null, 10))).extracting(AuditEntry::action, AuditEntry::target, AuditEntry::detail)
                .contains(org.assertj.core.groups.Tuple.tuple("org.delete", "acme", "{\"repositories\":1}"));
        assertThat(await(orgs.createOrganization("acme", "bob", T0))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.accessFacts("bob", "acme/later")).grantRole()).isNull();
        assertThat(awaitAll(orgs.teams("acme"))).isEmpty();
        // an empty organization goes without asking
        assertThat(await(orgs.deleteOrganization("acme", false, "bob"))).isEqualTo(Outcome.DONE);
    }

    // ---- repositories ----

    @Test
    void visibilityChangesAreRecorded() {
        account("alice");
        repository("alice/app");
        assertThat(await(orgs.setVisibility("alice/app", true, "alice"))).isEqualTo(Outcome.DONE);
        assertThat(await(orgs.accessFacts(null, "alice/app")).repositoryPublic()).isTrue();
        assertThat(await(orgs.setVisibility("alice/none", true, "alice"))).isEqualTo(Outcome.NOT_FOUND);
        assertThat(await(orgs.audit("alice", null, 10))).extracting(AuditEntry::action, AuditEntry::target, AuditEntry::detail)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("repository.visibility", "alice/app", "{\"public\":true}"));
    }

    @Test
    void deletingRepositoriesLeavesNoRowsAndOrphansOnlyWhatNothingElseKeeps() {
        account("alice");
        account("bob");
        await(orgs.createOrganization("acme", "alice", T0));
        await(orgs.createTeam(team("acme", "devs", RepoRole.WRITE, false, false), "alice"));
        await(orgs.createRobot(robot("acme", "ci", RepoRole.READ, false, List.of("acme/app", "acme/keep")), "alice"));
        BlobRecord shared = blob("shared");
        BlobRecord own = blob("own");
        BlobRecord config = blob("config");
        Digest image = pushImage("acme/app", config, List.of(shared, own), "v1");
        Digest index = pushIndex("acme/app", image, "multi");
        pushImage("acme/app/nested", blob("nested-config"), List.of(shared), "v1");
        pushImage("other/keep", blob("keep-config"), List.of(shared), "v1");
        await(orgs.addTeamRepository("acme", "devs", "acme/app", "alice"));
        await(orgs.setGrant("acme/app", "bob", RepoRole.READ, "alice"));
        await(orgs.setGrant("other/keep", "bob", RepoRole.READ, "alice"));

        assertThat(await(orgs.deleteRepositories("acme", "alice"))).isEqualTo(2);
        for (String repo : List.of("acme/app", "acme/app/nested")) {
            assertThat(await(meta.repositories().exists(repo))).isFalse();
            assertThat(await(meta.manifests().getByTag(repo, "v1"))).isNull();
            assertThat(await(meta.manifests().tags(repo, null, 10))).isNull();
            assertThat(await(meta.blobs().findLinked(repo, shared.digest()))).isNull();
        }
        assertThat(await(meta.manifests().get("acme/app", image))).isNull();
        assertThat(await(meta.manifests().get("acme/app", index))).isNull();
        assertThat(awaitAll(meta.manifests().edges("acme/app", image))).isEmpty();
        assertThat(awaitAll(meta.manifests().edges("acme/app", index))).isEmpty();
        assertThat(awaitAll(orgs.grants("acme/app"))).isEmpty();
        assertThat(awaitAll(orgs.teamRepositories("acme", "devs"))).isEmpty();
        assertThat(await(orgs.robot("acme+ci")).repositories()).containsExactly("acme/keep");
        // what only the deleted repositories kept is left to garbage collection; the rest stays
        Instant later = Instant.now().plusSeconds(3600);
        assertThat(awaitAll(meta.blobs().orphanedBefore(later, 100))).extracting(BlobRecord::digest)
                .containsExactlyInAnyOrder(own.digest(), config.digest(), blob("nested-config").digest());
        assertThat(await(meta.blobs().findLinked("other/keep", shared.digest()))).isEqualTo(shared);
        assertThat(await(meta.manifests().blobReferenced(shared.digest()))).isTrue();
        assertThat(awaitAll(orgs.grants("other/keep"))).hasSize(1);
        assertThat(await(orgs.audit("acme", null, 10))).extracting(AuditEntry::action, AuditEntry::target)
                .startsWith(org.assertj.core.groups.Tuple.tuple("repositories.delete", "acme/app/nested"),
                        org.assertj.core.groups.Tuple.tuple("repositories.delete", "acme/app"));
        // a later push creates the repository afresh
        pushImage("acme/app", config, List.of(own), "v2");
        assertThat(await(meta.manifests().tags("acme/app", null, 10)).items()).containsExactly("v2");
        assertThat(awaitAll(meta.blobs().orphanedBefore(later, 100))).extracting(BlobRecord::digest)
                .containsExactly(blob("nested-config").digest());
        // the collector may take what is orphaned (its protocol's forget, under the blob's lock) and nothing else
        assertThat(await(meta.blobs().forget(blob("nested-config").digest(), later))).isTrue();
        assertThat(await(meta.blobs().forget(shared.digest(), later))).isFalse();
        assertThat(await(meta.blobs().forget(own.digest(), later))).isFalse();
        assertThat(await(orgs.deleteRepositories("nobody", "alice"))).isZero();
    }

    /**
     * Caches of every replica (and of this process, on H2) learn what went: each tag, manifest and
     * blob link of a deleted repository is announced on the change feed once committed.
     */
    @Test
    void deletedRepositoriesAreAnnouncedToTheCaches() {
        account("alice");
        BlobRecord config = blob("config");
        BlobRecord layer = blob("layer");
        Digest image = pushImage("alice/app", config, List.of(layer), "v1");
        await(meta.manifests().put(new ManifestRecord("alice/app", image, "application/vnd.oci.image.manifest.v1+json",
                await(meta.manifests().get("alice/app", image)).content(), null, null, null), "v2",
                new ManifestReferences(config.digest(), List.of(layer.digest()), List.of(), List.of())));
        Set<ChangeFeed.Change> expected = Set.of(new ChangeFeed.TagChanged("alice/app", "v1"),
                new ChangeFeed.TagChanged("alice/app", "v2"), new ChangeFeed.ManifestRemoved("alice/app", image),
                new ChangeFeed.LinkRemoved("alice/app", config.digest()), new ChangeFeed.LinkRemoved("alice/app", layer.digest()));
        ConnectableFlux<ChangeFeed.Change> feed = meta.changes().changes().replay();
        Disposable connection = feed.connect();
        try {
            feed.filter(c -> c instanceof ChangeFeed.Listening).blockFirst(TIMEOUT);
            assertThat(await(orgs.deleteRepositories("alice", "root"))).isEqualTo(1);
            Set<ChangeFeed.Change> seen = new HashSet<>();
            feed.filter(c -> !(c instanceof ChangeFeed.Listening))
                    .doOnNext(seen::add)
                    .takeUntil(c -> seen.containsAll(expected))
                    .blockLast(TIMEOUT);
            assertThat(seen).isEqualTo(expected);
        } finally {
            connection.dispose();
        }
    }

    private static BlobRecord blob(String seed) {
        return new BlobRecord(Digest.sha256(seed.getBytes(StandardCharsets.UTF_8)), seed.length(), "fs", "loc/" + seed);
    }

    private Digest pushImage(String repo, BlobRecord config, List<BlobRecord> layers, String tag) {
        await(meta.blobs().commit(repo, config, null, null));
        layers.forEach(l -> await(meta.blobs().commit(repo, l, null, null)));
        byte[] content = ("{\"image\":\"" + repo + config.digest() + layers + "\"}").getBytes(StandardCharsets.UTF_8);
        Digest digest = Digest.sha256(content);
        await(meta.manifests().put(new ManifestRecord(repo, digest, "application/vnd.oci.image.manifest.v1+json", content,
                        null, null, null), tag,
                new ManifestReferences(config.digest(), layers.stream().map(BlobRecord::digest).toList(), List.of(), List.of())));
        return digest;
    }

    private Digest pushIndex(String repo, Digest child, String tag) {
        byte[] content = ("{\"index\":\"" + child + "\"}").getBytes(StandardCharsets.UTF_8);
        Digest digest = Digest.sha256(content);
        await(meta.manifests().put(new ManifestRecord(repo, digest, "application/vnd.oci.image.index.v1+json", content,
                null, null, null), tag, new ManifestReferences(null, List.of(), List.of(), List.of(child))));
        return digest;
    }

    // ---- access ----

    @Test
    void accessFactsForEveryRelationship() {
        account("alice");
        account("bob");
        account("carol");
        account("dave");
        await(orgs.createOrganization("acme", "alice", T0));
        await(orgs.setMember("acme", "carol", OrgRole.ADMIN, "alice"));
        await(orgs.createTeam(team("acme", "readers", RepoRole.READ, true, false), "alice"));
        await(orgs.createTeam(team("acme", "writers", RepoRole.WRITE, false, true), "alice"));
        await(orgs.addTeamMember("acme", "readers", "bob", "alice"));
        await(orgs.addTeamMember("acme", "writers", "bob", "alice"));
        await(orgs.addTeamRepository("acme", "writers", "acme/web", "alice"));
        await(orgs.setGrant("acme/web", "dave", RepoRole.ADMIN, "alice"));
        await(orgs.setGrant("alice/app", "dave", RepoRole.WRITE, "alice"));
        repository("acme/web");
        publicRepository("acme/site");
        repository("alice/app");

        assertThat(await(orgs.accessFacts("alice", "acme/web")))
                .isEqualTo(new AccessFacts(NamespaceKind.ORGANIZATION, true, false, OrgRole.OWNER, null, false, null));
        assertThat(await(orgs.accessFacts("carol", "acme/web")))
                .isEqualTo(new AccessFacts(NamespaceKind.ORGANIZATION, true, false, OrgRole.ADMIN, null, false, null));
        // bob: readers (all repositories) and writers (acme/web listed, may create)
        assertThat(await(orgs.accessFacts("bob", "acme/web")))
                .isEqualTo(new AccessFacts(NamespaceKind.ORGANIZATION, true, false, OrgRole.MEMBER, RepoRole.WRITE, true, null));
        assertThat(await(orgs.accessFacts("bob", "acme/site")))
                .isEqualTo(new AccessFacts(NamespaceKind.ORGANIZATION, true, true, OrgRole.MEMBER, RepoRole.READ, true, null));
        assertThat(await(orgs.accessFacts("bob", "acme/new")))
                .isEqualTo(new AccessFacts(NamespaceKind.ORGANIZATION, false, false, OrgRole.MEMBER, RepoRole.READ, true, null));
        // dave: an outside collaborator
        assertThat(await(orgs.accessFacts("dave", "acme/web")))
                .isEqualTo(new AccessFacts(NamespaceKind.ORGANIZATION, true, false, null, null, false, RepoRole.ADMIN));
        assertThat(await(orgs.accessFacts("dave", "alice/app")))
                .isEqualTo(new AccessFacts(NamespaceKind.USER, true, false, null, null, false, RepoRole.WRITE));
        assertThat(await(orgs.accessFacts("alice", "alice/app")))
                .isEqualTo(new AccessFacts(NamespaceKind.USER, true, false, null, null, false, null));
        // anonymous, and a namespace nobody owns
        assertThat(await(orgs.accessFacts(null, "acme/site")))
                .isEqualTo(new AccessFacts(NamespaceKind.ORGANIZATION, true, true, null, null, false, null));
        assertThat(await(orgs.accessFacts("bob", "nobody/x")))
                .isEqualTo(new AccessFacts(null, false, false, null, null, false, null));
        assertThat(await(orgs.accessFacts("bob", "toplevel")))
                .isEqualTo(new AccessFacts(null, false, false, null, null, false, null));
        // a team of another organization gives nothing here
        await(orgs.createOrganization("beta", "bob", T0));
        assertThat(await(orgs.accessFacts("carol", "beta/x")).teamRole()).isNull();
    }

    @Test
    void theCatalogListsWhatEachCallerMayPull() {
        admin("root");
        account("alice");
        account("bob");
        account("carol");
        account("dave");
        account("erin");
        await(orgs.createOrganization("acme", "alice", T0));
        await(orgs.setMember("acme", "carol", OrgRole.ADMIN, "alice"));
        await(orgs.setMember("acme", "erin", OrgRole.MEMBER, "alice"));
        await(orgs.createTeam(team("acme", "web", RepoRole.READ, false, false), "alice"));
        await(orgs.createTeam(team("acme", "ops", RepoRole.WRITE, false, false), "alice"));
        await(orgs.addTeamMember("acme", "web", "bob", "alice"));
        await(orgs.addTeamMember("acme", "ops", "bob", "alice"));
        await(orgs.addTeamRepository("acme", "web", "acme/web", "alice"));
        await(orgs.addTeamRepository("acme", "ops", "acme/web", "alice"));
        await(orgs.addTeamRepository("acme", "ops", "acme/web/assets", "alice"));
        await(orgs.addTeamRepository("acme", "ops", "acme/not-yet", "alice"));
        await(orgs.addTeamRepository("acme", "ops", "beta/outside", "alice"));
        await(orgs.setGrant("alice/private", "dave", RepoRole.READ, "alice"));
        await(orgs.setGrant("acme/db", "dave", RepoRole.READ, "alice"));
        await(orgs.createRobot(robot("acme", "ci", RepoRole.READ, false, List.of("acme/db", "alice/private")), "alice"));
        await(orgs.createRobot(robot("acme", "all", RepoRole.READ, true, List.of()), "alice"));
        for (String repo : List.of("acme/db", "acme/web", "acme/web/assets", "acme/zzz", "alice/private", "alice/tools",
                "beta/outside", "bob/app", "toplevel", "acmeco/x")) {
            repository(repo);
        }
        publicRepository("acme/site");
        publicRepository("zed/public");

        List<String> everything = List.of("acme/db", "acme/site", "acme/web", "acme/web/assets", "acme/zzz", "acmeco/x",
                "alice/private", "alice/tools", "beta/outside", "bob/app", "toplevel", "zed/public");
        assertThat(catalog(null, null, false)).containsExactly("acme/site", "zed/public");
        assertThat(catalog("root", null, true)).isEqualTo(everything);
        // owner: the organization's and her own
        assertThat(catalog("alice", null, false)).containsExactly("acme/db", "acme/site", "acme/web", "acme/web/assets",
                "acme/zzz", "alice/private", "alice/tools", "zed/public");
        // admin of the organization
        assertThat(catalog("carol", null, false)).containsExactly("acme/db", "acme/site", "acme/web", "acme/web/assets",
                "acme/zzz", "zed/public");
        // member through two teams listing one repository twice; listings outside the organization count for nothing
        assertThat(catalog("bob", null, false)).containsExactly("acme/site", "acme/web", "acme/web/assets", "bob/app",
                "zed/public");
        // member without a team
        assertThat(catalog("erin", null, false)).containsExactly("acme/site", "zed/public");
        // outside collaborator
        assertThat(catalog("dave", null, false)).containsExactly("acme/db", "acme/site", "alice/private", "zed/public");
        // robots: listed (never outside their namespace), and all repositories
        assertThat(catalog(null, "acme+ci", false)).containsExactly("acme/db", "acme/site", "zed/public");
        assertThat(catalog(null, "acme+all", false)).containsExactly("acme/db", "acme/site", "acme/web", "acme/web/assets",
                "acme/zzz", "zed/public");
        // a search (the browsing API's) is each caller's catalog filtered by the substring, paged alike
        searchesAgreeWithTheCatalog(null, null, false);
        searchesAgreeWithTheCatalog("root", null, true);
        for (String user : List.of("alice", "carol", "bob", "erin", "dave")) {
            searchesAgreeWithTheCatalog(user, null, false);
        }
        searchesAgreeWithTheCatalog(null, "acme+ci", false);
        searchesAgreeWithTheCatalog(null, "acme+all", false);
        // a team given all repositories
        await(orgs.updateTeam(team("acme", "web", RepoRole.READ, true, false), "alice"));
        assertThat(catalog("bob", null, false)).containsExactly("acme/db", "acme/site", "acme/web", "acme/web/assets",
                "acme/zzz", "bob/app", "zed/public");
        // an empty page, and n = 0
        assertThat(await(orgs.catalogFor("bob", null, false, "zzz", 10))).isEqualTo(new Page(List.of(), false));
        assertThat(await(orgs.catalogFor("bob", null, false, null, 0))).isEqualTo(new Page(List.of(), true));
    }

    /**
     * On random organizations, teams, grants and robots, every caller's catalog, read in pages of
     * random sizes, is exactly the existing repositories that the access facts say it may pull
     * (public; its namespace; an organization it owns or administers; a team's role; a grant; for
     * a robot its namespace's listed or all repositories).
     */
    @Test
    void theCatalogAgreesWithTheAccessFactsOnRandomData() {
        java.util.Random random = new java.util.Random(20261130);
        List<String> users = List.of("u1", "u2", "u3", "u4", "u5", "u6");
        users.forEach(this::account);
        List<String> namespaces = new ArrayList<>(List.of("u1", "u2", "o1", "o2", "o3", "stray"));
        for (String org : List.of("o1", "o2", "o3")) {
            await(orgs.createOrganization(org, users.get(random.nextInt(users.size())), T0));
            for (String user : users) {
                if (random.nextInt(3) == 0) {
                    await(orgs.setMember(org, user, OrgRole.values()[random.nextInt(3)], "root"));
                }
            }
            for (int t = 0; t < 3; t++) {
                String teamName = "t" + t;
                await(orgs.createTeam(team(org, teamName, RepoRole.values()[random.nextInt(3)], random.nextInt(4) == 0,
                        false), "root"));
                for (String user : users) {
                    if (random.nextInt(4) == 0) {
                        await(orgs.addTeamMember(org, teamName, user, "root"));
                    }
                }
            }
        }
        List<String> repositories = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String ns = namespaces.get(random.nextInt(namespaces.size()));
            String repo = ns + "/r" + i + (random.nextInt(5) == 0 ? "/sub" : "");
            repositories.add(repo);
            if (random.nextInt(6) == 0) {
                publicRepository(repo);
            } else if (random.nextInt(8) > 0) {
                repository(repo); // the rest are named in listings and grants but do not exist
            }
            if (ns.startsWith("o") && random.nextInt(3) == 0) {
                await(orgs.addTeamRepository(ns, "t" + random.nextInt(3), repo, "root"));
            }
            if (random.nextInt(5) == 0) {
                await(orgs.setGrant(repo, users.get(random.nextInt(users.size())), RepoRole.READ, "root"));
            }
        }
        List<String> robots = new ArrayList<>();
        for (String ns : List.of("o1", "o2", "u1")) {
            List<String> listed = repositories.stream().filter(r -> random.nextInt(3) == 0).toList();
            Robot r = robot(ns, "bot", RepoRole.READ, random.nextBoolean(), listed);
            await(orgs.createRobot(r, "root"));
            robots.add(r.name());
        }
        java.util.Set<String> reasons = new java.util.HashSet<>();
        for (String user : users) {
            List<String> expected = repositories.stream().sorted().distinct().filter(repo -> {
                AccessFacts f = await(orgs.accessFacts(user, repo));
                if (!f.repositoryExists()) {
                    return false;
                }
                boolean orgAdmin = f.orgRole() != null && f.orgRole() != OrgRole.MEMBER;
                if (!f.repositoryPublic() && !repo.startsWith(user + "/")) {
                    reasons.add(orgAdmin ? "org" : f.teamRole() != null ? "team" : f.grantRole() != null ? "grant" : "none");
                }
                return f.repositoryPublic() || repo.startsWith(user + "/") || orgAdmin || f.teamRole() != null
                        || f.grantRole() != null;
            }).toList();
            assertThat(randomlyPaged(random, user, null)).as(user).isEqualTo(expected);
        }
        // the data exercises every way in (and some repositories stay out)
        assertThat(reasons).contains("org", "team", "grant", "none");
        for (String name : robots) {
            Robot r = await(orgs.robot(name));
            List<String> expected = repositories.stream().sorted().distinct().filter(repo -> {
                AccessFacts f = await(orgs.accessFacts(null, repo));
                boolean own = repo.startsWith(r.namespace() + "/") && (r.allRepositories() || r.repositories().contains(repo));
                return f.repositoryExists() && (f.repositoryPublic() || own);
            }).toList();
            assertThat(randomlyPaged(random, null, name)).as(name).isEqualTo(expected);
        }
    }

    private List<String> randomlyPaged(java.util.Random random, String user, String robot) {
        List<String> all = new ArrayList<>();
        String last = null;
        while (true) {
            Page page = await(orgs.catalogFor(user, robot, false, last, 1 + random.nextInt(7)));
            all.addAll(page.items());
            if (!page.hasMore()) {
                return all;
            }
            last = all.get(all.size() - 1);
        }
    }

    // ---- audit ----

    @Test
    void theAuditLogPagesNewestFirst() {
        account("alice");
        await(orgs.createOrganization("acme", "alice", T0));
        IntStream.range(0, 7).forEach(i -> await(orgs.addTeamRepository("acme", "none", "acme/x", "alice")));
        await(orgs.createTeam(team("acme", "t", RepoRole.READ, false, false), "alice"));
        for (int i = 0; i < 7; i++) {
            await(orgs.addTeamRepository("acme", "t", "acme/r" + i, "alice"));
        }
        List<AuditEntry> all = await(orgs.audit("acme", null, 100));
        assertThat(all).hasSize(9);
        assertThat(all.get(0).target()).isEqualTo("acme/r6");
        assertThat(all.get(8).action()).isEqualTo("org.create");
        List<AuditEntry> paged = new ArrayList<>();
        Long before = null;
        while (true) {
            List<AuditEntry> page = await(orgs.audit("acme", before, 4));
            if (page.isEmpty()) {
                break;
            }
            paged.addAll(page);
            before = page.get(page.size() - 1).id();
        }
        assertThat(paged).isEqualTo(all);
        assertThat(all).isSortedAccordingTo((a, b) -> Long.compare(b.id(), a.id()));
        assertThat(await(orgs.audit("other", null, 10))).isEmpty();
    }
}

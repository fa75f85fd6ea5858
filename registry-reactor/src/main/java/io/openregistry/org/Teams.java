package io.openregistry.org;

import io.openregistry.auth.Principal;
import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.OrgStore.RepoRole;
import io.openregistry.metadata.OrgStore.Team;
import io.openregistry.org.ManagementPolicy.Standing;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * The teams of an organization, their members and repositories: members of the organization see
 * them, owners and admins change them (the standing comes from {@link Organizations#require}).
 */
public final class Teams {
    private static final int MAX_DESCRIPTION = 1000;
    private final OrgStore store;
    private final Organizations organizations;

    /**
     * A change to a team: null fields are left as they are (on creation: no description, role
     * read, only listed repositories, no creating).
     */
    public record Changes(String description, RepoRole role, Boolean allRepositories, Boolean mayCreate) {
    }

    Teams(OrgStore store, Organizations organizations) {
        this.store = store;
        this.organizations = organizations;
    }

    public Mono<List<Team>> list(Principal caller, String org) {
        return organizations.require(caller, org, Standing.SEE).then(Mono.defer(() -> store.teams(org).collectList()));
    }

    public Mono<Team> get(Principal caller, String org, String name) {
        Checks.team("team", name);
        return organizations.require(caller, org, Standing.SEE).then(Mono.defer(() -> existing(org, name)));
    }

    /** 409 when the organization has a team of that name. */
    public Mono<Team> create(Principal caller, String org, String name, Changes changes) {
        Checks.team("name", name);
        checkDescription(changes.description());
        Team team = new Team(org, name, changes.description(), changes.role() == null ? RepoRole.READ : changes.role(),
                Boolean.TRUE.equals(changes.allRepositories()), Boolean.TRUE.equals(changes.mayCreate()), null);
        return organizations.require(caller, org, Standing.MANAGE)
                .then(Mono.defer(() -> store.createTeam(team, caller.username())))
                .flatMap(outcome -> Checks.outcome(outcome, "team " + name))
                .then(Mono.defer(() -> existing(org, name)));
    }

    public Mono<Team> update(Principal caller, String org, String name, Changes changes) {
        Checks.team("team", name);
        checkDescription(changes.description());
        return organizations.require(caller, org, Standing.MANAGE)
                .then(Mono.defer(() -> existing(org, name)))
                .flatMap(old -> store.updateTeam(new Team(org, name,
                        changes.description() == null ? old.description() : changes.description(),
                        changes.role() == null ? old.role() : changes.role(),
                        changes.allRepositories() == null ? old.allRepositories() : changes.allRepositories(),
                        changes.mayCreate() == null ? old.mayCreate() : changes.mayCreate(), old.createdAt()),
                        caller.username()))
                .flatMap(outcome -> Checks.outcome(outcome, "team " + name))
                .then(Mono.defer(() -> existing(org, name)));
    }

    public Mono<Void> delete(Principal caller, String org, String name) {
        Checks.team("team", name);
        return organizations.require(caller, org, Standing.MANAGE)
                .then(Mono.defer(() -> store.deleteTeam(org, name, caller.username())))
                .flatMap(outcome -> Checks.outcome(outcome, "team " + name));
    }

    public Mono<List<String>> members(Principal caller, String org, String team) {
        Checks.team("team", team);
        return organizations.require(caller, org, Standing.SEE)
                .then(Mono.defer(() -> existing(org, team)))
                .flatMap(t -> store.teamMembers(org, team).collectList());
    }

    /** Adds an account to a team (it becomes a member of the organization); 404 without the account. */
    public Mono<Void> addMember(Principal caller, String org, String team, String username) {
        Checks.team("team", team);
        Checks.username("user", username);
        return organizations.require(caller, org, Standing.MANAGE)
                .then(Mono.defer(() -> store.addTeamMember(org, team, username, caller.username())))
                .flatMap(outcome -> Checks.outcome(outcome, "team " + team + " or account " + username));
    }

    public Mono<Void> removeMember(Principal caller, String org, String team, String username) {
        Checks.team("team", team);
        Checks.username("user", username);
        return organizations.require(caller, org, Standing.MANAGE)
                .then(Mono.defer(() -> store.removeTeamMember(org, team, username, caller.username())))
                .flatMap(outcome -> Checks.outcome(outcome, "member " + username + " of team " + team));
    }

    public Mono<List<String>> repositories(Principal caller, String org, String team) {
        Checks.team("team", team);
        return organizations.require(caller, org, Standing.SEE)
                .then(Mono.defer(() -> existing(org, team)))
                .flatMap(t -> store.teamRepositories(org, team).collectList());
    }

    /** Lists a repository of the organization ({@code path} inside it) for the team; it need not exist yet. */
    public Mono<String> addRepository(Principal caller, String org, String team, String path) {
        Checks.team("team", team);
        String repository = Checks.repository("repository", org + "/" + path);
        return organizations.require(caller, org, Standing.MANAGE)
                .then(Mono.defer(() -> store.addTeamRepository(org, team, repository, caller.username())))
                .flatMap(outcome -> Checks.outcome(outcome, "team " + team))
                .thenReturn(repository);
    }

    public Mono<Void> removeRepository(Principal caller, String org, String team, String path) {
        Checks.team("team", team);
        String repository = Checks.repository("repository", org + "/" + path);
        return organizations.require(caller, org, Standing.MANAGE)
                .then(Mono.defer(() -> store.removeTeamRepository(org, team, repository, caller.username())))
                .flatMap(outcome -> Checks.outcome(outcome, "repository " + repository + " of team " + team));
    }

    private Mono<Team> existing(String org, String name) {
        return store.team(org, name).switchIfEmpty(Mono.error(() -> io.openregistry.oci.OciError.NOT_FOUND.exception(
                "team unknown: " + org + "/" + name)));
    }

    private static void checkDescription(String description) {
        if (description != null && (description.length() > MAX_DESCRIPTION
                || description.chars().anyMatch(c -> Character.isISOControl(c) && c != '\n'))) {
            throw Checks.invalid("description must be at most " + MAX_DESCRIPTION + " printable characters");
        }
    }
}

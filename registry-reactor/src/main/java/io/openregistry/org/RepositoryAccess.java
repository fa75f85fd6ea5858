package io.openregistry.org;

import io.openregistry.auth.Principal;
import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.OrgStore.Grant;
import io.openregistry.metadata.OrgStore.RepoRole;
import io.openregistry.org.ManagementPolicy.Standing;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * A repository's visibility and direct grants (outside collaborators). Whoever may pull it sees
 * its visibility; whoever has the admin role on it changes that and its grants; everyone else is
 * answered exactly as for a missing repository.
 */
public final class RepositoryAccess {
    private final OrgStore store;
    private final ManagementPolicy policy;

    /** @param isPublic whether anyone may pull it */
    public record Settings(String name, boolean isPublic) {
    }

    public RepositoryAccess(OrgStore store, ManagementPolicy policy) {
        this.store = store;
        this.policy = policy;
    }

    public Mono<Settings> get(Principal caller, String name) {
        return require(caller, name, Standing.SEE).then(Mono.defer(() -> settings(caller, name)));
    }

    public Mono<Settings> setVisibility(Principal caller, String name, boolean isPublic) {
        return require(caller, name, Standing.MANAGE)
                .then(Mono.defer(() -> store.setVisibility(name, isPublic, caller.username())))
                .flatMap(outcome -> outcome == OrgStore.Outcome.NOT_FOUND ? Mono.error(Checks.unknownRepository(name))
                        : Checks.outcome(outcome, "repository " + name))
                .thenReturn(new Settings(name, isPublic));
    }

    public Mono<List<Grant>> grants(Principal caller, String name) {
        return require(caller, name, Standing.MANAGE).then(Mono.defer(() -> store.grants(name).collectList()));
    }

    /** Grants {@code role} to an account (404 without it); the repository need not exist yet. */
    public Mono<Grant> setGrant(Principal caller, String name, String username, RepoRole role) {
        Checks.username("user", username);
        return require(caller, name, Standing.MANAGE)
                .then(Mono.defer(() -> store.setGrant(name, username, role, caller.username())))
                .flatMap(outcome -> Checks.outcome(outcome, "account " + username))
                .then(Mono.defer(() -> store.grants(name).filter(g -> g.username().equals(username)).next()));
    }

    public Mono<Void> removeGrant(Principal caller, String name, String username) {
        Checks.username("user", username);
        return require(caller, name, Standing.MANAGE)
                .then(Mono.defer(() -> store.removeGrant(name, username, caller.username())))
                .flatMap(outcome -> Checks.outcome(outcome, "grant to " + username));
    }

    /** Its visibility; 404 when it does not exist (an admin of the namespace may ask about one not pushed yet). */
    private Mono<Settings> settings(Principal caller, String name) {
        return store.accessFacts(caller.username(), name)
                .filter(OrgStore.AccessFacts::repositoryExists)
                .switchIfEmpty(Mono.error(() -> Checks.unknownRepository(name)))
                .map(facts -> new Settings(name, facts.repositoryPublic()));
    }

    private Mono<Void> require(Principal caller, String name, Standing needed) {
        Checks.repository("name", name);
        return policy.repository(caller, name).flatMap(standing -> standing == Standing.NONE
                ? Mono.error(Checks.unknownRepository(name))
                : standing.atLeast(needed) ? Mono.empty()
                : Mono.error(Checks.denied("this needs the admin role on " + name)));
    }
}

package io.openregistry.org;

import io.openregistry.auth.AccessPolicy;
import io.openregistry.auth.Principal;
import io.openregistry.auth.Scope;
import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.OrgStore.NamespaceKind;
import io.openregistry.metadata.OrgStore.OrgRole;
import java.util.Optional;
import reactor.core.publisher.Mono;

/**
 * The management API's standings as {@link AccessPolicy} decides them: its management decisions
 * (maySeeOrganization, mayManageOrganization, mayManageOwners, mayManageRobots,
 * mayAdministerRepository, mayAdministerRegistry) and the pull decision, fed with the facts it
 * reads. Nothing is decided here: each standing is the strongest decision that said yes.
 */
public final class AccessPolicyDecisions implements ManagementPolicy {
    private final AccessPolicy policy;
    private final OrgStore store;

    public AccessPolicyDecisions(AccessPolicy policy, OrgStore store) {
        this.policy = policy;
        this.store = store;
    }

    @Override
    public Mono<Standing> organization(Principal caller, String organization) {
        return store.namespaceKind(organization)
                .filter(kind -> kind == NamespaceKind.ORGANIZATION)
                .flatMap(kind -> role(caller, organization))
                .map(role -> {
                    OrgRole r = role.orElse(null);
                    return AccessPolicy.mayManageOwners(caller, r) ? Standing.OWN
                            : AccessPolicy.mayManageOrganization(caller, r) ? Standing.MANAGE
                            : AccessPolicy.maySeeOrganization(caller, r) ? Standing.SEE : Standing.NONE;
                })
                .defaultIfEmpty(Standing.NONE);
    }

    @Override
    public Mono<Standing> robots(Principal caller, String namespace) {
        return store.namespaceKind(namespace)
                .flatMap(kind -> (kind == NamespaceKind.ORGANIZATION ? role(caller, namespace)
                        : Mono.just(Optional.<OrgRole>empty()))
                        .map(role -> AccessPolicy.mayManageRobots(caller, namespace, kind, role.orElse(null))
                                ? Standing.MANAGE
                                : kind == NamespaceKind.ORGANIZATION
                                        && AccessPolicy.maySeeOrganization(caller, role.orElse(null))
                                ? Standing.SEE : Standing.NONE))
                .defaultIfEmpty(Standing.NONE);
    }

    @Override
    public Mono<Standing> repository(Principal caller, String repository) {
        return policy.facts(caller, repository)
                .map(facts -> AccessPolicy.mayAdministerRepository(caller, repository, facts) ? Standing.MANAGE
                        : facts.repositoryExists() && AccessPolicy.allowed(caller, repository, facts).contains(Scope.PULL)
                        ? Standing.SEE
                        : Standing.NONE)
                .defaultIfEmpty(Standing.NONE);
    }

    @Override
    public boolean administersRegistry(Principal caller) {
        return AccessPolicy.mayAdministerRegistry(caller);
    }

    private Mono<Optional<OrgRole>> role(Principal caller, String organization) {
        return policy.orgRole(caller, organization).map(Optional::of).defaultIfEmpty(Optional.empty());
    }
}

package io.openregistry.org;

import io.openregistry.auth.Principal;
import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.OrgStore.NamespaceKind;
import io.openregistry.metadata.OrgStore.OrgRole;
import io.openregistry.metadata.OrgStore.RepoRole;
import reactor.core.publisher.Mono;

/**
 * TEMPORARY, until the branch of {@code auth.AccessPolicy}'s management decisions (helper
 * orgpolicy) is merged: the standings of ORG.md read off the store's facts, so that the
 * management API runs end to end. Replaced then by an adapter over {@code AccessPolicy}
 * (maySeeOrganization, mayManageOrganization, mayManageOwners, mayManageRobots,
 * mayAdministerRepository, allowed); nothing else may depend on this class.
 */
public final class InterimPolicy implements ManagementPolicy {
    private final OrgStore store;

    public InterimPolicy(OrgStore store) {
        this.store = store;
    }

    @Override
    public Mono<Standing> organization(Principal caller, String organization) {
        if (caller.admin()) {
            return store.namespaceKind(organization)
                    .map(kind -> kind == NamespaceKind.ORGANIZATION ? Standing.OWN : Standing.NONE)
                    .defaultIfEmpty(Standing.NONE);
        }
        return store.member(organization, caller.username())
                .map(m -> m.role() == OrgRole.OWNER ? Standing.OWN : m.role() == OrgRole.ADMIN ? Standing.MANAGE
                        : Standing.SEE)
                .defaultIfEmpty(Standing.NONE);
    }

    @Override
    public Mono<Standing> robots(Principal caller, String namespace) {
        return store.namespaceKind(namespace).flatMap(kind -> {
            if (kind == NamespaceKind.USER) {
                return Mono.just(caller.admin() || namespace.equals(caller.username()) ? Standing.MANAGE
                        : Standing.NONE);
            }
            return organization(caller, namespace).map(s -> s == Standing.OWN ? Standing.MANAGE : s);
        }).defaultIfEmpty(Standing.NONE);
    }

    @Override
    public Mono<Standing> repository(Principal caller, String repository) {
        if (caller.admin()) {
            return Mono.just(Standing.MANAGE);
        }
        int slash = repository.indexOf('/');
        if (slash > 0 && repository.substring(0, slash).equals(caller.username())) {
            return Mono.just(Standing.MANAGE);
        }
        return store.accessFacts(caller.username(), repository).map(f -> {
            boolean admin = f.orgRole() == OrgRole.OWNER || f.orgRole() == OrgRole.ADMIN
                    || f.teamRole() == RepoRole.ADMIN || f.grantRole() == RepoRole.ADMIN;
            if (admin) {
                return Standing.MANAGE;
            }
            return f.teamRole() != null || f.grantRole() != null || f.repositoryPublic() ? Standing.SEE : Standing.NONE;
        }).defaultIfEmpty(Standing.NONE);
    }

    @Override
    public boolean administersRegistry(Principal caller) {
        return caller.admin();
    }
}

package io.openregistry.org;

import io.openregistry.auth.NamespaceRules;
import io.openregistry.auth.Principal;
import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.OrgStore.AuditEntry;
import io.openregistry.metadata.OrgStore.Member;
import io.openregistry.metadata.OrgStore.OrgRole;
import io.openregistry.metadata.OrgStore.Organization;
import io.openregistry.metadata.RepositoryStore;
import io.openregistry.org.ManagementPolicy.Standing;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * Organizations, their members and their audit log, as the management API serves them. Who may
 * do what is the {@link ManagementPolicy}'s answer; this class turns it into "go on", 404 or 403,
 * checks the names and maps the store's outcomes to their errors. Teams are in {@link Teams}.
 */
public final class Organizations {
    private final OrgStore store;
    private final RepositoryStore repositories;
    private final ManagementPolicy policy;
    private final NamespaceRules rules;
    private final Clock clock;

    /** One organization as its caller sees it: {@code role} is the caller's, or null. */
    public record View(Organization organization, OrgRole role) {
    }

    /** One page of the audit log, newest first; {@code next} is the {@code before} of the next page, or null. */
    public record AuditPage(List<AuditEntry> entries, Long next) {
    }

    public Organizations(OrgStore store, RepositoryStore repositories, ManagementPolicy policy, NamespaceRules rules,
                         Clock clock) {
        this.store = store;
        this.repositories = repositories;
        this.policy = policy;
        this.rules = rules;
        this.clock = clock;
    }

    /**
     * Creates an organization owned by the caller: 403 when {@code organizations.creation} does not
     * let the caller; 409 when the name is reserved or is a namespace that already holds
     * repositories (unless the caller is a registry admin: as with sign-up, nobody takes over
     * repositories by naming an organization after them), an account's or another organization's.
     */
    public Mono<View> create(Principal caller, String name) {
        Checks.username("name", name);
        if (!rules.mayCreateOrganization(caller)) {
            return Mono.error(Checks.denied("only registry admins create organizations on this registry "
                    + "(organizations.creation: admins)"));
        }
        if (!rules.mayTake(caller, name)) {
            return Mono.error(Checks.taken(name));
        }
        Mono<Boolean> holdsRepositories = policy.administersRegistry(caller) ? Mono.just(false)
                : repositories.namespaceInUse(name);
        return holdsRepositories.flatMap(held -> held ? Mono.error(Checks.taken(name)) : Mono.empty())
                .then(Mono.defer(() -> store.createOrganization(name, caller.username(),
                        clock.instant().truncatedTo(ChronoUnit.MICROS))))
                .flatMap(outcome -> outcome == OrgStore.Outcome.TAKEN ? Mono.error(Checks.taken(name))
                        : Checks.outcome(outcome, "organization " + name))
                .then(Mono.defer(() -> store.organization(name)))
                .map(org -> new View(org, OrgRole.OWNER));
    }

    /** The caller's organizations (every organization for a registry admin), by name. */
    public Mono<List<View>> list(Principal caller, String last, int n) {
        if (policy.administersRegistry(caller)) {
            // every organization, with the admin's own role where it has one (two queries, not one per organization)
            return store.membershipsOf(caller.username()).collectMap(Member::organization, Member::role)
                    .flatMap(roles -> store.organizations(last, n).map(orgs -> orgs.stream()
                            .map(org -> new View(org, roles.get(org.name()))).toList()));
        }
        return store.membershipsOf(caller.username())
                .filter(m -> last == null || m.organization().compareTo(last) > 0)
                .take(n)
                .concatMap(m -> store.organization(m.organization()).map(org -> new View(org, m.role())))
                .collectList();
    }

    /** An organization its members (and registry admins) see; 404 for anyone else. */
    public Mono<View> get(Principal caller, String name) {
        return require(caller, name, Standing.SEE)
                .then(Mono.defer(() -> store.organization(name)))
                .switchIfEmpty(Mono.error(() -> Checks.unknownOrganization(name)))
                .flatMap(org -> store.member(name, caller.username())
                        .map(m -> new View(org, m.role()))
                        .defaultIfEmpty(new View(org, null)));
    }

    /** Deletes an organization (owners, registry admins): 409 while it holds repositories unless {@code withRepositories}. */
    public Mono<Void> delete(Principal caller, String name, boolean withRepositories) {
        return require(caller, name, Standing.OWN)
                .then(Mono.defer(() -> store.deleteOrganization(name, withRepositories, caller.username())))
                .flatMap(outcome -> Checks.outcome(outcome, "organization " + name));
    }

    public Mono<List<Member>> members(Principal caller, String org) {
        return require(caller, org, Standing.SEE).then(Mono.defer(() -> store.members(org).collectList()));
    }

    /**
     * Adds a member or changes its role (owners and admins); making an owner, or changing an
     * owner's role, is for owners. 404 when no account has the name; 409 when the last owner would go.
     */
    public Mono<Member> setMember(Principal caller, String org, String username, OrgRole role) {
        Checks.username("user", username);
        return require(caller, org, Standing.MANAGE)
                .flatMap(standing -> store.member(org, username)
                        .map(existing -> existing.role() == OrgRole.OWNER)
                        .defaultIfEmpty(false)
                        .flatMap(isOwner -> (role == OrgRole.OWNER || isOwner) && !standing.atLeast(Standing.OWN)
                                ? Mono.error(Checks.denied("only owners make or change owners"))
                                : store.setMember(org, username, role, caller.username())))
                .flatMap(outcome -> Checks.outcome(outcome, "account " + username))
                .then(Mono.defer(() -> store.member(org, username)));
    }

    /**
     * Removes a member (and its team memberships): owners and admins; an owner only by owners; any
     * member may leave. 409 for the last owner.
     */
    public Mono<Void> removeMember(Principal caller, String org, String username) {
        Checks.username("user", username);
        boolean leaving = username.equals(caller.username());
        return require(caller, org, leaving ? Standing.SEE : Standing.MANAGE)
                .flatMap(standing -> store.member(org, username)
                        .switchIfEmpty(Mono.error(() -> io.openregistry.oci.OciError.NOT_FOUND.exception(
                                username + " is not a member of " + org)))
                        .flatMap(member -> member.role() == OrgRole.OWNER && !leaving && !standing.atLeast(Standing.OWN)
                                ? Mono.error(Checks.denied("only owners remove owners"))
                                : store.removeMember(org, username, caller.username())))
                .flatMap(outcome -> Checks.outcome(outcome, "member " + username));
    }

    /** The audit log of an organization, for its owners and admins (members: 403). */
    public Mono<AuditPage> audit(Principal caller, String org, Long before, int n) {
        return require(caller, org, Standing.MANAGE)
                .then(Mono.defer(() -> store.audit(org, before, n)))
                .map(entries -> new AuditPage(entries,
                        entries.size() < n || entries.isEmpty() ? null : entries.get(entries.size() - 1).id()));
    }

    /**
     * Goes on with the caller's standing when it reaches {@code needed}; 404 when the caller may not
     * see the organization (or it does not exist), 403 when it sees it but may not do this.
     */
    Mono<Standing> require(Principal caller, String org, Standing needed) {
        Checks.username("organization", org);
        return policy.organization(caller, org).flatMap(standing -> {
            if (standing == Standing.NONE) {
                return Mono.error(Checks.unknownOrganization(org));
            }
            if (!standing.atLeast(needed)) {
                return Mono.error(Checks.denied(needed == Standing.OWN ? "this is for the organization's owners"
                        : "this is for the organization's owners and admins"));
            }
            return Mono.just(standing);
        });
    }

    /** Teams of an organization; the same checks as the rest of it. */
    public Teams teams() {
        return new Teams(store, this);
    }
}

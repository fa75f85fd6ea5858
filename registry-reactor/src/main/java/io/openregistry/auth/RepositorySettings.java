package io.openregistry.auth;

import io.openregistry.metadata.OrgStore;
import io.openregistry.oci.OciError;
import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * A repository's settings (its visibility) as those with the role ADMIN on it see and change them
 * ({@link AccessPolicy#mayAdministerRepository}). A
 * repository the caller may not administer answers exactly like a missing one, so the account API
 * tells nobody which private repositories exist.
 */
public final class RepositorySettings {
    private final OrgStore orgs;
    private final AccessPolicy policy;

    public RepositorySettings(OrgStore orgs, AccessPolicy policy) {
        this.orgs = orgs;
        this.policy = policy;
    }

    /**
     * Empty when {@code caller} may administer {@code name}, else the NAME_UNKNOWN a missing
     * repository gets (checked before a request body is read).
     */
    public Mono<Void> checkAdministers(Principal caller, String name) {
        return policy.mayAdministerRepository(caller, name)
                .flatMap(may -> may ? Mono.<Void>empty() : Mono.error(unknown(name)));
    }

    /** Whether the repository is public; NAME_UNKNOWN when it does not exist or the caller may not administer it. */
    public Mono<Boolean> isPublic(Principal caller, String name) {
        return policy.facts(caller, name).flatMap(facts -> AccessPolicy.mayAdministerRepository(caller, name, facts)
                && facts.repositoryExists() ? Mono.just(facts.repositoryPublic()) : Mono.error(unknown(name)));
    }

    /** Sets the visibility, recorded in the audit log as the caller's change; NAME_UNKNOWN as for {@link #isPublic}. */
    public Mono<Void> setPublic(Principal caller, String name, boolean isPublic) {
        return checkAdministers(caller, name)
                .then(Mono.defer(() -> orgs.setVisibility(name, isPublic, caller.username())))
                .flatMap(outcome -> outcome == OrgStore.Outcome.DONE ? Mono.<Void>empty() : Mono.error(unknown(name)));
    }

    private static RuntimeException unknown(String name) {
        return OciError.NAME_UNKNOWN.exception("repository unknown: " + name).withDetail(Map.of("name", name));
    }
}

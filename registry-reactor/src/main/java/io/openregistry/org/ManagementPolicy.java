package io.openregistry.org;

import io.openregistry.auth.Principal;
import reactor.core.publisher.Mono;

/**
 * The decisions the management API needs, named by what they answer; made by the one access
 * decision ({@code auth.AccessPolicy}), never by the management services, which only turn a
 * {@link Standing} into "go on", 404 (may not see: exactly as missing) or 403 (sees, may not change).
 */
public interface ManagementPolicy {

    /** How far a caller reaches into something, weakest first. */
    enum Standing {
        /** It may not know of it: answered exactly as a missing one (404). */
        NONE,
        /** It sees it (an organization's member; a repository it may pull) but may not change it (403). */
        SEE,
        /**
         * It manages it: an organization's members, teams, robots and audit log (org owner or admin,
         * registry admin); a namespace's robots; a repository's visibility and grants (role admin).
         */
        MANAGE,
        /** It owns it: an organization's owners and the organization itself (org owner, registry admin). */
        OWN;

        public boolean atLeast(Standing other) {
            return compareTo(other) >= 0;
        }
    }

    /** The caller's standing in an organization (NONE also when no organization has the name). */
    Mono<Standing> organization(Principal caller, String organization);

    /** The caller's standing over the robots of a namespace (a user's or an organization's); never OWN. */
    Mono<Standing> robots(Principal caller, String namespace);

    /** The caller's standing on a repository (SEE: may pull; MANAGE: role admin); never OWN. */
    Mono<Standing> repository(Principal caller, String repository);

    /** Whether the caller administers the registry's accounts (list, create, disable, reset, delete). */
    boolean administersRegistry(Principal caller);
}

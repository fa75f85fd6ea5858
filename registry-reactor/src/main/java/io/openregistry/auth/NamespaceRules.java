package io.openregistry.auth;

import java.util.Locale;
import java.util.Set;

/**
 * Who may take a namespace: a reserved name ({@code namespaces.reserved}) only through a registry
 * admin, an organization only when {@code organizations.creation} lets the caller. The shared name
 * space itself (no account and organization of one name) is the store's: it answers TAKEN.
 *
 * @param reserved                  the reserved names, lower case
 * @param organizationsByAdminsOnly whether only registry admins create organizations
 */
public record NamespaceRules(Set<String> reserved, boolean organizationsByAdminsOnly) {
    public NamespaceRules {
        reserved = Set.copyOf(reserved);
    }

    public boolean isReserved(String name) {
        return name != null && reserved.contains(name.toLowerCase(Locale.ROOT));
    }

    /** Whether {@code caller} may give {@code name} to a new account or organization (admins may take reserved names). */
    public boolean mayTake(Principal caller, String name) {
        return !isReserved(name) || (caller != null && caller.admin());
    }

    /** Whether {@code caller} may create an organization at all. */
    public boolean mayCreateOrganization(Principal caller) {
        return caller != null && !caller.anonymous() && (caller.admin() || !organizationsByAdminsOnly);
    }
}

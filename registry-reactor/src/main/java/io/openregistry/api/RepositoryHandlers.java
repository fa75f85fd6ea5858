package io.openregistry.api;

import static io.openregistry.api.ManagementSupport.name;
import static io.openregistry.api.ManagementSupport.time;

import io.openregistry.http.Handler;
import io.openregistry.http.Responses;
import io.openregistry.metadata.OrgStore.Grant;
import io.openregistry.oci.OciError;
import io.openregistry.org.RepositoryAccess;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import reactor.core.publisher.Mono;

/**
 * {@code /api/v1/repositories/{name}[/grants[/{user}]]}: visibility and direct grants of a repository
 * ({@code GET} of the repository is the browsing API's, {@link BrowseHandlers#repository}).
 */
final class RepositoryHandlers {
    private final ManagementSupport support;
    private final RepositoryAccess repositories;

    RepositoryHandlers(ManagementSupport support, RepositoryAccess repositories) {
        this.support = support;
        this.repositories = repositories;
    }

    /** {@code PATCH {"visibility":"public"|"private"}}, with the admin role on it. */
    Handler update() {
        return (request, response, route) -> support.caller(request).flatMap(caller ->
                support.object(request, Set.of("visibility")).flatMap(body -> {
                    String visibility = ManagementSupport.text(body, "visibility");
                    if (!"public".equals(visibility) && !"private".equals(visibility)) {
                        return Mono.error(OciError.INVALID_REQUEST.exception("visibility must be public or private"));
                    }
                    return repositories.setVisibility(caller, route.param(0), visibility.equals("public"));
                }))
                .flatMap(settings -> support.send(request, response, 200, settings(settings)));
    }

    Handler grants() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> repositories.grants(caller, route.param(0)))
                .flatMap(list -> support.send(request, response, 200,
                        Map.of("grants", list.stream().map(RepositoryHandlers::grant).toList())));
    }

    /** {@code PUT .../grants/{user} {"role":"read"|"write"|"admin"}} → 200 the grant. */
    Handler setGrant() {
        return (request, response, route) -> support.caller(request).flatMap(caller ->
                support.object(request, Set.of("role")).flatMap(body -> repositories.setGrant(caller, route.param(0),
                        route.param(1), ManagementSupport.repoRole(ManagementSupport.text(body, "role"), "role", true))))
                .flatMap(grant -> support.send(request, response, 200, grant(grant)));
    }

    Handler removeGrant() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> repositories.removeGrant(caller, route.param(0), route.param(1)))
                .then(Mono.defer(() -> Responses.empty(response, 204)));
    }

    private static Map<String, Object> settings(RepositoryAccess.Settings settings) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", settings.name());
        out.put("visibility", settings.isPublic() ? "public" : "private");
        return out;
    }

    static Map<String, Object> grant(Grant grant) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("repository", grant.repository());
        out.put("username", grant.username());
        out.put("role", name(grant.role()));
        out.put("granted_at", time(grant.grantedAt()));
        return out;
    }
}

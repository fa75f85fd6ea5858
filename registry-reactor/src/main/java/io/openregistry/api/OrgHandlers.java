package io.openregistry.api;

import static io.openregistry.api.ManagementSupport.name;
import static io.openregistry.api.ManagementSupport.time;

import com.fasterxml.jackson.databind.JsonNode;
import io.openregistry.http.Handler;
import io.openregistry.http.Responses;
import io.openregistry.metadata.OrgStore.AuditEntry;
import io.openregistry.metadata.OrgStore.Member;
import io.openregistry.metadata.OrgStore.Team;
import io.openregistry.oci.OciError;
import io.openregistry.org.Checks;
import io.openregistry.org.Organizations;
import io.openregistry.org.Teams;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import reactor.core.publisher.Mono;

/**
 * {@code /api/v1/orgs/...}: organizations, their members, teams (with their members and
 * repositories) and audit log. Parse, call {@link Organizations} or {@link Teams}, answer.
 */
final class OrgHandlers {
    private static final Set<String> TEAM_FIELDS = Set.of("name", "description", "role", "all_repositories",
            "may_create");
    private final ManagementSupport support;
    private final Organizations organizations;
    private final Teams teams;
    private final com.fasterxml.jackson.databind.ObjectMapper json;

    OrgHandlers(ManagementSupport support, Organizations organizations, com.fasterxml.jackson.databind.ObjectMapper json) {
        this.support = support;
        this.organizations = organizations;
        this.teams = organizations.teams();
        this.json = json;
    }

    /** {@code POST /api/v1/orgs {"name"}} → 201 the organization; the caller is its owner. */
    Handler create() {
        return (request, response, route) -> support.caller(request).flatMap(caller ->
                support.object(request, Set.of("name")).flatMap(body ->
                        organizations.create(caller, ManagementSupport.requiredText(body, "name"))))
                .flatMap(view -> support.send(request, response, 201, organization(view)));
    }

    /** {@code GET /api/v1/orgs[?last=&n=]} → the caller's organizations (all for a registry admin). */
    Handler list() {
        return (request, response, route) -> support.caller(request).flatMap(caller -> {
            int n = pageOf(request);
            return organizations.list(caller, ManagementSupport.query(request, "last"), n);
        }).flatMap(views -> support.send(request, response, 200,
                Map.of("organizations", views.stream().map(OrgHandlers::organization).toList())));
    }

    Handler get() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> organizations.get(caller, route.param(0)))
                .flatMap(view -> support.send(request, response, 200, organization(view)));
    }

    /** {@code DELETE /api/v1/orgs/{org}[?deleteRepositories=true]} → 204; 409 while it holds repositories. */
    Handler delete() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> organizations.delete(caller, route.param(0),
                        ManagementSupport.deleteRepositories(request)))
                .then(Mono.defer(() -> Responses.empty(response, 204)));
    }

    Handler members() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> organizations.members(caller, route.param(0)))
                .flatMap(members -> support.send(request, response, 200,
                        Map.of("members", members.stream().map(OrgHandlers::member).toList())));
    }

    /** {@code PUT /api/v1/orgs/{org}/members/{user} {"role"}} → 200 the membership. */
    Handler setMember() {
        return (request, response, route) -> support.caller(request).flatMap(caller ->
                support.object(request, Set.of("role")).flatMap(body -> organizations.setMember(caller,
                        route.param(0), route.param(1),
                        ManagementSupport.orgRole(ManagementSupport.text(body, "role"), "role"))))
                .flatMap(member -> support.send(request, response, 200, member(member)));
    }

    Handler removeMember() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> organizations.removeMember(caller, route.param(0), route.param(1)))
                .then(Mono.defer(() -> Responses.empty(response, 204)));
    }

    /** {@code GET /api/v1/orgs/{org}/audit[?before=&n=]} → newest first, for owners and admins. */
    Handler audit() {
        return (request, response, route) -> support.caller(request).flatMap(caller -> {
            String before = ManagementSupport.query(request, "before");
            Long beforeId;
            try {
                beforeId = before == null ? null : Long.valueOf(before);
            } catch (NumberFormatException e) {
                return Mono.error(OciError.INVALID_REQUEST.exception("before must be an entry id (a whole number)"));
            }
            return organizations.audit(caller, route.param(0), beforeId, pageOf(request));
        }).flatMap(page -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("entries", page.entries().stream().map(this::entry).toList());
            body.put("next", page.next());
            return support.send(request, response, 200, body);
        });
    }

    Handler teams() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> teams.list(caller, route.param(0)))
                .flatMap(list -> support.send(request, response, 200,
                        Map.of("teams", list.stream().map(OrgHandlers::team).toList())));
    }

    /** {@code POST /api/v1/orgs/{org}/teams {"name","description","role","all_repositories","may_create"}} → 201. */
    Handler createTeam() {
        return (request, response, route) -> support.caller(request).flatMap(caller ->
                support.object(request, TEAM_FIELDS).flatMap(body -> teams.create(caller, route.param(0),
                        ManagementSupport.requiredText(body, "name"), changes(body))))
                .flatMap(team -> support.send(request, response, 201, team(team)));
    }

    Handler team() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> teams.get(caller, route.param(0), route.param(1)))
                .flatMap(team -> support.send(request, response, 200, team(team)));
    }

    /** {@code PATCH /api/v1/orgs/{org}/teams/{team}}: the fields given change; the name does not. */
    Handler updateTeam() {
        return (request, response, route) -> support.caller(request).flatMap(caller ->
                support.object(request, TEAM_FIELDS).flatMap(body -> {
                    String renamed = ManagementSupport.text(body, "name");
                    if (renamed != null && !renamed.equals(route.param(1))) {
                        return Mono.error(OciError.INVALID_REQUEST.exception("name cannot change: create a new team"));
                    }
                    return teams.update(caller, route.param(0), route.param(1), changes(body));
                }))
                .flatMap(team -> support.send(request, response, 200, team(team)));
    }

    Handler deleteTeam() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> teams.delete(caller, route.param(0), route.param(1)))
                .then(Mono.defer(() -> Responses.empty(response, 204)));
    }

    Handler teamMembers() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> teams.members(caller, route.param(0), route.param(1)))
                .flatMap(names -> support.send(request, response, 200, Map.of("members", names)));
    }

    /** {@code PUT .../teams/{team}/members/{user}} (no body) → 204; the account joins the organization if it was not in it. */
    Handler addTeamMember() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> teams.addMember(caller, route.param(0), route.param(1), route.param(2)))
                .then(Mono.defer(() -> Responses.empty(response, 204)));
    }

    Handler removeTeamMember() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> teams.removeMember(caller, route.param(0), route.param(1), route.param(2)))
                .then(Mono.defer(() -> Responses.empty(response, 204)));
    }

    Handler teamRepositories() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> teams.repositories(caller, route.param(0), route.param(1)))
                .flatMap(names -> support.send(request, response, 200, Map.of("repositories", names)));
    }

    /** {@code PUT .../teams/{team}/repositories/{repo}} (no body) → 204; {@code repo} is the path inside the organization. */
    Handler addTeamRepository() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> teams.addRepository(caller, route.param(0), route.param(1), route.param(2)))
                .then(Mono.defer(() -> Responses.empty(response, 204)));
    }

    Handler removeTeamRepository() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> teams.removeRepository(caller, route.param(0), route.param(1), route.param(2)))
                .then(Mono.defer(() -> Responses.empty(response, 204)));
    }

    private static int pageOf(reactor.netty.http.server.HttpServerRequest request) {
        return Checks.page(ManagementSupport.pageSize(request));
    }

    private static Teams.Changes changes(JsonNode body) {
        return new Teams.Changes(ManagementSupport.text(body, "description"),
                ManagementSupport.repoRole(ManagementSupport.text(body, "role"), "role", false),
                ManagementSupport.bool(body, "all_repositories"), ManagementSupport.bool(body, "may_create"));
    }

    static Map<String, Object> organization(Organizations.View view) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", view.organization().name());
        out.put("created_by", view.organization().createdBy());
        out.put("created_at", time(view.organization().createdAt()));
        out.put("role", name(view.role()));
        return out;
    }

    static Map<String, Object> member(Member member) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("username", member.username());
        out.put("role", name(member.role()));
        out.put("added_at", time(member.addedAt()));
        return out;
    }

    static Map<String, Object> team(Team team) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("organization", team.organization());
        out.put("name", team.name());
        out.put("description", team.description());
        out.put("role", name(team.role()));
        out.put("all_repositories", team.allRepositories());
        out.put("may_create", team.mayCreate());
        out.put("created_at", time(team.createdAt()));
        return out;
    }

    private Map<String, Object> entry(AuditEntry entry) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", entry.id());
        out.put("namespace", entry.namespace());
        out.put("actor", entry.actor());
        out.put("action", entry.action());
        out.put("target", entry.target());
        out.put("detail", detail(entry.detail()));
        out.put("at", time(entry.at()));
        return out;
    }

    /** The stored detail (a small JSON object) as JSON, not as a string inside JSON. */
    private Object detail(String detail) {
        if (detail == null) {
            return null;
        }
        try {
            JsonNode node = json.readTree(detail);
            return node != null && node.isObject() ? node : Map.of("text", detail);
        } catch (IOException e) {
            return Map.of("text", detail);
        }
    }
}

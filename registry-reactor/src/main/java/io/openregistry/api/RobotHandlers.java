package io.openregistry.api;

import static io.openregistry.api.ManagementSupport.name;
import static io.openregistry.api.ManagementSupport.time;

import com.fasterxml.jackson.databind.JsonNode;
import io.openregistry.http.Handler;
import io.openregistry.http.Responses;
import io.openregistry.metadata.OrgStore.Robot;
import io.openregistry.oci.OciError;
import io.openregistry.org.Robots;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import reactor.core.publisher.Mono;

/**
 * {@code /api/v1/namespaces/{ns}/robots/...}: robot accounts of a user's or an organization's
 * namespace. The secret is in the answer of a creation and of a rotation only ({@code secret},
 * with {@code Cache-Control: no-store}); no other answer and no log line carries it.
 */
final class RobotHandlers {
    private static final Set<String> FIELDS = Set.of("name", "description", "role", "all_repositories", "may_create",
            "repositories", "expires_at");
    private final ManagementSupport support;
    private final Robots robots;

    RobotHandlers(ManagementSupport support, Robots robots) {
        this.support = support;
        this.robots = robots;
    }

    Handler list() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> robots.list(caller, route.param(0)))
                .flatMap(list -> support.send(request, response, 200,
                        Map.of("robots", list.stream().map(RobotHandlers::robot).toList())));
    }

    /** {@code POST {"name","description","role","all_repositories","may_create","repositories","expires_at"}} → 201 with {@code secret}. */
    Handler create() {
        return (request, response, route) -> support.caller(request).flatMap(caller ->
                support.object(request, FIELDS).flatMap(body -> robots.create(caller, route.param(0),
                        ManagementSupport.requiredText(body, "name"), changes(body))))
                .flatMap(created -> support.sendSecret(request, response, 201, withSecret(created)));
    }

    Handler get() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> robots.get(caller, route.param(0), route.param(1)))
                .flatMap(robot -> support.send(request, response, 200, robot(robot)));
    }

    /** {@code PATCH}: the fields given change ({@code "expires_at": null} removes the expiry); name and secret do not. */
    Handler update() {
        return (request, response, route) -> support.caller(request).flatMap(caller ->
                support.object(request, FIELDS).flatMap(body -> {
                    String renamed = ManagementSupport.text(body, "name");
                    if (renamed != null && !renamed.equals(route.param(1))) {
                        return Mono.error(OciError.INVALID_REQUEST.exception("name cannot change: create a new robot"));
                    }
                    return robots.update(caller, route.param(0), route.param(1), changes(body));
                }))
                .flatMap(robot -> support.send(request, response, 200, robot(robot)));
    }

    /** {@code POST .../secret} (no body) → 200 with the new {@code secret}; the old one stops working. */
    Handler rotate() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> robots.rotate(caller, route.param(0), route.param(1)))
                .flatMap(rotated -> support.sendSecret(request, response, 200, withSecret(rotated)));
    }

    Handler delete() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> robots.delete(caller, route.param(0), route.param(1)))
                .then(Mono.defer(() -> Responses.empty(response, 204)));
    }

    private static Robots.Changes changes(JsonNode body) {
        JsonNode expires = body.get("expires_at");
        return new Robots.Changes(ManagementSupport.text(body, "description"),
                ManagementSupport.repoRole(ManagementSupport.text(body, "role"), "role", false),
                ManagementSupport.bool(body, "all_repositories"), ManagementSupport.bool(body, "may_create"),
                ManagementSupport.strings(body, "repositories"), ManagementSupport.instant(body, "expires_at"),
                expires != null && expires.isNull());
    }

    private static Map<String, Object> withSecret(Robots.WithSecret created) {
        Map<String, Object> out = robot(created.robot());
        out.put("secret", created.secret());
        return out;
    }

    static Map<String, Object> robot(Robot robot) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", robot.name());
        out.put("namespace", robot.namespace());
        out.put("short_name", robot.name().substring(robot.namespace().length() + 1));
        out.put("description", robot.description());
        out.put("role", name(robot.role()));
        out.put("all_repositories", robot.allRepositories());
        out.put("may_create", robot.mayCreate());
        out.put("repositories", robot.repositories());
        out.put("expires_at", time(robot.expiresAt()));
        out.put("last_used_at", time(robot.lastUsedAt()));
        out.put("created_by", robot.createdBy());
        out.put("created_at", time(robot.createdAt()));
        return out;
    }
}

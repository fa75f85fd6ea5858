package io.openregistry.api;

import static io.openregistry.api.ManagementSupport.time;

import io.openregistry.auth.Principal;
import io.openregistry.http.Credentials;
import io.openregistry.http.Handler;
import io.openregistry.http.Responses;
import io.openregistry.metadata.AccountStore.Account;
import io.openregistry.oci.OciError;
import io.openregistry.org.Checks;
import io.openregistry.org.Users;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import reactor.core.publisher.Mono;

/**
 * {@code /api/v1/users[/...]}: accounts as a registry admin manages them; and
 * {@code /api/v1/user/password}, the user's own password change.
 */
final class UserHandlers {
    private final ManagementSupport support;
    private final Users users;

    UserHandlers(ManagementSupport support, Users users) {
        this.support = support;
        this.users = users;
    }

    /** {@code GET /api/v1/users[?last=&n=]} → {@code {"users":[…],"next"}}, for registry admins. */
    Handler list() {
        return (request, response, route) -> support.caller(request).flatMap(caller -> {
            return users.list(caller, ManagementSupport.query(request, "last"),
                    Checks.page(ManagementSupport.pageSize(request)));
        }).flatMap(page -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("users", page.accounts().stream().map(UserHandlers::account).toList());
            body.put("next", page.next());
            return support.send(request, response, 200, body);
        });
    }

    /** {@code POST /api/v1/users {"username","password","admin"}} → 201: an admin creates an account (reserved names too). */
    Handler create() {
        return (request, response, route) -> support.caller(request).flatMap(caller ->
                support.object(request, Set.of("username", "password", "admin")).flatMap(body -> users.create(caller,
                        ManagementSupport.requiredText(body, "username"), ManagementSupport.text(body, "password"),
                        Boolean.TRUE.equals(ManagementSupport.bool(body, "admin")))))
                .flatMap(account -> support.send(request, response, 201, account(account)));
    }

    Handler get() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> users.get(caller, route.param(0)))
                .flatMap(account -> support.send(request, response, 200, account(account)));
    }

    /** {@code PATCH /api/v1/users/{user} {"disabled":true|false}} → 200 the account. */
    Handler update() {
        return (request, response, route) -> support.caller(request).flatMap(caller ->
                support.object(request, Set.of("disabled")).flatMap(body -> {
                    Boolean disabled = ManagementSupport.bool(body, "disabled");
                    if (disabled == null) {
                        return Mono.error(OciError.INVALID_REQUEST.exception("disabled is required: true or false"));
                    }
                    return users.setDisabled(caller, route.param(0), disabled);
                }))
                .flatMap(account -> support.send(request, response, 200, account(account)));
    }

    /** {@code PUT /api/v1/users/{user}/password {"password"}} → 204; the account's sessions end. */
    Handler resetPassword() {
        return (request, response, route) -> support.caller(request).flatMap(caller ->
                support.object(request, Set.of("password")).flatMap(body ->
                        users.resetPassword(caller, route.param(0), ManagementSupport.text(body, "password"))))
                .then(Mono.defer(() -> Responses.empty(response, 204)));
    }

    /** {@code DELETE /api/v1/users/{user}[?deleteRepositories=true]} → 204; 409 while it holds repositories. */
    Handler delete() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> users.delete(caller, route.param(0), ManagementSupport.deleteRepositories(request)))
                .then(Mono.defer(() -> Responses.empty(response, 204)));
    }

    /**
     * {@code PUT /api/v1/user/password {"current","password"}}: every session of the account ends;
     * a caller that came with a session gets a new one in the answer (200 {@code {"session",…}}),
     * one that came with the web app's cookie gets 204 and a new cookie (its CSRF token changes with
     * it: {@code GET /auth/session}), one that came with its password gets 204.
     */
    Handler changeOwn() {
        return (request, response, route) -> support.caller(request).flatMap(caller ->
                support.object(request, Set.of("current", "password")).flatMap(body -> users.changeOwnPassword(caller,
                        ManagementSupport.text(body, "current"), ManagementSupport.text(body, "password"),
                        Credentials.address(request)))
                        .then(Mono.defer(() -> ManagementSupport.withSession(request) ? newSession(request, response, caller)
                                : support.withWebSession(request) ? support.renewWebSession(request, response, caller)
                                : Responses.empty(response, 204))));
    }

    private Mono<Void> newSession(reactor.netty.http.server.HttpServerRequest request,
                                  reactor.netty.http.server.HttpServerResponse response, Principal caller) {
        return support.accounts().startSession(caller).flatMap(session -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("username", session.credential().username());
            body.put("session", session.secret());
            body.put("expires_in", Duration.between(session.credential().createdAt(),
                    session.credential().expiresAt()).toSeconds());
            body.put("expires_at", session.credential().expiresAt().toString());
            return support.sendSecret(request, response, 200, body);
        });
    }

    static Map<String, Object> account(Account account) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("username", account.username());
        out.put("admin", account.admin());
        out.put("disabled", account.disabled());
        out.put("created_at", time(account.createdAt()));
        return out;
    }
}

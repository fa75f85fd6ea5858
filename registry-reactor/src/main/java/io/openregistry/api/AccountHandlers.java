package io.openregistry.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.openregistry.auth.Accounts;
import io.openregistry.auth.CredentialInfo;
import io.openregistry.auth.Principal;
import io.openregistry.auth.RepositorySettings;
import io.openregistry.auth.Throttle;
import io.openregistry.http.Credentials;
import io.openregistry.http.Handler;
import io.openregistry.http.Requests;
import io.openregistry.http.Responses;
import io.openregistry.oci.Names;
import io.openregistry.oci.OciError;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;

/**
 * The account API under {@code /auth/} (JSON in, JSON out, errors as the OCI error JSON). Requests
 * other than sign-up and sign-in authenticate with {@code Authorization: Bearer <session>} (from
 * sign-in) or HTTP Basic with the account's password; never with a personal access token, so a
 * leaked pull-only token cannot mint itself a stronger one. Every request counts against the
 * per-address rate limit. Request bodies must be sent as {@code application/json} (415
 * otherwise): a cross-site HTML form can send {@code text/plain} without the browser asking the
 * server first, but not {@code application/json}.
 */
public final class AccountHandlers {
    private static final int MAX_BODY_BYTES = 64 * 1024;
    private final Accounts accounts;
    private final RepositorySettings repositories;
    private final Throttle throttle;
    private final Responses responses;
    private final ObjectMapper json;
    private final boolean signupOpen;
    private final ManagementSupport callers;

    public AccountHandlers(Accounts accounts, RepositorySettings repositories, Throttle throttle, Responses responses,
                           ObjectMapper json, boolean signupOpen, WebSessions web) {
        this.accounts = accounts;
        this.repositories = repositories;
        this.throttle = throttle;
        this.responses = responses;
        this.json = json;
        this.signupOpen = signupOpen;
        this.callers = new ManagementSupport(accounts, throttle, responses, json, web);
    }

    /** {@code POST /auth/signup {"username","password"}} → 201 {@code {"username"}}. */
    public Handler signUp() {
        return (request, response, route) -> {
            throttle.admit(Credentials.address(request));
            if (!signupOpen) {
                return Mono.error(OciError.DENIED.exception("sign-up is disabled on this registry (auth.signup: false)"));
            }
            String address = Credentials.address(request);
            return object(request)
                    .flatMap(body -> accounts.signUp(text(body, "username"), text(body, "password"), address))
                    .flatMap(username -> responses.json(request, response, 201, "application/json",
                            Map.of("username", username)));
        };
    }

    /** {@code POST /auth/signin {"username","password"}} → 200 with a session token. */
    public Handler signIn() {
        return (request, response, route) -> {
            String address = Credentials.address(request);
            throttle.admit(address);
            return object(request)
                    .flatMap(body -> Principal.isRobotName(text(body, "username")) ? Mono.error(robotRefused())
                            : accounts.password(text(body, "username"), text(body, "password"), address))
                    .flatMap(accounts::startSession)
                    .flatMap(session -> {
                        Map<String, Object> body = new LinkedHashMap<>();
                        body.put("username", session.credential().username());
                        body.put("session", session.secret());
                        CredentialInfo c = session.credential();
                        body.put("expires_in", Duration.between(c.createdAt(), c.expiresAt()).toSeconds());
                        body.put("expires_at", session.credential().expiresAt().toString());
                        response.header("Cache-Control", "no-store");
                        return responses.json(request, response, 200, "application/json", body);
                    });
        };
    }

    /** {@code POST /auth/signout} with the session as bearer token → 204; the session (and refresh token) ends. */
    public Handler signOut() {
        return (request, response, route) -> {
            throttle.admit(Credentials.address(request));
            String session = Credentials.bearer(request);
            if (session == null) {
                return Mono.error(OciError.UNAUTHORIZED.exception("sign-out needs the session as a bearer token"));
            }
            return accounts.endSession(session).then(Mono.defer(() -> Responses.empty(response, 204)));
        };
    }

    /** {@code GET /auth/account} → {@code {"username","admin"}}. */
    public Handler account() {
        return (request, response, route) -> caller(request)
                .flatMap(p -> responses.json(request, response, 200, "application/json",
                        Map.of("username", p.username(), "admin", p.admin())));
    }

    /**
     * {@code POST /auth/gc[?dryRun=true]}: one garbage collection, for an admin account (401
     * without credentials, 403 for any other account, 409 while a run of this replica is under
     * way). @param gc runs it (dry or not); empty when a run is under way
     */
    public Handler gc(java.util.function.Function<Boolean, Mono<Map<String, Object>>> gc) {
        return (request, response, route) -> caller(request).flatMap(p -> {
            if (!p.admin()) {
                return Mono.error(OciError.DENIED.exception("garbage collection is for admin accounts"));
            }
            boolean dryRun = Requests.flag(request, "dryRun");
            return gc.apply(dryRun)
                    .switchIfEmpty(Mono.error(OciError.BUSY.exception(
                            "a garbage collection is running on this replica; try again when it has ended")))
                    .flatMap(report -> responses.json(request, response, 200, "application/json", report));
        });
    }

    /** {@code GET /auth/tokens} → the caller's personal access tokens (never their secrets). */
    public Handler listTokens() {
        return (request, response, route) -> caller(request)
                .flatMap(p -> accounts.tokens(p).map(AccountHandlers::describe).collectList())
                .flatMap(list -> responses.json(request, response, 200, "application/json", Map.of("tokens", list)));
    }

    /**
     * {@code POST /auth/tokens {"name","actions":[…],"repositories":[…],"expires_at"|"expires_in_days"}}
     * → 201 with the token's description and, once, its secret in {@code token}.
     */
    public Handler createToken() {
        // the caller first, then the body: a refused caller's body is left to the error mapper to drain
        return (request, response, route) -> caller(request).flatMap(owner -> object(request).flatMap(body ->
                accounts.createToken(owner, text(body, "name"), strings(body, "actions"), strings(body, "repositories"),
                        expiry(body)))).flatMap(issued -> {
            Map<String, Object> body = describe(issued.credential());
            body.put("token", issued.secret());
            response.header("Cache-Control", "no-store");
            return responses.json(request, response, 201, "application/json", body);
        });
    }

    /** {@code DELETE /auth/tokens/<id>} → 204; new registry tokens can no longer be had with it. */
    public Handler revokeToken() {
        return (request, response, route) -> caller(request)
                .flatMap(p -> accounts.revokeToken(p, route.item()))
                .then(Mono.defer(() -> Responses.empty(response, 204)));
    }

    /** {@code GET /auth/repositories/<name>} → {@code {"name","visibility"}}, for its owner or an admin. */
    public Handler repository() {
        return (request, response, route) -> administered(request, route.name())
                .flatMap(caller -> repositories.isPublic(caller, route.name())
                        .flatMap(isPublic -> visibility(request, response, route.name(), isPublic)));
    }

    /** {@code PATCH /auth/repositories/<name> {"visibility":"public"|"private"}}, by its owner or an admin. */
    public Handler updateRepository() {
        return (request, response, route) -> administered(request, route.name())
                .flatMap(caller -> object(request).flatMap(body -> {
                    String visibility = text(body, "visibility");
                    if (!"public".equals(visibility) && !"private".equals(visibility)) {
                        return Mono.error(OciError.INVALID_REQUEST.exception("visibility must be public or private"));
                    }
                    boolean isPublic = visibility.equals("public");
                    return repositories.setPublic(caller, route.name(), isPublic)
                            .then(Mono.defer(() -> visibility(request, response, route.name(), isPublic)));
                }));
    }

    /**
     * The caller, when it may administer the repository; a repository it may not answers as
     * unknown, before any body is read.
     */
    private Mono<Principal> administered(HttpServerRequest request, String name) {
        if (!Names.isValidName(name)) {
            return Mono.error(OciError.NAME_INVALID.exception("invalid repository name: " + name));
        }
        return caller(request).flatMap(p -> repositories.checkAdministers(p, name).thenReturn(p));
    }

    private Mono<Void> visibility(HttpServerRequest request, reactor.netty.http.server.HttpServerResponse response,
                                  String name, boolean isPublic) {
        return responses.json(request, response, 200, "application/json",
                Map.of("name", name, "visibility", isPublic ? "public" : "private"));
    }

    /** The signed-in account, as the management API resolves it ({@link ManagementSupport#caller}). */
    Mono<Principal> caller(HttpServerRequest request) {
        return callers.caller(request);
    }

    /**
     * Robots get registry tokens only: refused before any check of their secret (not a guess, so
     * not counted), whatever the secret is.
     */
    public static RuntimeException robotRefused() {
        return OciError.UNAUTHORIZED.exception("robot accounts do not sign in to the account API; "
                + "they log in to the registry (/token) only");
    }

    /** The JSON object of the body; 415 unless it is declared {@code application/json}. */
    private Mono<JsonNode> object(HttpServerRequest request) {
        if (!isJson(request.requestHeaders().get(HttpHeaderNames.CONTENT_TYPE))) {
            return Mono.error(OciError.INVALID_REQUEST.exception(415,
                    "the request body must be sent with Content-Type: application/json"));
        }
        return Requests.body(request, MAX_BODY_BYTES,
                        size -> OciError.INVALID_REQUEST.exception(413, "request body over " + MAX_BODY_BYTES + " bytes"))
                .map(bytes -> {
                    try {
                        JsonNode node = json.readTree(bytes);
                        if (node == null || !node.isObject()) {
                            throw OciError.INVALID_REQUEST.exception("request body must be a JSON object");
                        }
                        return node;
                    } catch (IOException e) {
                        throw OciError.INVALID_REQUEST.exception("request body is not valid JSON");
                    }
                });
    }

    /** {@code application/json}, with or without parameters (such as {@code charset=utf-8}). */
    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim();
        return type.toLowerCase(Locale.ROOT).equals("application/json");
    }

    private static String text(JsonNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw OciError.INVALID_REQUEST.exception(field + " must be a string");
        }
        return node.asText();
    }

    /** A list of strings, empty when the field is absent or null; 400 for anything else. */
    private static List<String> strings(JsonNode body, String field) {
        List<String> out = ManagementSupport.strings(body, field);
        return out == null ? new ArrayList<>() : out;
    }

    /** {@code expires_at} (RFC 3339) or {@code expires_in_days}, or neither for a token that does not expire. */
    private static Instant expiry(JsonNode body) {
        String at = text(body, "expires_at");
        JsonNode days = body.get("expires_in_days");
        if (at != null && days != null && !days.isNull()) {
            throw OciError.INVALID_REQUEST.exception("give expires_at or expires_in_days, not both");
        }
        if (at != null) {
            return ManagementSupport.instant(body, "expires_at");
        }
        if (days != null && !days.isNull()) {
            if (!days.canConvertToInt() || !days.isIntegralNumber() || days.asInt() < 1 || days.asInt() > 3650) {
                throw OciError.INVALID_REQUEST.exception("expires_in_days must be a whole number of days, 1-3650");
            }
            return Instant.now().plus(Duration.ofDays(days.asInt()));
        }
        return null;
    }

    private static Map<String, Object> describe(CredentialInfo pat) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", pat.id());
        out.put("name", pat.name());
        out.put("actions", pat.actions());
        out.put("repositories", pat.repositories());
        out.put("created_at", pat.createdAt() == null ? null : pat.createdAt().toString());
        out.put("expires_at", pat.expiresAt() == null ? null : pat.expiresAt().toString());
        return out;
    }
}

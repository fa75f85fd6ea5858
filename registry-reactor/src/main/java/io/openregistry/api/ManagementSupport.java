package io.openregistry.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.openregistry.auth.Accounts;
import io.openregistry.auth.Principal;
import io.openregistry.auth.Secrets;
import io.openregistry.auth.Throttle;
import io.openregistry.http.Credentials;
import io.openregistry.http.Requests;
import io.openregistry.http.Responses;
import io.openregistry.metadata.OrgStore.OrgRole;
import io.openregistry.metadata.OrgStore.RepoRole;
import io.openregistry.oci.OciError;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * What every handler of the management API ({@code /api/v1}) shares: who calls (as the account
 * API: a session bearer, or Basic with a password; never a PAT, never a robot, never a disabled
 * account), the strict reading of JSON bodies (declared {@code application/json}, at most 64 KiB,
 * an object with only the fields the route knows, each of its type: 400 naming the field
 * otherwise) and of query parameters, and the writing of answers.
 */
final class ManagementSupport {
    static final int MAX_BODY_BYTES = 64 * 1024;
    static final String JSON = "application/json";
    private final Accounts accounts;
    private final Throttle throttle;
    private final Responses responses;
    private final ObjectMapper json;
    private final WebSessions web;

    ManagementSupport(Accounts accounts, Throttle throttle, Responses responses, ObjectMapper json, WebSessions web) {
        this.web = web;
        this.accounts = accounts;
        this.throttle = throttle;
        this.responses = responses;
        this.json = json;
    }

    /**
     * The signed-in, enabled account making the request; 401 otherwise (before any body is read).
     * Without an Authorization header, the web app's session cookie, CSRF-checked ({@link WebSessions}).
     */
    Mono<Principal> caller(HttpServerRequest request) {
        String address = Credentials.address(request);
        throttle.admit(address);
        String session = Credentials.bearer(request);
        if (session != null) {
            return accounts.session(session, address);
        }
        Credentials.Basic basic = Credentials.basic(request);
        if (basic != null && (Principal.isRobotName(basic.username()) || Secrets.isRobotSecret(basic.secret()))) {
            // refused before any check, as the account API does: a robot pulls and pushes, it never
            // manages; and it is not a password guess
            return Mono.error(AccountHandlers.robotRefused());
        }
        if (basic != null && Secrets.isPersonalToken(basic.secret())) {
            return Mono.error(OciError.UNAUTHORIZED.exception(
                    "personal access tokens are not accepted here: sign in with the password"));
        }
        if (basic != null) {
            return accounts.password(basic.username(), basic.secret(), address);
        }
        if (Credentials.present(request)) {
            // an Authorization header neither Bearer nor Basic: its sender meant it, so it is
            // refused rather than passed over for a cookie the same browser may also send
            return Mono.error(OciError.UNAUTHORIZED.exception(
                            "unsupported Authorization header: use Bearer <session> or Basic with username and password")
                    .withHeader("WWW-Authenticate", "Bearer realm=\"openregistry\""));
        }
        // the web app: the session cookie, only when no Authorization header says otherwise
        return web.caller(request).switchIfEmpty(Mono.error(() -> OciError.UNAUTHORIZED.exception(
                        "sign in: Authorization: Bearer <session from /auth/signin>, or Basic with username and password")
                .withHeader("WWW-Authenticate", "Bearer realm=\"openregistry\"")));
    }

    /** Whether the request came with a session bearer (a password change then hands back a new session). */
    static boolean withSession(HttpServerRequest request) {
        return Credentials.bearer(request) != null;
    }

    /** Whether the request was authenticated by the web app's session cookie (no Authorization header). */
    boolean withWebSession(HttpServerRequest request) {
        return !Credentials.present(request) && WebSessions.secret(request) != null;
    }

    /** 204 with a new web session cookie for {@code caller} (its sessions just ended). */
    Mono<Void> renewWebSession(HttpServerRequest request, HttpServerResponse response, Principal caller) {
        return accounts.startWebSession(caller).flatMap(session -> {
            web.setCookie(request, response, session.secret());
            return Responses.empty(response, 204);
        });
    }

    /** The body's JSON object, with no field outside {@code allowed}. */
    Mono<JsonNode> object(HttpServerRequest request, Set<String> allowed) {
        if (!AccountHandlers.isJson(request.requestHeaders().get(HttpHeaderNames.CONTENT_TYPE))) {
            return Mono.error(OciError.INVALID_REQUEST.exception(415,
                    "the request body must be sent with Content-Type: application/json"));
        }
        return Requests.body(request, MAX_BODY_BYTES,
                        size -> OciError.INVALID_REQUEST.exception(413, "request body over " + MAX_BODY_BYTES + " bytes"))
                .map(bytes -> {
                    JsonNode node;
                    try {
                        node = json.readTree(bytes);
                    } catch (IOException e) {
                        throw OciError.INVALID_REQUEST.exception("request body is not valid JSON");
                    }
                    if (node == null || !node.isObject()) {
                        throw OciError.INVALID_REQUEST.exception("request body must be a JSON object");
                    }
                    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
                        String name = names.next();
                        if (!allowed.contains(name)) {
                            throw OciError.INVALID_REQUEST.exception("unknown field " + name + " (known: "
                                    + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
                        }
                    }
                    return node;
                });
    }

    static String text(JsonNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw OciError.INVALID_REQUEST.exception(field + " must be a string");
        }
        return node.asText();
    }

    static String requiredText(JsonNode body, String field) {
        String value = text(body, field);
        if (value == null) {
            throw OciError.INVALID_REQUEST.exception(field + " is required");
        }
        return value;
    }

    static Boolean bool(JsonNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isBoolean()) {
            throw OciError.INVALID_REQUEST.exception(field + " must be true or false");
        }
        return node.booleanValue();
    }

    static List<String> strings(JsonNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        List<String> out = new ArrayList<>();
        if (!node.isArray()) {
            throw OciError.INVALID_REQUEST.exception(field + " must be a list of strings");
        }
        for (JsonNode item : node) {
            if (!item.isTextual()) {
                throw OciError.INVALID_REQUEST.exception(field + " must be a list of strings");
            }
            out.add(item.asText());
        }
        return out;
    }

    static OrgRole orgRole(String value, String field) {
        if (value == null) {
            throw OciError.INVALID_REQUEST.exception(field + " is required: member, admin or owner");
        }
        return switch (value) {
            case "member" -> OrgRole.MEMBER;
            case "admin" -> OrgRole.ADMIN;
            case "owner" -> OrgRole.OWNER;
            default -> throw OciError.INVALID_REQUEST.exception(field + " must be member, admin or owner");
        };
    }

    /** A repository role, or null when {@code value} is null and it is optional. */
    static RepoRole repoRole(String value, String field, boolean required) {
        if (value == null) {
            if (required) {
                throw OciError.INVALID_REQUEST.exception(field + " is required: read, write or admin");
            }
            return null;
        }
        return switch (value) {
            case "read" -> RepoRole.READ;
            case "write" -> RepoRole.WRITE;
            case "admin" -> RepoRole.ADMIN;
            default -> throw OciError.INVALID_REQUEST.exception(field + " must be read, write or admin");
        };
    }

    static String name(Enum<?> role) {
        return role == null ? null : role.name().toLowerCase(Locale.ROOT);
    }

    static String time(Instant at) {
        return at == null ? null : at.toString();
    }

    /** The last instant RFC 3339 can write (a four-digit year); Java parses years up to 999999999. */
    private static final Instant LAST_RFC3339 = Instant.parse("9999-12-31T23:59:59Z");

    /**
     * An RFC 3339 time, or null. A year past 9999 is refused here: Java would parse it, and the
     * database would then refuse it with a 500.
     */
    static Instant instant(JsonNode body, String field) {
        String at = text(body, field);
        if (at == null) {
            return null;
        }
        Instant instant;
        try {
            instant = OffsetDateTime.parse(at).toInstant();
        } catch (DateTimeParseException e) {
            instant = null;
        }
        if (instant == null || instant.isAfter(LAST_RFC3339)) {
            throw OciError.INVALID_REQUEST.exception(field + " must be an RFC 3339 time, e.g. 2027-01-31T00:00:00Z");
        }
        return instant;
    }

    /** Query parameter {@code name}, or null. */
    static String query(HttpServerRequest request, String name) {
        return Requests.param(Requests.query(request), name);
    }

    /** {@code n} of a listing: null when absent; 400 when not a number. */
    static Integer pageSize(HttpServerRequest request) {
        String n = query(request, "n");
        if (n == null) {
            return null;
        }
        try {
            return Integer.valueOf(n);
        } catch (NumberFormatException e) {
            throw OciError.PAGINATION_NUMBER_INVALID.exception("n must be a whole number");
        }
    }

    /** {@code deleteRepositories=true} (or 1): deletion may take the namespace's repositories with it. */
    static boolean deleteRepositories(HttpServerRequest request) {
        return Requests.flag(request, "deleteRepositories");
    }

    Mono<Void> send(HttpServerRequest request, HttpServerResponse response, int status, Object body) {
        return responses.json(request, response, status, JSON, body);
    }

    /** An answer carrying a secret: never stored by a cache. */
    Mono<Void> sendSecret(HttpServerRequest request, HttpServerResponse response, int status, Map<String, Object> body) {
        response.header("Cache-Control", "no-store");
        return responses.json(request, response, status, JSON, body);
    }

    Accounts accounts() {
        return accounts;
    }
}

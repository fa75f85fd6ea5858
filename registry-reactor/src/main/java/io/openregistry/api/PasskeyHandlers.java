package io.openregistry.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.openregistry.auth.Accounts;
import io.openregistry.auth.Passkeys;
import io.openregistry.auth.Principal;
import io.openregistry.auth.Secrets;
import io.openregistry.auth.Throttle;
import io.openregistry.http.Credentials;
import io.openregistry.http.Handler;
import io.openregistry.http.Responses;
import io.openregistry.oci.OciError;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The web app's session ({@code /auth/session}) and passkeys ({@code /auth/passkeys...}): JSON in
 * and out, errors as the OCI error JSON. Signing in (by password or passkey) and signing up with a
 * passkey answer {@code {"username","csrf_token"}} and set the session cookie ({@link WebSessions}).
 * Bodies must be {@code application/json} (415 otherwise) with only the fields a route knows.
 */
public final class PasskeyHandlers {
    private final Accounts accounts;
    private final Passkeys passkeys;
    private final Throttle throttle;
    private final ManagementSupport support;
    private final WebSessions web;
    private final ObjectMapper json;
    private final boolean signupOpen;

    public PasskeyHandlers(Accounts accounts, Passkeys passkeys, Throttle throttle, Responses responses,
                           ObjectMapper json, WebSessions web, boolean signupOpen) {
        this.accounts = accounts;
        this.passkeys = passkeys;
        this.throttle = throttle;
        this.json = json;
        this.web = web;
        this.signupOpen = signupOpen;
        this.support = new ManagementSupport(accounts, throttle, responses, json, web);
    }

    // --- the session ---

    /** {@code POST /auth/session {"username","password"}} → 200 {@code {"username","csrf_token"}} and the cookie. */
    public Handler signIn() {
        return (request, response, route) -> {
            String address = Credentials.address(request);
            throttle.admit(address);
            return support.object(request, Set.of("username", "password"))
                    .flatMap(body -> {
                        String username = ManagementSupport.text(body, "username");
                        return Principal.isRobotName(username) ? Mono.error(AccountHandlers.robotRefused())
                                : accounts.password(username, ManagementSupport.text(body, "password"), address);
                    })
                    .flatMap(p -> startSession(request, response, p, 200));
        };
    }

    /**
     * {@code GET /auth/session} → {@code {"username","admin","has_password","passkeys","csrf_token"}},
     * or 401 without a live session cookie (the cookie only: this is the web app asking who it is);
     * a dead cookie is cleared with that 401.
     */
    public Handler current() {
        return (request, response, route) -> {
            String address = Credentials.address(request);
            throttle.admit(address);
            String secret = WebSessions.secret(request);
            if (secret == null) {
                return Mono.error(OciError.UNAUTHORIZED.exception("not signed in"));
            }
            return accounts.webSession(secret)
                    // a dead cookie (signed out in another tab, password changed): the page cannot clear
                    // an HttpOnly cookie itself, so this answer does, and the browser stops sending it
                    .switchIfEmpty(Mono.error(() -> {
                        web.clearCookie(request, response);
                        return OciError.UNAUTHORIZED.exception("not signed in");
                    }))
                    .flatMap(p -> accounts.account(p.username())
                            .switchIfEmpty(Mono.error(() -> OciError.UNAUTHORIZED.exception("not signed in")))
                            .zipWith(passkeys.count(p.username())))
                    .flatMap(t -> {
                        Map<String, Object> body = new LinkedHashMap<>();
                        body.put("username", t.getT1().username());
                        body.put("admin", t.getT1().admin());
                        body.put("has_password", t.getT1().passwordHash() != null);
                        body.put("passkeys", t.getT2());
                        body.put("csrf_token", Secrets.csrfToken(secret));
                        response.header("Cache-Control", "no-store");
                        return support.send(request, response, 200, body);
                    });
        };
    }

    /**
     * {@code DELETE /auth/session} → 204: a live session ends (CSRF-checked) and the cookie is
     * cleared; a dead cookie is just cleared (the web app has no CSRF token for it).
     */
    public Handler signOut() {
        return (request, response, route) -> {
            throttle.admit(Credentials.address(request));
            String secret = WebSessions.secret(request);
            Mono<Void> end = secret == null ? Mono.empty() : accounts.webSession(secret)
                    .flatMap(live -> web.checkCsrf(request, secret).then(Mono.defer(() -> accounts.endWebSession(secret))));
            return end.then(Mono.defer(() -> {
                web.clearCookie(request, response);
                return Responses.empty(response, 204);
            }));
        };
    }

    // --- passkeys ---

    /**
     * {@code POST /auth/passkeys/registration/options}: signed out with {@code {"username"}} =
     * sign-up (403 when sign-up is off, 400 for a bad name, 409 when taken); signed in with
     * {@code {}} = add a passkey. → 200 {@code {"flow","publicKey"}}.
     */
    public Handler registrationOptions() {
        return (request, response, route) -> signedIn(request).flatMap(in -> {
            if (in) {
                return support.caller(request).flatMap(caller -> support.object(request, Set.of("username"))
                                .flatMap(body -> passkeys.addOptions(caller)))
                        .flatMap(options -> options(request, response, options));
            }
            throttle.admit(Credentials.address(request));
            if (!signupOpen) {
                return Mono.error(OciError.DENIED.exception("sign-up is disabled on this registry (auth.signup: false)"));
            }
            return support.object(request, Set.of("username"))
                    .flatMap(body -> passkeys.signUpOptions(ManagementSupport.text(body, "username")))
                    .flatMap(options -> options(request, response, options));
        });
    }

    /**
     * {@code POST /auth/passkeys/registration {"flow","credential","name"}}: sign-up → 201
     * {@code {"username","csrf_token"}} and the cookie; add → 201 the passkey.
     */
    public Handler register() {
        return (request, response, route) -> signedIn(request).flatMap(in -> {
            String address = Credentials.address(request);
            Set<String> fields = Set.of("flow", "credential", "name");
            if (in) {
                return support.caller(request).flatMap(caller -> support.object(request, fields)
                                .flatMap(body -> passkeys.register(caller, ManagementSupport.text(body, "flow"),
                                        credential(body), ManagementSupport.text(body, "name"), web.origins(request),
                                        address)))
                        .flatMap(r -> support.send(request, response, 201, describe(r.added())));
            }
            throttle.admit(address);
            if (!signupOpen) {
                return Mono.error(OciError.DENIED.exception("sign-up is disabled on this registry (auth.signup: false)"));
            }
            return support.object(request, fields)
                    .flatMap(body -> passkeys.register(null, ManagementSupport.text(body, "flow"), credential(body),
                            ManagementSupport.text(body, "name"), web.origins(request), address))
                    .flatMap(r -> startSession(request, response, Principal.account(r.signedUp(), false), 201));
        });
    }

    /** {@code POST /auth/passkeys/authentication/options {}} → 200 {@code {"flow","publicKey"}}. */
    public Handler authenticationOptions() {
        return (request, response, route) -> {
            throttle.admit(Credentials.address(request));
            return support.object(request, Set.of())
                    .flatMap(body -> passkeys.signInOptions())
                    .flatMap(options -> options(request, response, options));
        };
    }

    /** {@code POST /auth/passkeys/authentication {"flow","credential"}} → 200 {@code {"username","csrf_token"}} and the cookie. */
    public Handler authenticate() {
        return (request, response, route) -> {
            String address = Credentials.address(request);
            throttle.admit(address);
            return support.object(request, Set.of("flow", "credential"))
                    .flatMap(body -> passkeys.authenticate(ManagementSupport.text(body, "flow"), credential(body),
                            web.origins(request), address))
                    .flatMap(p -> startSession(request, response, p, 200));
        };
    }

    /** {@code GET /auth/passkeys} → {@code {"passkeys":[…]}}, the caller's. */
    public Handler list() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> passkeys.list(caller).map(PasskeyHandlers::describe).collectList())
                .flatMap(list -> support.send(request, response, 200, Map.of("passkeys", list)));
    }

    /** {@code PATCH /auth/passkeys/<id> {"name"}} → 200 the passkey. */
    public Handler rename() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> support.object(request, Set.of("name"))
                        .flatMap(body -> passkeys.rename(caller, route.item(), ManagementSupport.requiredText(body, "name"))))
                .flatMap(p -> support.send(request, response, 200, describe(p)));
    }

    /** {@code DELETE /auth/passkeys/<id>} → 204; 409 when it is the account's last way to sign in. */
    public Handler remove() {
        return (request, response, route) -> support.caller(request)
                .flatMap(caller -> passkeys.remove(caller, route.item()))
                .then(Mono.defer(() -> Responses.empty(response, 204)));
    }

    /**
     * Whether the request comes signed in: an Authorization header (checked later: a wrong one is a
     * 401, not a sign-up), or a live session cookie. A dead cookie a browser still holds is no
     * reason to refuse a sign-up.
     */
    private Mono<Boolean> signedIn(HttpServerRequest request) {
        if (Credentials.present(request)) {
            return Mono.just(true);
        }
        String secret = WebSessions.secret(request);
        return secret == null ? Mono.just(false) : accounts.webSession(secret).hasElement();
    }

    /**
     * A new session and its cookie; the session of the cookie the browser came with (another
     * account's, or an earlier sign-in's) ends, rather than live on unseen until its TTL.
     */
    private Mono<Void> startSession(HttpServerRequest request, HttpServerResponse response, Principal p, int status) {
        String previous = WebSessions.secret(request);
        Mono<Void> endPrevious = previous == null ? Mono.empty() : accounts.endWebSession(previous);
        return endPrevious.then(accounts.startWebSession(p)).flatMap(session -> {
            web.setCookie(request, response, session.secret());
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("username", p.username());
            body.put("csrf_token", Secrets.csrfToken(session.secret()));
            return support.send(request, response, status, body);
        });
    }

    private Mono<Void> options(HttpServerRequest request, HttpServerResponse response, Passkeys.Options options) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("flow", options.flow());
        body.put("publicKey", options.publicKey());
        response.header("Cache-Control", "no-store");
        return support.send(request, response, 200, body);
    }

    /** The browser's {@code credential.toJSON()}, as text for the verifier; 400 unless an object. */
    private String credential(JsonNode body) {
        JsonNode node = body.get("credential");
        if (node == null || !node.isObject()) {
            throw OciError.INVALID_REQUEST.exception("credential is required: the object of PublicKeyCredential.toJSON()");
        }
        try {
            return json.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw OciError.INVALID_REQUEST.exception("credential is not valid JSON");
        }
    }

    static Map<String, Object> describe(Passkeys.Info p) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", p.id());
        out.put("name", p.name());
        out.put("created_at", ManagementSupport.time(p.createdAt()));
        out.put("last_used_at", ManagementSupport.time(p.lastUsedAt()));
        out.put("backed_up", p.backedUp());
        return out;
    }
}

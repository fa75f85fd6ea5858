package io.openregistry.api;

import io.openregistry.auth.Accounts;
import io.openregistry.auth.Principal;
import io.openregistry.auth.Scope;
import io.openregistry.auth.Secrets;
import io.openregistry.auth.Text;
import io.openregistry.auth.Throttle;
import io.openregistry.auth.TokenService;
import io.openregistry.auth.TokenSigner;
import io.openregistry.http.Credentials;
import io.openregistry.http.Handler;
import io.openregistry.http.Requests;
import io.openregistry.http.Responses;
import io.openregistry.oci.OciError;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * {@code /token}, the token endpoint of the Docker registry token protocol:
 * <ul>
 *   <li>{@code GET /token?service=&scope=&scope=…[&offline_token=true]} with HTTP Basic
 *       credentials (password or personal access token, or a robot's full name and secret) or none
 *       (anonymous);</li>
 *   <li>{@code POST /token} with the OAuth2 form: {@code grant_type=password} ({@code username},
 *       {@code password}) or {@code grant_type=refresh_token} ({@code refresh_token}), plus
 *       {@code service}, {@code scope} (space-separated) and {@code access_type=offline} for a
 *       refresh token, as containerd and docker send it.</li>
 * </ul>
 * Answers {@code {token, access_token, expires_in, issued_at[, refresh_token]}}; the token grants
 * what was asked as far as the account may (possibly nothing: a client learns about denial from
 * the registry's next 401, never here).
 *
 * <p>A failed sign-in is a 401 <em>without</em> a {@code WWW-Authenticate: Basic} challenge: such
 * a challenge makes a browser that opened this URL ask for a password and then send it along on
 * its own, to every later request here, including ones another site makes it send. Registry
 * clients need no challenge: docker, podman, skopeo and containerd send their Basic credentials to
 * the realm from the registry's Bearer challenge unprompted.
 */
public final class TokenHandlers {
    /** An OAuth2 form is a few hundred bytes; anything near this is not one. */
    private static final int MAX_FORM_BYTES = 16 * 1024;
    private final TokenService tokens;
    private final Accounts accounts;
    private final Throttle throttle;
    private final Responses responses;

    public TokenHandlers(TokenService tokens, Accounts accounts, Throttle throttle, Responses responses) {
        this.tokens = tokens;
        this.accounts = accounts;
        this.throttle = throttle;
        this.responses = responses;
    }

    public Handler get() {
        return (request, response, route) -> {
            String address = Credentials.address(request);
            throttle.admit(address);
            var query = Requests.query(request);
            checkService(Requests.param(query, "service"));
            List<Scope> scopes = Scope.parseAll(query.get("scope"));
            boolean offline = "true".equalsIgnoreCase(Requests.param(query, "offline_token"));
            Credentials.Basic basic = Credentials.basic(request);
            if (basic == null && Credentials.present(request)) {
                return Mono.error(unauthorized("unsupported or malformed Authorization header; use Basic"));
            }
            Mono<Principal> principal = basic == null ? Mono.just(Principal.ANONYMOUS)
                    : accounts.basic(basic.username(), basic.secret(), address);
            // A refresh token is a session; only a password sign-in starts one (a PAT must not
            // outlive its own revocation through a session it minted).
            boolean session = offline && basic != null && !isPersonalToken(basic.secret());
            return principal.flatMap(p -> respond(request, response, p, scopes, session, null));
        };
    }

    public Handler post() {
        return (request, response, route) -> {
            String address = Credentials.address(request);
            throttle.admit(address);
            return Requests.body(request, MAX_FORM_BYTES,
                            size -> OciError.INVALID_REQUEST.exception(413, "token request form too large"))
                    .flatMap(body -> {
                        Map<String, List<String>> form = form(body);
                        checkService(Requests.param(form, "service"));
                        List<Scope> scopes = Scope.parseAll(form.get("scope"));
                        String grant = Requests.param(form, "grant_type");
                        if ("password".equals(grant)) {
                            String username = Requests.param(form, "username");
                            String password = Requests.param(form, "password");
                            if (username == null || password == null) {
                                return Mono.error(OciError.INVALID_REQUEST.exception("grant_type=password needs username and password"));
                            }
                            boolean session = "offline".equals(Requests.param(form, "access_type"))
                                    && !isPersonalToken(password);
                            return accounts.basic(username, password, address)
                                    .flatMap(p -> respond(request, response, p, scopes, session, null));
                        }
                        if ("refresh_token".equals(grant)) {
                            String refresh = Requests.param(form, "refresh_token");
                            if (refresh == null) {
                                return Mono.error(OciError.INVALID_REQUEST.exception("grant_type=refresh_token needs refresh_token"));
                            }
                            return accounts.session(refresh, address)
                                    .flatMap(p -> respond(request, response, p, scopes, false, refresh));
                        }
                        return Mono.error(OciError.INVALID_REQUEST.exception(
                                "unsupported grant_type: use password or refresh_token"));
                    });
        };
    }

    private Mono<Void> respond(HttpServerRequest request, HttpServerResponse response, Principal principal,
                               List<Scope> scopes, boolean startSession, String refreshToken) {
        // a robot has no sessions: its secret is its only credential (docker login asks for an offline token)
        Mono<String> refresh = startSession && !principal.isRobot()
                ? accounts.startSession(principal).map(Accounts.IssuedSecret::secret)
                : Mono.justOrEmpty(refreshToken);
        return tokens.issue(principal, scopes)
                .zipWith(refresh.map(java.util.Optional::of).defaultIfEmpty(java.util.Optional.empty()))
                .flatMap(t -> {
                    TokenSigner.IssuedToken issued = t.getT1();
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("token", issued.token());
                    body.put("access_token", issued.token());
                    body.put("expires_in", tokens.lifetime().toSeconds());
                    body.put("issued_at", issued.claims().issuedAt().toString());
                    t.getT2().ifPresent(r -> body.put("refresh_token", r));
                    response.header("Cache-Control", "no-store");
                    return responses.json(request, response, 200, "application/json", body);
                });
    }

    private void checkService(String service) {
        if (service != null && !service.equals(tokens.service())) {
            throw OciError.INVALID_REQUEST.exception("unknown service '" + service + "'; this is '" + tokens.service() + "'");
        }
    }

    private static boolean isPersonalToken(String secret) {
        return Secrets.isPersonalToken(secret);
    }

    /**
     * An {@code application/x-www-form-urlencoded} body, decoded strictly: a value that is not
     * valid UTF-8 once its %-escapes are decoded is a 400, not a password with U+FFFD in place of
     * whatever was sent (which would make several passwords one).
     */
    static Map<String, List<String>> form(byte[] body) {
        Map<String, List<String>> form = new LinkedHashMap<>();
        int start = 0;
        while (start <= body.length) {
            int end = start;
            while (end < body.length && body[end] != '&') {
                end++;
            }
            if (end > start) {
                int eq = start;
                while (eq < end && body[eq] != '=') {
                    eq++;
                }
                String name = component(body, start, eq);
                String value = eq < end ? component(body, eq + 1, end) : "";
                form.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            }
            start = end + 1;
        }
        return form;
    }

    private static String component(byte[] body, int from, int to) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
        for (int i = from; i < to; i++) {
            byte b = body[i];
            if (b == '+') {
                out.write(' ');
            } else if (b == '%') {
                int hi = i + 2 < to ? Character.digit(body[i + 1], 16) : -1;
                int lo = i + 2 < to ? Character.digit(body[i + 2], 16) : -1;
                if (hi < 0 || lo < 0) {
                    throw OciError.INVALID_REQUEST.exception("malformed %-escape in the token request form");
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else {
                out.write(b);
            }
        }
        String text = Text.decodeUtf8(out.toByteArray());
        if (text == null) {
            throw OciError.INVALID_REQUEST.exception("the token request form is not valid UTF-8");
        }
        return text;
    }

    private static RuntimeException unauthorized(String message) {
        return OciError.UNAUTHORIZED.exception(message);
    }
}

package io.openregistry.http;

/**
 * Resolves {@code /v2/...} paths (and the few fixed paths of {@code /token} and {@code /auth/...}; {@code /api/v1/...} in {@link ApiRoutes}). Repository names contain slashes, so the URI-template routing
 * of Reactor Netty does not fit; the resource is recognised by the path's trailing segments and
 * everything before them is the name (validated later against the spec's grammar). Plain string
 * scans, no regular expressions: this runs on every request.
 */
public final class PathRouter {
    private static final String PREFIX = "/v2/";
    private static final String AUTH = "/auth/";
    private static final String AUTH_TOKENS = "/auth/tokens/";
    private static final String AUTH_REPOSITORIES = "/auth/repositories/";
    private static final String AUTH_PASSKEYS = "/auth/passkeys/";

    private PathRouter() {
    }

    /** @param path the request path without query string; @return the match, or null for unknown paths */
    public static RouteMatch route(String path) {
        if (path.equals("/v2/") || path.equals("/v2")) {
            return new RouteMatch(Endpoint.BASE, null, null);
        }
        if (!path.startsWith(PREFIX)) {
            if (path.startsWith(ApiRoutes.PREFIX)) {
                return ApiRoutes.route(path);
            }
            return path.startsWith(AUTH) || path.equals("/token") ? routeAuth(path) : null;
        }
        String rest = path.substring(PREFIX.length());
        if (rest.equals("_catalog")) {
            return new RouteMatch(Endpoint.CATALOG, null, null);
        }
        String name = before(rest, "/tags/list");
        if (name != null) {
            return new RouteMatch(Endpoint.TAGS, name, null);
        }
        name = before(rest, "/blobs/uploads/");
        if (name == null) {
            name = before(rest, "/blobs/uploads");
        }
        if (name != null) {
            return new RouteMatch(Endpoint.UPLOAD_START, name, null);
        }
        int slash = rest.lastIndexOf('/');
        if (slash <= 0 || slash == rest.length() - 1) {
            return null;
        }
        String item = rest.substring(slash + 1);
        String head = rest.substring(0, slash);
        if ((name = before(head, "/manifests")) != null) {
            return new RouteMatch(Endpoint.MANIFEST, name, item);
        }
        if ((name = before(head, "/blobs/uploads")) != null) {
            return new RouteMatch(Endpoint.UPLOAD, name, item);
        }
        if ((name = before(head, "/blobs")) != null) {
            return new RouteMatch(Endpoint.BLOB, name, item);
        }
        if ((name = before(head, "/referrers")) != null) {
            return new RouteMatch(Endpoint.REFERRERS, name, item);
        }
        return null;
    }

    /** The token endpoint and the account API; {@code name} holds a repository name, {@code item} a token id. */
    private static RouteMatch routeAuth(String path) {
        switch (path) {
            case "/token":
                return new RouteMatch(Endpoint.TOKEN, null, null);
            case "/auth/signup":
                return new RouteMatch(Endpoint.AUTH_SIGNUP, null, null);
            case "/auth/signin":
                return new RouteMatch(Endpoint.AUTH_SIGNIN, null, null);
            case "/auth/signout":
                return new RouteMatch(Endpoint.AUTH_SIGNOUT, null, null);
            case "/auth/account":
                return new RouteMatch(Endpoint.AUTH_ACCOUNT, null, null);
            case "/auth/tokens":
                return new RouteMatch(Endpoint.AUTH_TOKENS, null, null);
            case "/auth/gc":
                return new RouteMatch(Endpoint.AUTH_GC, null, null);
            case "/auth/session":
                return new RouteMatch(Endpoint.AUTH_SESSION, null, null);
            case "/auth/passkeys":
                return new RouteMatch(Endpoint.AUTH_PASSKEYS, null, null);
            case "/auth/passkeys/registration/options":
                return new RouteMatch(Endpoint.AUTH_PASSKEY_REGISTRATION_OPTIONS, null, null);
            case "/auth/passkeys/registration":
                return new RouteMatch(Endpoint.AUTH_PASSKEY_REGISTRATION, null, null);
            case "/auth/passkeys/authentication/options":
                return new RouteMatch(Endpoint.AUTH_PASSKEY_AUTHENTICATION_OPTIONS, null, null);
            case "/auth/passkeys/authentication":
                return new RouteMatch(Endpoint.AUTH_PASSKEY_AUTHENTICATION, null, null);
            default:
                break;
        }
        if (path.startsWith(AUTH_TOKENS) && path.length() > AUTH_TOKENS.length()
                && path.indexOf('/', AUTH_TOKENS.length()) < 0) {
            return new RouteMatch(Endpoint.AUTH_TOKEN, null, path.substring(AUTH_TOKENS.length()));
        }
        if (path.startsWith(AUTH_PASSKEYS) && path.length() > AUTH_PASSKEYS.length()
                && path.indexOf('/', AUTH_PASSKEYS.length()) < 0) {
            return new RouteMatch(Endpoint.AUTH_PASSKEY, null, path.substring(AUTH_PASSKEYS.length()));
        }
        if (path.startsWith(AUTH_REPOSITORIES) && path.length() > AUTH_REPOSITORIES.length()) {
            return new RouteMatch(Endpoint.AUTH_REPOSITORY, path.substring(AUTH_REPOSITORIES.length()), null);
        }
        return null;
    }

    /** The non-empty part of {@code s} before the suffix, or null when {@code s} does not end with it. */
    private static String before(String s, String suffix) {
        return s.length() > suffix.length() && s.endsWith(suffix) ? s.substring(0, s.length() - suffix.length()) : null;
    }
}

package io.openregistry.http;

import io.openregistry.metrics.Meters;

/**
 * The bounded {@link Meters#TAG_URI} value of a request: the route template of the endpoint it
 * addresses, or {@link Meters#URI_OTHER}. Repository names, digests, tags and upload ids never
 * reach a tag or the access log's {@code route}, so the number of series stays fixed whatever
 * clients send. It lives here, not in {@code metrics}, because only the HTTP layer knows its routes.
 */
public final class RouteTemplates {
    private RouteTemplates() {
    }

    /** The template of a raw request URI (query string ignored); Reactor Netty's {@code uriTagValue} function. */
    public static String uriTemplate(String uri) {
        int query = uri.indexOf('?');
        return of(PathRouter.route(query < 0 ? uri : uri.substring(0, query)));
    }

    /** The template of a routed request ({@link Meters#URI_OTHER} for null). */
    public static String of(RouteMatch match) {
        if (match == null) {
            return Meters.URI_OTHER;
        }
        return switch (match.endpoint()) {
            case BASE -> "/v2/";
            case CATALOG -> "/v2/_catalog";
            case TAGS -> "/v2/{name}/tags/list";
            case MANIFEST -> "/v2/{name}/manifests/{reference}";
            case BLOB -> "/v2/{name}/blobs/{digest}";
            case UPLOAD_START -> "/v2/{name}/blobs/uploads/";
            case UPLOAD -> "/v2/{name}/blobs/uploads/{uuid}";
            case REFERRERS -> "/v2/{name}/referrers/{digest}";
            case TOKEN -> "/token";
            case AUTH_SIGNUP -> "/auth/signup";
            case AUTH_SIGNIN -> "/auth/signin";
            case AUTH_SIGNOUT -> "/auth/signout";
            case AUTH_ACCOUNT -> "/auth/account";
            case AUTH_TOKENS -> "/auth/tokens";
            case AUTH_TOKEN -> "/auth/tokens/{id}";
            case AUTH_REPOSITORY -> "/auth/repositories/{name}";
            case AUTH_GC -> "/auth/gc";
            case AUTH_SESSION -> "/auth/session";
            case AUTH_PASSKEYS -> "/auth/passkeys";
            case AUTH_PASSKEY -> "/auth/passkeys/{id}";
            case AUTH_PASSKEY_REGISTRATION_OPTIONS -> "/auth/passkeys/registration/options";
            case AUTH_PASSKEY_REGISTRATION -> "/auth/passkeys/registration";
            case AUTH_PASSKEY_AUTHENTICATION_OPTIONS -> "/auth/passkeys/authentication/options";
            case AUTH_PASSKEY_AUTHENTICATION -> "/auth/passkeys/authentication";
            case API_OPENAPI -> "/api/v1/openapi.json";
            case API_ORGS -> "/api/v1/orgs";
            case API_ORG -> "/api/v1/orgs/{org}";
            case API_ORG_MEMBERS -> "/api/v1/orgs/{org}/members";
            case API_ORG_MEMBER -> "/api/v1/orgs/{org}/members/{user}";
            case API_ORG_AUDIT -> "/api/v1/orgs/{org}/audit";
            case API_TEAMS -> "/api/v1/orgs/{org}/teams";
            case API_TEAM -> "/api/v1/orgs/{org}/teams/{team}";
            case API_TEAM_MEMBERS -> "/api/v1/orgs/{org}/teams/{team}/members";
            case API_TEAM_MEMBER -> "/api/v1/orgs/{org}/teams/{team}/members/{user}";
            case API_TEAM_REPOSITORIES -> "/api/v1/orgs/{org}/teams/{team}/repositories";
            case API_TEAM_REPOSITORY -> "/api/v1/orgs/{org}/teams/{team}/repositories/{repo}";
            case API_ROBOTS -> "/api/v1/namespaces/{ns}/robots";
            case API_ROBOT -> "/api/v1/namespaces/{ns}/robots/{short}";
            case API_ROBOT_SECRET -> "/api/v1/namespaces/{ns}/robots/{short}/secret";
            case API_REPOSITORY -> "/api/v1/repositories/{name}";
            case API_REPOSITORY_GRANTS -> "/api/v1/repositories/{name}/grants";
            case API_REPOSITORY_GRANT -> "/api/v1/repositories/{name}/grants/{user}";
            case API_USERS -> "/api/v1/users";
            case API_USER -> "/api/v1/users/{user}";
            case API_USER_PASSWORD -> "/api/v1/users/{user}/password";
            case API_OWN_PASSWORD -> "/api/v1/user/password";
            case API_REPOSITORIES -> "/api/v1/repositories";
            case API_REPOSITORY_TAGS -> "/api/v1/repositories/{name}/-/tags";
            case API_REPOSITORY_TAG -> "/api/v1/repositories/{name}/-/tags/{tag}";
            case API_REPOSITORY_MANIFEST -> "/api/v1/repositories/{name}/-/manifests/{reference}";
            case API_REPOSITORY_STATS -> "/api/v1/repositories/{name}/-/stats";
        };
    }
}

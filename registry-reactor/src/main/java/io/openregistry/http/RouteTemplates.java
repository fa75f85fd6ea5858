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
        };
    }
}

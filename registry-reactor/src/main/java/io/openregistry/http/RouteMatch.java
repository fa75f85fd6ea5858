package io.openregistry.http;

import java.util.List;

/**
 * A request path resolved to an endpoint.
 *
 * @param name   the repository name as written in the path (not yet validated), or null
 * @param item   the path's last segment: reference, digest or upload id, or null
 * @param params the management API's path parameters ({@code /api/v1/...}) in the order of the
 *               route's template (for example organization, team, user), not yet validated;
 *               empty for the other endpoints
 */
public record RouteMatch(Endpoint endpoint, String name, String item, List<String> params) {
    public RouteMatch {
        params = List.copyOf(params);
    }

    public RouteMatch(Endpoint endpoint, String name, String item) {
        this(endpoint, name, item, List.of());
    }

    /** The {@code i}-th path parameter of a management API route. */
    public String param(int i) {
        return params.get(i);
    }
}

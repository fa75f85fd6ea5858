package io.openregistry.http;

/**
 * A request path resolved to an endpoint.
 *
 * @param name the repository name as written in the path (not yet validated), or null
 * @param item the path's last segment: reference, digest or upload id, or null
 */
public record RouteMatch(Endpoint endpoint, String name, String item) {
}

package io.openregistry.http;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Resolves {@code /v2/...} paths. Repository names contain slashes, so the URI-template routing
 * of Reactor Netty does not fit; the resource is recognised by the path's trailing segments and
 * everything before them is the name (validated later against the spec's grammar).
 */
public final class PathRouter {
    private static final Pattern TAGS = Pattern.compile("/v2/(.+)/tags/list");
    private static final Pattern MANIFEST = Pattern.compile("/v2/(.+)/manifests/([^/]+)");
    private static final Pattern UPLOAD_START = Pattern.compile("/v2/(.+)/blobs/uploads/?");
    private static final Pattern UPLOAD = Pattern.compile("/v2/(.+)/blobs/uploads/([^/]+)");
    private static final Pattern BLOB = Pattern.compile("/v2/(.+)/blobs/([^/]+)");
    private static final Pattern REFERRERS = Pattern.compile("/v2/(.+)/referrers/([^/]+)");

    private PathRouter() {
    }

    /** @param path the request path without query string; @return the match, or null for unknown paths */
    public static RouteMatch route(String path) {
        if (path.equals("/v2/") || path.equals("/v2")) {
            return new RouteMatch(Endpoint.BASE, null, null);
        }
        if (!path.startsWith("/v2/")) {
            return null;
        }
        if (path.equals("/v2/_catalog")) {
            return new RouteMatch(Endpoint.CATALOG, null, null);
        }
        Matcher m;
        if ((m = TAGS.matcher(path)).matches()) {
            return new RouteMatch(Endpoint.TAGS, m.group(1), null);
        }
        if ((m = MANIFEST.matcher(path)).matches()) {
            return new RouteMatch(Endpoint.MANIFEST, m.group(1), m.group(2));
        }
        if ((m = UPLOAD_START.matcher(path)).matches()) {
            return new RouteMatch(Endpoint.UPLOAD_START, m.group(1), null);
        }
        if ((m = UPLOAD.matcher(path)).matches()) {
            return new RouteMatch(Endpoint.UPLOAD, m.group(1), m.group(2));
        }
        if ((m = BLOB.matcher(path)).matches()) {
            return new RouteMatch(Endpoint.BLOB, m.group(1), m.group(2));
        }
        if ((m = REFERRERS.matcher(path)).matches()) {
            return new RouteMatch(Endpoint.REFERRERS, m.group(1), m.group(2));
        }
        return null;
    }
}

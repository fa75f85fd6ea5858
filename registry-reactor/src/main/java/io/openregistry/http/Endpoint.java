package io.openregistry.http;

/** The resources of the distribution API, as recognised from a request path. */
public enum Endpoint {
    BASE, CATALOG, TAGS, MANIFEST, BLOB, UPLOAD_START, UPLOAD, REFERRERS;
}

package io.openregistry.http;

/** The resources of the distribution API, the token endpoint and the account API, as recognised from a request path. */
public enum Endpoint {
    BASE, CATALOG, TAGS, MANIFEST, BLOB, UPLOAD_START, UPLOAD, REFERRERS,
    /** {@code /token}: the token service. */
    TOKEN,
    /** {@code /auth/...}: the account API. */
    AUTH_SIGNUP, AUTH_SIGNIN, AUTH_SIGNOUT, AUTH_ACCOUNT, AUTH_TOKENS, AUTH_TOKEN, AUTH_REPOSITORY,
    /** {@code /auth/gc}: garbage collection, for admin accounts. */
    AUTH_GC;

    /** Whether requests to it are distribution API requests, which need an access token when auth is on. */
    public boolean isDistributionApi() {
        return ordinal() <= REFERRERS.ordinal();
    }
}

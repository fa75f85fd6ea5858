package io.openregistry.http;

/**
 * The resources of the distribution API, the token endpoint, the account API and the management
 * API, as recognised from a request path.
 */
public enum Endpoint {
    BASE, CATALOG, TAGS, MANIFEST, BLOB, UPLOAD_START, UPLOAD, REFERRERS,
    /** {@code /token}: the token service. */
    TOKEN,
    /** {@code /auth/...}: the account API. */
    AUTH_SIGNUP, AUTH_SIGNIN, AUTH_SIGNOUT, AUTH_ACCOUNT, AUTH_TOKENS, AUTH_TOKEN, AUTH_REPOSITORY,
    /** {@code /auth/gc}: garbage collection, for admin accounts. */
    AUTH_GC,
    /** {@code /auth/session}, {@code /auth/passkeys...}: the web app's session cookie and passkeys. */
    AUTH_SESSION, AUTH_PASSKEYS, AUTH_PASSKEY, AUTH_PASSKEY_REGISTRATION_OPTIONS, AUTH_PASSKEY_REGISTRATION,
    AUTH_PASSKEY_AUTHENTICATION_OPTIONS, AUTH_PASSKEY_AUTHENTICATION,
    /** {@code /api/v1/...}: the management API (Org mode); {@code RouteTemplates} gives each its path template. */
    API_OPENAPI, API_ORGS, API_ORG, API_ORG_MEMBERS, API_ORG_MEMBER, API_ORG_AUDIT, API_TEAMS, API_TEAM,
    API_TEAM_MEMBERS, API_TEAM_MEMBER, API_TEAM_REPOSITORIES, API_TEAM_REPOSITORY, API_ROBOTS, API_ROBOT,
    API_ROBOT_SECRET, API_REPOSITORY, API_REPOSITORY_GRANTS, API_REPOSITORY_GRANT, API_USERS, API_USER,
    API_USER_PASSWORD, API_OWN_PASSWORD,
    /** The browsing API (under {@code /api/v1/repositories}; repository sub-resources after {@code /-/}). */
    API_REPOSITORIES, API_REPOSITORY_TAGS, API_REPOSITORY_TAG, API_REPOSITORY_MANIFEST, API_REPOSITORY_STATS;

    /** Whether requests to it are distribution API requests, which need an access token when auth is on. */
    public boolean isDistributionApi() {
        return ordinal() <= REFERRERS.ordinal();
    }

    /** Whether it is part of the management API under {@code /api/v1/}. */
    public boolean isManagementApi() {
        return ordinal() >= API_OPENAPI.ordinal();
    }
}

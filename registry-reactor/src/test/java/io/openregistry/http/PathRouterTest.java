package io.openregistry.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PathRouterTest {

    @Test
    void recognisesEveryEndpoint() {
        assertThat(PathRouter.route("/v2/")).isEqualTo(new RouteMatch(Endpoint.BASE, null, null));
        assertThat(PathRouter.route("/v2")).isEqualTo(new RouteMatch(Endpoint.BASE, null, null));
        assertThat(PathRouter.route("/v2/_catalog")).isEqualTo(new RouteMatch(Endpoint.CATALOG, null, null));
        assertThat(PathRouter.route("/v2/a/b/tags/list")).isEqualTo(new RouteMatch(Endpoint.TAGS, "a/b", null));
        assertThat(PathRouter.route("/v2/a/b/manifests/v1")).isEqualTo(new RouteMatch(Endpoint.MANIFEST, "a/b", "v1"));
        assertThat(PathRouter.route("/v2/a/blobs/uploads/")).isEqualTo(new RouteMatch(Endpoint.UPLOAD_START, "a", null));
        assertThat(PathRouter.route("/v2/a/blobs/uploads")).isEqualTo(new RouteMatch(Endpoint.UPLOAD_START, "a", null));
        assertThat(PathRouter.route("/v2/a/blobs/uploads/x-1")).isEqualTo(new RouteMatch(Endpoint.UPLOAD, "a", "x-1"));
        assertThat(PathRouter.route("/v2/a/blobs/sha256:00")).isEqualTo(new RouteMatch(Endpoint.BLOB, "a", "sha256:00"));
        assertThat(PathRouter.route("/v2/a/referrers/sha256:00")).isEqualTo(new RouteMatch(Endpoint.REFERRERS, "a", "sha256:00"));
    }

    @Test
    void anInvalidReferenceStillRoutesToItsManifest() {
        // the handler answers 404 MANIFEST_UNKNOWN for it (400 on PUT), not the router's "no such endpoint"
        assertThat(PathRouter.route("/v2/a/manifests/.INVALID_MANIFEST_NAME"))
                .isEqualTo(new RouteMatch(Endpoint.MANIFEST, "a", ".INVALID_MANIFEST_NAME"));
        assertThat(PathRouter.route("/v2/a/manifests/sha256:")).isEqualTo(new RouteMatch(Endpoint.MANIFEST, "a", "sha256:"));
    }

    @Test
    void namesMayContainResourceWords() {
        assertThat(PathRouter.route("/v2/manifests/tags/manifests/v1"))
                .isEqualTo(new RouteMatch(Endpoint.MANIFEST, "manifests/tags", "v1"));
        assertThat(PathRouter.route("/v2/blobs/blobs/sha256:00")).isEqualTo(new RouteMatch(Endpoint.BLOB, "blobs", "sha256:00"));
    }

    @Test
    void recognisesTheTokenEndpointAndTheAccountApi() {
        assertThat(PathRouter.route("/token")).isEqualTo(new RouteMatch(Endpoint.TOKEN, null, null));
        assertThat(PathRouter.route("/auth/signup")).isEqualTo(new RouteMatch(Endpoint.AUTH_SIGNUP, null, null));
        assertThat(PathRouter.route("/auth/signin")).isEqualTo(new RouteMatch(Endpoint.AUTH_SIGNIN, null, null));
        assertThat(PathRouter.route("/auth/signout")).isEqualTo(new RouteMatch(Endpoint.AUTH_SIGNOUT, null, null));
        assertThat(PathRouter.route("/auth/account")).isEqualTo(new RouteMatch(Endpoint.AUTH_ACCOUNT, null, null));
        assertThat(PathRouter.route("/auth/tokens")).isEqualTo(new RouteMatch(Endpoint.AUTH_TOKENS, null, null));
        assertThat(PathRouter.route("/auth/tokens/abc")).isEqualTo(new RouteMatch(Endpoint.AUTH_TOKEN, null, "abc"));
        assertThat(PathRouter.route("/auth/repositories/a/b"))
                .isEqualTo(new RouteMatch(Endpoint.AUTH_REPOSITORY, "a/b", null));
        assertThat(PathRouter.route("/auth/tokens/a/b")).isNull();
        assertThat(PathRouter.route("/auth/tokens/")).isNull();
        assertThat(PathRouter.route("/auth/")).isNull();
        assertThat(PathRouter.route("/tokens")).isNull();
        assertThat(Endpoint.REFERRERS.isDistributionApi()).isTrue();
        assertThat(Endpoint.TOKEN.isDistributionApi()).isFalse();
    }

    @Test
    void recognisesTheManagementApi() {
        assertThat(PathRouter.route("/api/v1/openapi.json")).isEqualTo(new RouteMatch(Endpoint.API_OPENAPI, null, null));
        assertThat(PathRouter.route("/api/v1/orgs")).isEqualTo(new RouteMatch(Endpoint.API_ORGS, null, null));
        assertThat(PathRouter.route("/api/v1/orgs/acme").params()).containsExactly("acme");
        assertThat(PathRouter.route("/api/v1/orgs/acme/members/bob"))
                .isEqualTo(new RouteMatch(Endpoint.API_ORG_MEMBER, null, null, java.util.List.of("acme", "bob")));
        assertThat(PathRouter.route("/api/v1/orgs/acme/teams/devs/members/bob").params())
                .containsExactly("acme", "devs", "bob");
        // a team's repository is the rest of the path, slashes and all; its name is the full repository
        RouteMatch repo = PathRouter.route("/api/v1/orgs/acme/teams/devs/repositories/app/web/x");
        assertThat(repo.endpoint()).isEqualTo(Endpoint.API_TEAM_REPOSITORY);
        assertThat(repo.params()).containsExactly("acme", "devs", "app/web/x");
        assertThat(repo.name()).isEqualTo("acme/app/web/x");
        assertThat(PathRouter.route("/api/v1/namespaces/acme/robots/ci/secret").params()).containsExactly("acme", "ci");
        assertThat(PathRouter.route("/api/v1/namespaces/acme/robots/ci/secret").endpoint())
                .isEqualTo(Endpoint.API_ROBOT_SECRET);
        // repository names hold slashes: matched by their trailing segments, as /v2/ does
        assertThat(PathRouter.route("/api/v1/repositories/acme/team/app"))
                .isEqualTo(new RouteMatch(Endpoint.API_REPOSITORY, "acme/team/app", null, java.util.List.of("acme/team/app")));
        assertThat(PathRouter.route("/api/v1/repositories/acme/app/grants"))
                .isEqualTo(new RouteMatch(Endpoint.API_REPOSITORY_GRANTS, "acme/app", null, java.util.List.of("acme/app")));
        assertThat(PathRouter.route("/api/v1/repositories/acme/app/grants/bob"))
                .isEqualTo(new RouteMatch(Endpoint.API_REPOSITORY_GRANT, "acme/app", "bob",
                        java.util.List.of("acme/app", "bob")));
        // the browsing API: a repository's resources after "/-/", which is never a name component
        assertThat(PathRouter.route("/api/v1/repositories")).isEqualTo(new RouteMatch(Endpoint.API_REPOSITORIES, null, null));
        assertThat(PathRouter.route("/api/v1/repositories/acme/team/app/-/tags"))
                .isEqualTo(new RouteMatch(Endpoint.API_REPOSITORY_TAGS, "acme/team/app", null, java.util.List.of("acme/team/app")));
        assertThat(PathRouter.route("/api/v1/repositories/acme/app/-/tags/v1.0"))
                .isEqualTo(new RouteMatch(Endpoint.API_REPOSITORY_TAG, "acme/app", "v1.0", java.util.List.of("acme/app", "v1.0")));
        assertThat(PathRouter.route("/api/v1/repositories/acme/app/-/manifests/sha256:ab").params())
                .containsExactly("acme/app", "sha256:ab");
        assertThat(PathRouter.route("/api/v1/repositories/acme/app/-/stats").endpoint())
                .isEqualTo(Endpoint.API_REPOSITORY_STATS);
        // a repository named like a browsing resource is still a repository
        assertThat(PathRouter.route("/api/v1/repositories/acme/tags").endpoint()).isEqualTo(Endpoint.API_REPOSITORY);
        for (String path : java.util.List.of("/api/v1/repositories/acme/app/-/", "/api/v1/repositories/acme/app/-/x",
                "/api/v1/repositories/acme/app/-/tags/a/b", "/api/v1/repositories/acme/app/-/manifests",
                "/api/v1/repositories/acme/app/-/stats/x")) {
            assertThat(PathRouter.route(path)).as(path).isNull();
        }
        assertThat(PathRouter.route("/api/v1/users").endpoint()).isEqualTo(Endpoint.API_USERS);
        assertThat(PathRouter.route("/api/v1/users/bob/password").params()).containsExactly("bob");
        assertThat(PathRouter.route("/api/v1/user/password").endpoint()).isEqualTo(Endpoint.API_OWN_PASSWORD);
        assertThat(Endpoint.API_ORGS.isManagementApi()).isTrue();
        assertThat(Endpoint.API_ORGS.isDistributionApi()).isFalse();
        assertThat(Endpoint.AUTH_GC.isManagementApi()).isFalse();
    }

    @Test
    void managementPathsOfNoRouteAreUnknown() {
        for (String path : java.util.List.of("/api/v1/", "/api/v1/orgs/", "/api/v1/orgs//members", "/api/v1/orgs/a/b",
                "/api/v1/orgs/a/members/b/c", "/api/v1/orgs/a/teams/t/x", "/api/v1/orgs/a/teams/t/repositories/",
                "/api/v1/namespaces/a", "/api/v1/namespaces/a/robots/r/x", "/api/v1/repositories/",
                "/api/v1/repositories/a//b", "/api/v1/users/a/b", "/api/v1/user", "/api/v1/user/x", "/api/v2/orgs",
                "/api/v1/audit")) {
            assertThat(PathRouter.route(path)).as(path).isNull();
        }
    }

    @Test
    void unknownPaths() {
        assertThat(PathRouter.route("/")).isNull();
        assertThat(PathRouter.route("/v3/")).isNull();
        assertThat(PathRouter.route("/v2/a")).isNull();
        assertThat(PathRouter.route("/v2/a/manifests/")).isNull();
    }
}

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
    void unknownPaths() {
        assertThat(PathRouter.route("/")).isNull();
        assertThat(PathRouter.route("/v3/")).isNull();
        assertThat(PathRouter.route("/v2/a")).isNull();
        assertThat(PathRouter.route("/v2/a/manifests/")).isNull();
    }
}

package io.openregistry.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.openregistry.auth.Accounts;
import io.openregistry.auth.Principal;
import io.openregistry.content.BrowseService;
import io.openregistry.http.Credentials;
import io.openregistry.auth.Throttle;
import io.openregistry.http.Endpoint;
import io.openregistry.http.Handler;
import io.openregistry.http.Responses;
import io.openregistry.oci.OciError;
import io.openregistry.oci.OciException;
import io.openregistry.org.Organizations;
import io.openregistry.org.RepositoryAccess;
import io.openregistry.org.Robots;
import io.openregistry.org.Users;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Set;
import java.util.List;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;

/**
 * The management API under {@code /api/v1} (Org mode): its routes, each to its handler, and the
 * OpenAPI 3.1 document that describes them ({@value #OPENAPI_RESOURCE} in the jar, served at
 * {@code GET /api/v1/openapi.json}).
 */
public final class ManagementApi {
    /** The OpenAPI document, a resource of the jar. */
    public static final String OPENAPI_RESOURCE = "/openapi/api-v1.json";

    /** One route: endpoint and method to handler. */
    public record Route(Endpoint endpoint, HttpMethod method, Handler handler) {
    }

    /** Who calls the browsing API; anonymous callers are answered too. */
    @FunctionalInterface
    interface Callers {
        Mono<Principal> of(HttpServerRequest request);
    }

    /**
     * With access control off everyone browses everything and may delete, as on {@code /v2/}: an
     * admin's rights without a name (so nothing that needs an account, like visibility, applies).
     */
    private static final Principal OPEN = new Principal(null, true, null, List.of(), null);

    /** The browsing API's endpoints (plus GET of {@link Endpoint#API_REPOSITORY}). */
    private static final Set<Endpoint> BROWSE = EnumSet.of(Endpoint.API_REPOSITORIES, Endpoint.API_REPOSITORY_TAGS,
            Endpoint.API_REPOSITORY_TAG, Endpoint.API_REPOSITORY_MANIFEST, Endpoint.API_REPOSITORY_STATS);

    private ManagementApi() {
    }

    /** Every route of the API, with access control on; the browsing API's on {@code browse}. */
    public static List<Route> routes(Accounts accounts, Users users, Organizations organizations, Robots robots,
                                     RepositoryAccess repositories, Throttle throttle, Responses responses,
                                     ObjectMapper json, WebSessions web, BrowseService browse) {
        ManagementSupport support = new ManagementSupport(accounts, throttle, responses, json, web);
        OrgHandlers orgs = new OrgHandlers(support, organizations, json);
        RobotHandlers robot = new RobotHandlers(support, robots);
        RepositoryHandlers repository = new RepositoryHandlers(support, repositories);
        UserHandlers user = new UserHandlers(support, users);
        List<Route> routes = new ArrayList<>();
        routes.add(new Route(Endpoint.API_OPENAPI, HttpMethod.GET, openApi()));
        routes.add(new Route(Endpoint.API_ORGS, HttpMethod.GET, orgs.list()));
        routes.add(new Route(Endpoint.API_ORGS, HttpMethod.POST, orgs.create()));
        routes.add(new Route(Endpoint.API_ORG, HttpMethod.GET, orgs.get()));
        routes.add(new Route(Endpoint.API_ORG, HttpMethod.DELETE, orgs.delete()));
        routes.add(new Route(Endpoint.API_ORG_MEMBERS, HttpMethod.GET, orgs.members()));
        routes.add(new Route(Endpoint.API_ORG_MEMBER, HttpMethod.PUT, orgs.setMember()));
        routes.add(new Route(Endpoint.API_ORG_MEMBER, HttpMethod.DELETE, orgs.removeMember()));
        routes.add(new Route(Endpoint.API_ORG_AUDIT, HttpMethod.GET, orgs.audit()));
        routes.add(new Route(Endpoint.API_TEAMS, HttpMethod.GET, orgs.teams()));
        routes.add(new Route(Endpoint.API_TEAMS, HttpMethod.POST, orgs.createTeam()));
        routes.add(new Route(Endpoint.API_TEAM, HttpMethod.GET, orgs.team()));
        routes.add(new Route(Endpoint.API_TEAM, HttpMethod.PATCH, orgs.updateTeam()));
        routes.add(new Route(Endpoint.API_TEAM, HttpMethod.DELETE, orgs.deleteTeam()));
        routes.add(new Route(Endpoint.API_TEAM_MEMBERS, HttpMethod.GET, orgs.teamMembers()));
        routes.add(new Route(Endpoint.API_TEAM_MEMBER, HttpMethod.PUT, orgs.addTeamMember()));
        routes.add(new Route(Endpoint.API_TEAM_MEMBER, HttpMethod.DELETE, orgs.removeTeamMember()));
        routes.add(new Route(Endpoint.API_TEAM_REPOSITORIES, HttpMethod.GET, orgs.teamRepositories()));
        routes.add(new Route(Endpoint.API_TEAM_REPOSITORY, HttpMethod.PUT, orgs.addTeamRepository()));
        routes.add(new Route(Endpoint.API_TEAM_REPOSITORY, HttpMethod.DELETE, orgs.removeTeamRepository()));
        routes.add(new Route(Endpoint.API_ROBOTS, HttpMethod.GET, robot.list()));
        routes.add(new Route(Endpoint.API_ROBOTS, HttpMethod.POST, robot.create()));
        routes.add(new Route(Endpoint.API_ROBOT, HttpMethod.GET, robot.get()));
        routes.add(new Route(Endpoint.API_ROBOT, HttpMethod.PATCH, robot.update()));
        routes.add(new Route(Endpoint.API_ROBOT, HttpMethod.DELETE, robot.delete()));
        routes.add(new Route(Endpoint.API_ROBOT_SECRET, HttpMethod.POST, robot.rotate()));
        routes.add(new Route(Endpoint.API_REPOSITORY, HttpMethod.PATCH, repository.update()));
        routes.add(new Route(Endpoint.API_REPOSITORY_GRANTS, HttpMethod.GET, repository.grants()));
        routes.add(new Route(Endpoint.API_REPOSITORY_GRANT, HttpMethod.PUT, repository.setGrant()));
        routes.add(new Route(Endpoint.API_REPOSITORY_GRANT, HttpMethod.DELETE, repository.removeGrant()));
        routes.add(new Route(Endpoint.API_USERS, HttpMethod.GET, user.list()));
        routes.add(new Route(Endpoint.API_USERS, HttpMethod.POST, user.create()));
        routes.add(new Route(Endpoint.API_USER, HttpMethod.GET, user.get()));
        routes.add(new Route(Endpoint.API_USER, HttpMethod.PATCH, user.update()));
        routes.add(new Route(Endpoint.API_USER, HttpMethod.DELETE, user.delete()));
        routes.add(new Route(Endpoint.API_USER_PASSWORD, HttpMethod.PUT, user.resetPassword()));
        routes.add(new Route(Endpoint.API_OWN_PASSWORD, HttpMethod.PUT, user.changeOwn()));
        routes.addAll(browse(browse, callers(support, throttle), responses));
        return routes;
    }

    /**
     * With access control off: the same routes and methods, each answering that the API needs
     * access control (404, as the account API does), and the document; but the browsing API
     * answers, on {@code browse}, everyone seeing everything.
     */
    public static List<Route> off(List<HttpMethod> methods, BrowseService browse, Responses responses) {
        Handler off = (request, response, route) -> Mono.error(OciError.UNSUPPORTED.exception(404,
                "access control is off on this registry (auth.enabled: false): there is no management API"));
        List<Route> routes = new ArrayList<>();
        routes.add(new Route(Endpoint.API_OPENAPI, HttpMethod.GET, openApi()));
        for (Endpoint e : Endpoint.values()) {
            if (e.isManagementApi() && e != Endpoint.API_OPENAPI && !BROWSE.contains(e)) {
                methods.forEach(m -> routes.add(new Route(e, m, off)));
            }
        }
        // after the loop: GET of a repository is the browsing API's
        routes.addAll(browse(browse, request -> Mono.just(OPEN), responses));
        return routes;
    }

    /** The browsing API's routes (README, "The browsing API"), their callers resolved by {@code callers}. */
    private static List<Route> browse(BrowseService browse, Callers callers, Responses responses) {
        BrowseHandlers handlers = new BrowseHandlers(browse, callers, responses);
        return List.of(new Route(Endpoint.API_REPOSITORIES, HttpMethod.GET, handlers.repositories()),
                new Route(Endpoint.API_REPOSITORY, HttpMethod.GET, handlers.repository()),
                new Route(Endpoint.API_REPOSITORY_TAGS, HttpMethod.GET, handlers.tags()),
                new Route(Endpoint.API_REPOSITORY_TAG, HttpMethod.DELETE, handlers.deleteTag()),
                new Route(Endpoint.API_REPOSITORY_MANIFEST, HttpMethod.GET, handlers.manifest()),
                new Route(Endpoint.API_REPOSITORY_MANIFEST, HttpMethod.DELETE, handlers.deleteManifest()),
                new Route(Endpoint.API_REPOSITORY_STATS, HttpMethod.GET, handlers.stats()));
    }

    /**
     * The callers of the browsing API with access control on: as the management API's (a session,
     * Basic with a password, or the web app's session cookie: whatever {@code ManagementSupport.caller}
     * accepts), or anonymous when the request carries no credentials at all. A session cookie that
     * is no live session (signed out in another tab, expired, ended by a password change) on a read
     * is anonymous too: the page shows what a signed-out visitor sees rather than an error it cannot
     * clear (the cookie is HttpOnly); a change still needs a live session, and wrong credentials in
     * an Authorization header stay a 401. Every request counts against the address's request
     * budget, anonymous ones too.
     */
    private static Callers callers(ManagementSupport support, Throttle throttle) {
        return request -> Mono.defer(() -> {
            if (Credentials.present(request)) {
                return support.caller(request);
            }
            if (WebSessions.secret(request) != null) {
                Mono<Principal> caller = support.caller(request);
                boolean read = request.method() == HttpMethod.GET || request.method() == HttpMethod.HEAD;
                return read ? caller.onErrorResume(e -> e instanceof OciException oci && oci.code() == OciError.UNAUTHORIZED,
                        e -> Mono.just(Principal.ANONYMOUS)) : caller;
            }
            throttle.admit(Credentials.address(request));
            return Mono.just(Principal.ANONYMOUS);
        });
    }

    /** {@code GET /api/v1/openapi.json}: the document, read once from the jar. */
    static Handler openApi() {
        byte[] document;
        try (InputStream in = ManagementApi.class.getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks " + OPENAPI_RESOURCE);
            }
            document = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return (request, response, route) -> {
            response.header("Cache-Control", "public, max-age=300");
            return Responses.bytes(request, response, 200, "application/json", document);
        };
    }
}

package io.openregistry.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpMethod;
import io.openregistry.auth.Accounts;
import io.openregistry.auth.Throttle;
import io.openregistry.http.Endpoint;
import io.openregistry.http.Handler;
import io.openregistry.http.Responses;
import io.openregistry.org.Organizations;
import io.openregistry.org.RepositoryAccess;
import io.openregistry.org.Robots;
import io.openregistry.org.Users;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import reactor.core.publisher.Mono;

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

    private ManagementApi() {
    }

    /** Every route of the API, with access control on. */
    public static List<Route> routes(Accounts accounts, Users users, Organizations organizations, Robots robots,
                                     RepositoryAccess repositories, Throttle throttle, Responses responses,
                                     ObjectMapper json, WebSessions web) {
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
        routes.add(new Route(Endpoint.API_REPOSITORY, HttpMethod.GET, repository.get()));
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
        return routes;
    }

    /**
     * With access control off: the same routes and methods, each answering that the API needs
     * access control (404, as the account API does), and the document.
     */
    public static List<Route> off(List<HttpMethod> methods) {
        Handler off = (request, response, route) -> Mono.error(io.openregistry.oci.OciError.UNSUPPORTED.exception(404,
                "access control is off on this registry (auth.enabled: false): there is no management API"));
        List<Route> routes = new ArrayList<>();
        routes.add(new Route(Endpoint.API_OPENAPI, HttpMethod.GET, openApi()));
        for (Endpoint e : Endpoint.values()) {
            if (e.isManagementApi() && e != Endpoint.API_OPENAPI) {
                methods.forEach(m -> routes.add(new Route(e, m, off)));
            }
        }
        return routes;
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

package io.openregistry.http;

import java.util.List;

/**
 * Resolves the management API's paths ({@code /api/v1/...}). Organization, team, user, namespace
 * and robot names are single path segments; a repository name holds slashes, so a repository route
 * is recognised by its trailing segments ({@code /grants}, {@code /grants/<user>}) as the
 * {@code /v2/} routes are, and a team's repository is everything after {@code /repositories/}.
 * Parameters are not validated here (the handlers answer 400 naming the field); empty segments do
 * not route.
 */
final class ApiRoutes {
    static final String PREFIX = "/api/v1/";
    private static final String REPOSITORIES = "repositories/";
    /** Separates a repository's name from its browsing resources. */
    private static final String BROWSE = "/-/";

    private ApiRoutes() {
    }

    /** @return the match, or null when no management route has this shape */
    static RouteMatch route(String path) {
        String rest = path.substring(PREFIX.length());
        if (rest.equals("openapi.json")) {
            return match(Endpoint.API_OPENAPI);
        }
        if (rest.equals("repositories")) {
            return match(Endpoint.API_REPOSITORIES);
        }
        if (rest.startsWith(REPOSITORIES)) {
            return repository(rest.substring(REPOSITORIES.length()));
        }
        String[] s = rest.split("/", -1);
        for (String segment : s) {
            if (segment.isEmpty()) {
                return null;
            }
        }
        return switch (s[0]) {
            case "orgs" -> organization(s);
            case "namespaces" -> s.length >= 3 && s[2].equals("robots") ? robot(s) : null;
            case "users" -> s.length == 1 ? match(Endpoint.API_USERS)
                    : s.length == 2 ? match(Endpoint.API_USER, s[1])
                    : s.length == 3 && s[2].equals("password") ? match(Endpoint.API_USER_PASSWORD, s[1]) : null;
            case "user" -> s.length == 2 && s[1].equals("password") ? match(Endpoint.API_OWN_PASSWORD) : null;
            default -> null;
        };
    }

    private static RouteMatch organization(String[] s) {
        if (s.length == 1) {
            return match(Endpoint.API_ORGS);
        }
        String org = s[1];
        if (s.length == 2) {
            return match(Endpoint.API_ORG, org);
        }
        switch (s[2]) {
            case "members":
                return s.length == 3 ? match(Endpoint.API_ORG_MEMBERS, org)
                        : s.length == 4 ? match(Endpoint.API_ORG_MEMBER, org, s[3]) : null;
            case "audit":
                return s.length == 3 ? match(Endpoint.API_ORG_AUDIT, org) : null;
            case "teams":
                return team(s, org);
            default:
                return null;
        }
    }

    private static RouteMatch team(String[] s, String org) {
        if (s.length == 3) {
            return match(Endpoint.API_TEAMS, org);
        }
        String team = s[3];
        if (s.length == 4) {
            return match(Endpoint.API_TEAM, org, team);
        }
        if (s[4].equals("members")) {
            return s.length == 5 ? match(Endpoint.API_TEAM_MEMBERS, org, team)
                    : s.length == 6 ? match(Endpoint.API_TEAM_MEMBER, org, team, s[5]) : null;
        }
        if (s[4].equals("repositories")) {
            if (s.length == 5) {
                return match(Endpoint.API_TEAM_REPOSITORIES, org, team);
            }
            // the repository's path inside the organization, slashes and all
            String repo = String.join("/", List.of(s).subList(5, s.length));
            return new RouteMatch(Endpoint.API_TEAM_REPOSITORY, org + "/" + repo, null, List.of(org, team, repo));
        }
        return null;
    }

    private static RouteMatch robot(String[] s) {
        String ns = s[1];
        return s.length == 3 ? match(Endpoint.API_ROBOTS, ns)
                : s.length == 4 ? match(Endpoint.API_ROBOT, ns, s[3])
                : s.length == 5 && s[4].equals("secret") ? match(Endpoint.API_ROBOT_SECRET, ns, s[3]) : null;
    }

    /**
     * {@code <name>}, {@code <name>/grants} or {@code <name>/grants/<user>}, or a browsing resource
     * after the separator {@code /-/} ({@code -} is never a name component): {@code <name>/-/tags},
     * {@code <name>/-/tags/<tag>}, {@code <name>/-/manifests/<reference>}, {@code <name>/-/stats};
     * {@code <name>} holds slashes.
     */
    private static RouteMatch repository(String rest) {
        if (rest.isEmpty() || rest.startsWith("/") || rest.endsWith("/") || rest.contains("//")) {
            return null;
        }
        int separator = rest.indexOf(BROWSE);
        if (separator > 0) {
            return browse(rest.substring(0, separator), rest.substring(separator + BROWSE.length()));
        }
        String name = before(rest, "/grants");
        if (name != null) {
            return new RouteMatch(Endpoint.API_REPOSITORY_GRANTS, name, null, List.of(name));
        }
        int slash = rest.lastIndexOf('/');
        if (slash > 0 && (name = before(rest.substring(0, slash), "/grants")) != null) {
            String user = rest.substring(slash + 1);
            return new RouteMatch(Endpoint.API_REPOSITORY_GRANT, name, user, List.of(name, user));
        }
        return new RouteMatch(Endpoint.API_REPOSITORY, rest, null, List.of(rest));
    }

    private static RouteMatch browse(String name, String resource) {
        if (resource.equals("tags")) {
            return new RouteMatch(Endpoint.API_REPOSITORY_TAGS, name, null, List.of(name));
        }
        if (resource.equals("stats")) {
            return new RouteMatch(Endpoint.API_REPOSITORY_STATS, name, null, List.of(name));
        }
        int slash = resource.indexOf('/');
        if (slash < 0 || resource.indexOf('/', slash + 1) >= 0) {
            return null;
        }
        String item = resource.substring(slash + 1);
        return switch (resource.substring(0, slash)) {
            case "tags" -> new RouteMatch(Endpoint.API_REPOSITORY_TAG, name, item, List.of(name, item));
            case "manifests" -> new RouteMatch(Endpoint.API_REPOSITORY_MANIFEST, name, item, List.of(name, item));
            default -> null;
        };
    }

    private static RouteMatch match(Endpoint endpoint, String... params) {
        return new RouteMatch(endpoint, null, null, List.of(params));
    }

    private static String before(String s, String suffix) {
        return s.length() > suffix.length() && s.endsWith(suffix) ? s.substring(0, s.length() - suffix.length()) : null;
    }
}

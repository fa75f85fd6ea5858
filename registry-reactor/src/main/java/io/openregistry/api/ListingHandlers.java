package io.openregistry.api;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.openregistry.auth.Caller;
import io.openregistry.http.Handler;
import io.openregistry.http.Requests;
import io.openregistry.http.Responses;
import io.openregistry.metadata.ManifestStore;
import io.openregistry.metadata.Page;
import io.openregistry.metadata.RepositoryStore;
import io.openregistry.oci.Names;
import io.openregistry.oci.OciError;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * {@code GET /v2/<name>/tags/list} and {@code GET /v2/_catalog}: sorted, paginated with {@code n}
 * and {@code last}. With access control on, the catalog lists only what the caller may see.
 */
public final class ListingHandlers {
    /** Without {@code n} a listing is complete; this only guards the query from an absurd page. */
    static final int UNBOUNDED = 1_000_000;
    private final ManifestStore manifests;
    private final RepositoryStore repositories;
    private final Responses responses;

    public ListingHandlers(ManifestStore manifests, RepositoryStore repositories, Responses responses) {
        this.manifests = manifests;
        this.repositories = repositories;
        this.responses = responses;
    }

    public Handler tags() {
        return (request, response, route) -> {
            String name = Names.requireName(route.name());
            var query = Requests.query(request);
            int n = pageSize(Requests.param(query, "n"));
            String last = Requests.param(query, "last");
            return repositories.exists(name).flatMap(exists -> {
                if (!exists) {
                    return Mono.error(OciError.NAME_UNKNOWN.exception("repository unknown: " + name)
                            .withDetail(Map.of("name", name)));
                }
                return (n == 0 ? Mono.just(new Page(List.of(), false)) : manifests.tags(name, last, n))
                        .flatMap(page -> {
                            Map<String, Object> body = new LinkedHashMap<>();
                            body.put("name", name);
                            body.put("tags", page.items());
                            return write(request, response, "/v2/" + name + "/tags/list", n, page, body);
                        });
            });
        };
    }

    public Handler catalog() {
        return (request, response, route) -> {
            var query = Requests.query(request);
            int n = pageSize(Requests.param(query, "n"));
            String last = Requests.param(query, "last");
            return Mono.deferContextual(ctx -> {
                Caller caller = ctx.get(Caller.class);
                Mono<Page> page = n == 0 ? Mono.just(new Page(List.of(), false))
                        : caller.open() ? repositories.catalog(last, n)
                        : repositories.catalogVisibleTo(caller.username(), last, n);
                return page.flatMap(p -> write(request, response, "/v2/_catalog", n, p,
                        Map.of("repositories", p.items())));
            });
        };
    }

    private Mono<Void> write(HttpServerRequest request, HttpServerResponse response, String path, int n, Page page,
                             Object body) {
        if (page.hasMore() && !page.items().isEmpty()) {
            String lastItem = page.items().get(page.items().size() - 1);
            response.header("Link", "<" + path + "?n=" + n + "&last="
                    + URLEncoder.encode(lastItem, StandardCharsets.UTF_8) + ">; rel=\"next\"");
        }
        return responses.json(request, response, 200, "application/json", body);
    }

    private static int pageSize(String text) {
        if (text == null) {
            return UNBOUNDED;
        }
        try {
            int n = Integer.parseInt(text);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return Math.min(n, UNBOUNDED);
        } catch (NumberFormatException e) {
            throw OciError.PAGINATION_NUMBER_INVALID.exception("n must be a non-negative integer: " + text);
        }
    }
}

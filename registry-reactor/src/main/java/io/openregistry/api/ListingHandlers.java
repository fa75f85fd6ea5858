package io.openregistry.api;

import io.openregistry.auth.Caller;
import io.openregistry.content.Listing;
import io.openregistry.content.ListingService;
import io.openregistry.http.Handler;
import io.openregistry.http.Requests;
import io.openregistry.http.Responses;
import io.openregistry.oci.Names;
import io.openregistry.oci.OciError;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * {@code GET /v2/<name>/tags/list} and {@code GET /v2/_catalog}: sorted, paginated with {@code n}
 * and {@code last} (a {@code Link} header names the next page); without {@code n}, a page of the
 * configured default size. With access control on, the catalog lists only what the caller may see.
 */
public final class ListingHandlers {
    private final ListingService listings;
    private final Responses responses;

    public ListingHandlers(ListingService listings, Responses responses) {
        this.listings = listings;
        this.responses = responses;
    }

    public Handler tags() {
        return (request, response, route) -> {
            String name = Names.requireName(route.name());
            var query = Requests.query(request);
            int n = pageSize(Requests.param(query, "n"), listings.defaultPageSize());
            return listings.tags(name, Requests.param(query, "last"), n).flatMap(page -> {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("name", name);
                body.put("tags", page.items());
                return write(request, response, "/v2/" + name + "/tags/list", n, page, body);
            });
        };
    }

    public Handler catalog() {
        return (request, response, route) -> {
            var query = Requests.query(request);
            int n = pageSize(Requests.param(query, "n"), listings.defaultPageSize());
            String last = Requests.param(query, "last");
            return Mono.deferContextual(ctx -> {
                Caller caller = ctx.get(Caller.class);
                boolean robot = caller.robot();
                return listings.catalog(caller.open(), robot ? null : caller.username(),
                                robot ? caller.username() : null, caller.admin(), last, n)
                        .flatMap(page -> write(request, response, "/v2/_catalog", n, page,
                                Map.of("repositories", page.items())));
            });
        };
    }

    private Mono<Void> write(HttpServerRequest request, HttpServerResponse response, String path, int n, Listing page,
                             Object body) {
        String after = page.continueAfter();
        if (after != null) {
            response.header("Link", "<" + path + "?n=" + n + "&last="
                    + URLEncoder.encode(after, StandardCharsets.UTF_8) + ">; rel=\"next\"");
        }
        return responses.json(request, response, 200, "application/json", body);
    }

    /**
     * The {@code n} parameter: absent is the default page (the {@code Link} of its answer then
     * names that size); anything but a non-negative integer is refused.
     */
    private static int pageSize(String text, int defaultPageSize) {
        if (text == null) {
            return defaultPageSize;
        }
        try {
            int n = Integer.parseInt(text);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n; // the service bounds the page
        } catch (NumberFormatException e) {
            throw OciError.PAGINATION_NUMBER_INVALID.exception("n must be a non-negative integer: " + text);
        }
    }
}

package io.openregistry.api;

import io.openregistry.http.Handler;
import io.openregistry.http.Responses;
import io.openregistry.http.RouteMatch;
import java.util.Map;
import org.reactivestreams.Publisher;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/** {@code GET /v2/}: the API version check every client makes first. */
public final class BaseHandler implements Handler {
    private final Responses responses;

    public BaseHandler(Responses responses) {
        this.responses = responses;
    }

    @Override
    public Publisher<Void> handle(HttpServerRequest request, HttpServerResponse response, RouteMatch route) {
        return responses.json(request, response, 200, "application/json", Map.of());
    }
}

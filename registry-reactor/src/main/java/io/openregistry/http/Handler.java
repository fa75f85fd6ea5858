package io.openregistry.http;

import org.reactivestreams.Publisher;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * Serves one endpoint and method. Errors are signalled, never written: an {@code OciException}
 * becomes the OCI error JSON in {@link ErrorMapper}.
 */
@FunctionalInterface
public interface Handler {
    Publisher<Void> handle(HttpServerRequest request, HttpServerResponse response, RouteMatch route);
}

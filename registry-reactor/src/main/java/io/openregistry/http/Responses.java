package io.openregistry.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/** Writes complete, small responses with an exact Content-Length (no body for HEAD). */
public final class Responses {
    private final ObjectMapper json;

    public Responses(ObjectMapper json) {
        this.json = json;
    }

    public Mono<Void> json(HttpServerRequest request, HttpServerResponse response, int status, String contentType, Object body) {
        byte[] bytes;
        try {
            bytes = json.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            return Mono.error(e);
        }
        return bytes(request, response, status, contentType, bytes);
    }

    public static Mono<Void> bytes(HttpServerRequest request, HttpServerResponse response, int status, String contentType,
                                   byte[] bytes) {
        response.status(HttpResponseStatus.valueOf(status));
        response.header(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.header(HttpHeaderNames.CONTENT_LENGTH, String.valueOf(bytes.length));
        if (request.method().equals(HttpMethod.HEAD)) {
            return response.send().then();
        }
        return response.sendByteArray(Mono.just(bytes)).then();
    }

    /** A response with no body: Content-Length 0. */
    public static Mono<Void> empty(HttpServerResponse response, int status) {
        response.status(HttpResponseStatus.valueOf(status));
        response.header(HttpHeaderNames.CONTENT_LENGTH, "0");
        return response.send().then();
    }
}

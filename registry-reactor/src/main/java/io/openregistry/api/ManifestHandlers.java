package io.openregistry.api;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.openregistry.content.ManifestService;
import io.openregistry.http.Handler;
import io.openregistry.http.Requests;
import io.openregistry.http.Responses;
import io.openregistry.oci.Names;
import io.openregistry.oci.OciError;
import io.openregistry.oci.Reference;
import java.util.function.Consumer;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;

/** {@code GET}, {@code HEAD}, {@code PUT} and {@code DELETE /v2/<name>/manifests/<reference>}. */
public final class ManifestHandlers {
    private final ManifestService manifests;
    private final int maxBytes;
    private final Consumer<String> pulled;

    /** @param pulled told the repository of each successful GET (a pull; not HEAD), for the pull counts */
    public ManifestHandlers(ManifestService manifests, int maxBytes, Consumer<String> pulled) {
        this.manifests = manifests;
        this.maxBytes = maxBytes;
        this.pulled = pulled;
    }

    public Handler get() {
        return (request, response, route) -> {
            String name = Names.requireName(route.name());
            Reference reference = lookup(name, route.item());
            return manifests.get(name, reference).flatMap(m -> {
                if (request.method() == HttpMethod.GET) {
                    pulled.accept(name);
                }
                response.header("Docker-Content-Digest", m.digest().toString());
                response.header(HttpHeaderNames.ETAG, "\"" + m.digest() + "\"");
                return Responses.bytes(request, response, 200, m.mediaType(), m.content());
            });
        };
    }

    public Handler put() {
        return (request, response, route) -> {
            String name = Names.requireName(route.name());
            Reference reference = Reference.parse(route.item());
            String contentType = request.requestHeaders().get(HttpHeaderNames.CONTENT_TYPE);
            return readLimited(request).flatMap(bytes -> manifests.put(name, reference, contentType, bytes)).flatMap(p -> {
                response.header(HttpHeaderNames.LOCATION, "/v2/" + name + "/manifests/" + p.digest());
                response.header("Docker-Content-Digest", p.digest().toString());
                if (p.manifest().subject() != null) {
                    response.header("OCI-Subject", p.manifest().subject().digest().toString());
                }
                return Responses.empty(response, 201);
            });
        };
    }

    public Handler delete() {
        return (request, response, route) -> {
            String name = Names.requireName(route.name());
            Reference reference = lookup(name, route.item());
            return manifests.delete(name, reference).then(Mono.defer(() -> Responses.empty(response, 202)));
        };
    }

    /**
     * The reference of a GET, HEAD or DELETE. One that is neither a tag nor a supported digest
     * names no manifest, so it is a 404 MANIFEST_UNKNOWN like any other absent manifest (as
     * Distribution answers, and the distribution-spec conformance suite expects of
     * {@code .INVALID_MANIFEST_NAME}); only a PUT, which would create it, is told the reference is
     * invalid.
     */
    private static Reference lookup(String name, String item) {
        Reference reference = Reference.tryParse(item);
        if (reference == null) {
            throw ManifestService.unknown(name, item);
        }
        return reference;
    }

    /** Reads the body, refusing anything over the limit without buffering more than the limit. */
    private Mono<byte[]> readLimited(HttpServerRequest request) {
        return Requests.body(request, maxBytes, this::tooLarge)
                .flatMap(bytes -> bytes.length == 0
                        ? Mono.error(OciError.MANIFEST_INVALID.exception("manifest body is empty"))
                        : Mono.just(bytes));
    }

    private RuntimeException tooLarge(long size) {
        return OciError.MANIFEST_INVALID.exception(413, "manifest of " + size + "+ bytes exceeds the limit of " + maxBytes);
    }
}

package io.openregistry.api;

import io.openregistry.content.ManifestService;
import io.openregistry.http.Handler;
import io.openregistry.http.Requests;
import io.openregistry.http.Responses;
import io.openregistry.http.RouteMatch;
import io.openregistry.oci.Descriptor;
import io.openregistry.oci.Digest;
import io.openregistry.oci.MediaTypes;
import io.openregistry.oci.Names;
import java.util.LinkedHashMap;
import java.util.Map;
import org.reactivestreams.Publisher;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * {@code GET /v2/<name>/referrers/<digest>}: an image index of the manifests whose subject is the
 * digest; empty (not 404) for an unknown subject.
 */
public final class ReferrersHandler implements Handler {
    private final ManifestService manifests;
    private final Responses responses;

    public ReferrersHandler(ManifestService manifests, Responses responses) {
        this.manifests = manifests;
        this.responses = responses;
    }

    @Override
    public Publisher<Void> handle(HttpServerRequest request, HttpServerResponse response, RouteMatch route) {
        String name = Names.requireName(route.name());
        Digest subject = Digest.parse(route.item());
        String artifactType = Requests.param(Requests.query(request), "artifactType");
        if (artifactType != null) {
            response.header("OCI-Filters-Applied", "artifactType");
        }
        return manifests.referrers(name, subject, artifactType).map(ReferrersHandler::entry).collectList()
                .flatMap(list -> {
                    Map<String, Object> index = new LinkedHashMap<>();
                    index.put("schemaVersion", 2);
                    index.put("mediaType", MediaTypes.OCI_INDEX);
                    index.put("manifests", list);
                    return responses.json(request, response, 200, MediaTypes.OCI_INDEX, index);
                });
    }

    private static Map<String, Object> entry(Descriptor d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mediaType", d.mediaType());
        m.put("digest", d.digest().toString());
        m.put("size", d.size());
        if (d.artifactType() != null) {
            m.put("artifactType", d.artifactType());
        }
        if (d.annotations() != null && !d.annotations().isEmpty()) {
            m.put("annotations", d.annotations());
        }
        return m;
    }
}

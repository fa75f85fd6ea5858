package io.openregistry.api;

import static io.openregistry.api.ManagementSupport.query;
import static io.openregistry.api.ManagementSupport.time;

import io.openregistry.content.BrowseService;
import io.openregistry.content.BrowseService.ManifestDetail;
import io.openregistry.content.BrowseService.RepositoryDetail;
import io.openregistry.http.Handler;
import io.openregistry.http.Responses;
import io.openregistry.metadata.BrowseStore.Summary;
import io.openregistry.metadata.BrowseStore.TagOrder;
import io.openregistry.oci.Descriptor;
import io.openregistry.oci.OciError;
import io.openregistry.org.Checks;
import java.util.LinkedHashMap;
import java.util.Map;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The browsing API: {@code GET /api/v1/repositories} (search), a repository, its tags, a manifest,
 * its stats, and deletes of a tag or manifest. Anonymous callers are welcome (they see public
 * repositories); a signed-in caller sees what it may pull.
 */
final class BrowseHandlers {
    static final int MAX_DAYS = 365;
    private final BrowseService browse;
    private final ManagementApi.Callers callers;
    private final Responses responses;

    BrowseHandlers(BrowseService browse, ManagementApi.Callers callers, Responses responses) {
        this.browse = browse;
        this.callers = callers;
        this.responses = responses;
    }

    /** {@code GET /api/v1/repositories?q=&n=&last=} → {@code {"repositories":[…],"next"}}. */
    Handler repositories() {
        return (request, response, route) -> callers.of(request).flatMap(caller -> {
            int n = Checks.page(ManagementSupport.pageSize(request));
            return browse.repositories(caller, query(request, "q"), query(request, "last"), n);
        }).flatMap(page -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("repositories", page.repositories().stream().map(BrowseHandlers::summary).toList());
            body.put("next", page.next());
            return send(request, response, 200, body);
        });
    }

    /** {@code GET /api/v1/repositories/<name>} → name, visibility, tag_count, storage_bytes, pushed_at, can. */
    Handler repository() {
        return (request, response, route) -> callers.of(request)
                .flatMap(caller -> browse.repository(caller, route.param(0)))
                .flatMap(detail -> send(request, response, 200, detail(detail)));
    }

    /** {@code GET …/-/tags?q=&sort=name|pushed&order=asc|desc&n=&last=} → {@code {"tags":[…],"next"}}. */
    Handler tags() {
        return (request, response, route) -> callers.of(request).flatMap(caller -> {
            int n = Checks.page(ManagementSupport.pageSize(request));
            TagOrder order = switch (orDefault(query(request, "sort"), "name")) {
                case "name" -> TagOrder.NAME;
                case "pushed" -> TagOrder.PUSHED;
                default -> throw OciError.INVALID_REQUEST.exception("sort must be name or pushed");
            };
            boolean descending = switch (orDefault(query(request, "order"), "asc")) {
                case "asc" -> false;
                case "desc" -> true;
                default -> throw OciError.INVALID_REQUEST.exception("order must be asc or desc");
            };
            return browse.tags(caller, route.param(0), query(request, "q"), order, descending, query(request, "last"), n);
        }).flatMap(page -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("tags", page.tags().stream().map(item -> {
                Map<String, Object> tag = new LinkedHashMap<>();
                tag.put("name", item.tag().name());
                tag.put("digest", item.tag().digest().toString());
                tag.put("media_type", item.tag().mediaType());
                tag.put("size", item.size());
                tag.put("pushed_at", time(item.tag().pushedAt()));
                return tag;
            }).toList());
            body.put("next", page.next());
            return send(request, response, 200, body);
        });
    }

    /** {@code GET …/-/manifests/<digest or tag>}. */
    Handler manifest() {
        return (request, response, route) -> callers.of(request)
                .flatMap(caller -> browse.manifest(caller, route.param(0), route.param(1)))
                .flatMap(detail -> send(request, response, 200, manifest(detail)));
    }

    /** {@code GET …/-/stats?days=30} → storage_bytes, pulls_total, pulls per day. */
    Handler stats() {
        return (request, response, route) -> callers.of(request).flatMap(caller -> {
            String text = orDefault(query(request, "days"), "30");
            int days;
            try {
                days = Integer.parseInt(text);
            } catch (NumberFormatException e) {
                days = 0;
            }
            if (days < 1 || days > MAX_DAYS) {
                throw OciError.INVALID_REQUEST.exception("days must be 1-" + MAX_DAYS);
            }
            return browse.stats(caller, route.param(0), days);
        }).flatMap(stats -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("storage_bytes", stats.storageBytes());
            body.put("pulls_total", stats.pullsTotal());
            body.put("pulls", stats.pulls().stream().map(d -> Map.<String, Object>of("day", d.day().toString(),
                    "count", d.count())).toList());
            return send(request, response, 200, body);
        });
    }

    /** {@code DELETE …/-/tags/<tag>} → 204. */
    Handler deleteTag() {
        return (request, response, route) -> callers.of(request)
                .flatMap(caller -> browse.deleteTag(caller, route.param(0), route.param(1)))
                .then(Mono.defer(() -> Responses.empty(response, 204)));
    }

    /** {@code DELETE …/-/manifests/<digest>} → 204. */
    Handler deleteManifest() {
        return (request, response, route) -> callers.of(request)
                .flatMap(caller -> browse.deleteManifest(caller, route.param(0), route.param(1)))
                .then(Mono.defer(() -> Responses.empty(response, 204)));
    }

    private Mono<Void> send(HttpServerRequest request, HttpServerResponse response, int status, Object body) {
        return responses.json(request, response, status, ManagementSupport.JSON, body);
    }

    private static String orDefault(String value, String otherwise) {
        return value == null || value.isEmpty() ? otherwise : value;
    }

    private static Map<String, Object> summary(Summary s) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", s.name());
        out.put("visibility", s.isPublic() ? "public" : "private");
        out.put("pushed_at", time(s.pushedAt()));
        return out;
    }

    private static Map<String, Object> detail(RepositoryDetail d) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", d.name());
        out.put("visibility", d.isPublic() ? "public" : "private");
        out.put("tag_count", d.usage().tagCount());
        out.put("storage_bytes", d.usage().storageBytes());
        out.put("pushed_at", time(d.usage().pushedAt()));
        Map<String, Object> can = new LinkedHashMap<>();
        can.put("push", d.mayPush());
        can.put("delete", d.mayDelete());
        can.put("admin", d.mayAdminister());
        out.put("can", can);
        return out;
    }

    private static Map<String, Object> manifest(ManifestDetail m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("digest", m.digest().toString());
        out.put("media_type", m.mediaType());
        out.put("size", m.size());
        out.put("manifest_size", m.manifestSize());
        out.put("artifact_type", m.artifactType());
        out.put("subject", m.subject() == null ? null : m.subject().toString());
        out.put("annotations", m.annotations());
        out.put("tags", m.tags());
        out.put("platforms", m.platforms().stream().map(p -> {
            Map<String, Object> platform = descriptor(p.descriptor());
            platform.put("os", p.os());
            platform.put("architecture", p.architecture());
            platform.put("variant", p.variant());
            return platform;
        }).toList());
        if (m.config() == null) {
            out.put("config", null);
        } else {
            Map<String, Object> config = descriptor(m.config().descriptor());
            config.put("created", m.config().created());
            config.put("os", m.config().os());
            config.put("architecture", m.config().architecture());
            config.put("entrypoint", m.config().entrypoint());
            config.put("cmd", m.config().cmd());
            config.put("labels", m.config().labels());
            out.put("config", config);
        }
        out.put("layers", m.layers().stream().map(BrowseHandlers::descriptor).toList());
        out.put("referrers", m.referrers().stream().map(r -> {
            Map<String, Object> referrer = descriptor(r);
            referrer.put("artifact_type", r.artifactType());
            referrer.put("annotations", r.annotations() == null ? Map.of() : r.annotations());
            return referrer;
        }).toList());
        return out;
    }

    private static Map<String, Object> descriptor(Descriptor d) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("digest", d.digest() == null ? null : d.digest().toString());
        out.put("media_type", d.mediaType());
        out.put("size", d.size());
        return out;
    }
}

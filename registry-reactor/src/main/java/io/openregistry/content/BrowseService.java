package io.openregistry.content;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.openregistry.auth.AccessPolicy;
import io.openregistry.auth.Principal;
import io.openregistry.auth.Scope;
import io.openregistry.metadata.BrowseStore;
import io.openregistry.metadata.BrowseStore.DayCount;
import io.openregistry.metadata.BrowseStore.Summary;
import io.openregistry.metadata.BrowseStore.Tag;
import io.openregistry.metadata.BrowseStore.TagCursor;
import io.openregistry.metadata.BrowseStore.TagOrder;
import io.openregistry.metadata.BrowseStore.Usage;
import io.openregistry.metadata.OrgStore;
import io.openregistry.oci.Descriptor;
import io.openregistry.oci.Digest;
import io.openregistry.oci.MediaTypes;
import io.openregistry.oci.Names;
import io.openregistry.oci.OciError;
import io.openregistry.oci.Reference;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import reactor.core.publisher.Mono;

/**
 * The browsing API's reads and deletes: what the web app shows of repositories, tags and
 * manifests. Every answer is exactly what the caller may pull: a repository it may not pull is
 * answered as missing (404 NAME_UNKNOWN), decided by {@link AccessPolicy} from one read of the
 * access facts; listings come from {@link OrgStore#catalogFor}, the same filter as {@code /v2/_catalog}.
 * Deletes go through {@link ManifestService}, with the rules and effects of the {@code /v2/} deletes.
 */
public final class BrowseService {
    /** The largest config blob read to show its fields (configs are a few KiB; this bounds memory). */
    static final int MAX_CONFIG_BYTES = 1 << 20;
    /** The longest search text taken (a repository name is at most 255 characters). */
    static final int MAX_QUERY = 255;
    private static final Set<String> IMAGE_CONFIGS = Set.of("application/vnd.oci.image.config.v1+json",
            "application/vnd.docker.container.image.v1+json");
    private static final java.util.Comparator<Descriptor> BY_TYPE = java.util.Comparator
            .comparing(Descriptor::artifactType, java.util.Comparator.nullsLast(java.util.Comparator.naturalOrder()))
            .thenComparing(d -> d.digest().toString());
    private final BrowseStore store;
    private final OrgStore orgs;
    private final AccessPolicy policy;
    private final ManifestService manifests;
    private final BlobService blobs;
    private final ObjectMapper json;
    private final Clock clock;

    public BrowseService(BrowseStore store, OrgStore orgs, AccessPolicy policy, ManifestService manifests,
                         BlobService blobs, ObjectMapper json, Clock clock) {
        this.store = store;
        this.orgs = orgs;
        this.policy = policy;
        this.manifests = manifests;
        this.blobs = blobs;
        this.json = json;
        this.clock = clock;
    }

    /** A page of repositories; {@code next} is the {@code last} of the following page, or null. */
    public record RepositoryPage(List<Summary> repositories, String next) {
    }

    /** A repository as its page shows it, with what the caller may do to it. */
    public record RepositoryDetail(String name, boolean isPublic, Usage usage, boolean mayPush, boolean mayDelete,
                                   boolean mayAdminister) {
    }

    /** A tag with the size of what it points at (see {@link BrowseStore#sizes}). */
    public record TagItem(Tag tag, long size) {
    }

    public record TagPage(List<TagItem> tags, String next) {
    }

    /** A child of an index, with its platform (os, architecture, variant: null when not given). */
    public record Platform(Descriptor descriptor, String os, String architecture, String variant) {
    }

    /** An image's config: its descriptor, and the fields read from the blob (null when it is not an image config or unreadable). */
    public record Config(Descriptor descriptor, String created, String os, String architecture, List<String> entrypoint,
                         List<String> cmd, Map<String, String> labels) {
    }

    /**
     * A manifest as its page shows it.
     *
     * @param manifestSize its own bytes
     * @param size         what a pull fetches ({@link BrowseStore#sizes})
     * @param platforms    the children of an index (empty for an image)
     * @param config       an image's config (null for an index)
     * @param layers       an image's layers, encrypted ones as they are (empty for an index)
     * @param referrers    the manifests whose subject it is, by artifact type, then digest
     */
    public record ManifestDetail(Digest digest, String mediaType, long manifestSize, long size, String artifactType,
                                 Digest subject, Map<String, String> annotations, List<String> tags,
                                 List<Platform> platforms, Config config, List<Descriptor> layers,
                                 List<Descriptor> referrers) {
    }

    public record Stats(long storageBytes, long pullsTotal, List<DayCount> pulls) {
    }

    /** What the caller may do to a repository it may pull. */
    private record Access(Set<String> allowed, boolean isPublic, boolean mayAdminister) {
    }

    /**
     * The repositories the caller may pull, by name, after {@code last}; with {@code contains},
     * only names containing it (compared in lower case: names are lower case).
     */
    public Mono<RepositoryPage> repositories(Principal caller, String contains, String last, int n) {
        String q = contains == null || contains.isBlank() ? null : contains.strip().toLowerCase(Locale.ROOT);
        if (q != null && q.length() > MAX_QUERY) {
            return Mono.error(OciError.INVALID_REQUEST.exception("q is longer than " + MAX_QUERY + " characters"));
        }
        requireText("last", last);
        if (q != null && !q.chars().allMatch(BrowseService::nameCharacter)) {
            // no name holds it (and PostgreSQL would refuse a NUL in a statement)
            return Mono.just(new RepositoryPage(List.of(), null));
        }
        String username = caller.anonymous() || caller.isRobot() ? null : caller.username();
        String robot = caller.isRobot() ? caller.username() : null;
        return orgs.catalogFor(username, robot, caller.admin() && robot == null, last, n, q)
                .flatMap(page -> store.summaries(page.items()).collectMap(Summary::name).map(byName -> {
                    List<Summary> found = page.items().stream().map(byName::get).filter(Objects::nonNull).toList();
                    String next = page.hasMore() ? page.items().get(page.items().size() - 1) : null;
                    return new RepositoryPage(found, next);
                }));
    }

    public Mono<RepositoryDetail> repository(Principal caller, String name) {
        return access(caller, name).flatMap(access -> store.usage(name).map(usage -> new RepositoryDetail(name,
                access.isPublic(), usage, access.allowed().contains(Scope.PUSH), access.allowed().contains(Scope.DELETE),
                access.mayAdminister())));
    }

    /**
     * A page of the repository's tags whose names contain {@code contains} (case-sensitive, as tags
     * are), in {@code order}, after {@code last}: a tag name in name order, the {@code next} of
     * the previous page in push order.
     */
    public Mono<TagPage> tags(Principal caller, String name, String contains, TagOrder order, boolean descending,
                              String last, int n) {
        return access(caller, name).then(Mono.defer(() -> {
            requireText("last", last);
            TagCursor after = cursor(order, last);
            String q = contains == null || contains.isEmpty() ? null : contains;
            if (q != null && (q.length() > MAX_QUERY || !q.chars().allMatch(BrowseService::tagCharacter))) {
                // no tag holds it
                return Mono.just(new TagPage(List.of(), null));
            }
            return store.tags(name, q, order, descending, after, n + 1).collectList().flatMap(rows -> {
                List<Tag> page = rows.size() > n ? rows.subList(0, n) : rows;
                String next = rows.size() > n ? next(order, page.get(page.size() - 1)) : null;
                return store.sizes(name, page.stream().map(Tag::digest).toList()).map(sizes -> new TagPage(
                        page.stream().map(t -> new TagItem(t, sizes.getOrDefault(t.digest(), t.manifestSize()))).toList(),
                        next));
            });
        }));
    }

    /** The cursor of {@code last}: a tag name, or {@code <microseconds since 1970>~<tag>} in push order. */
    static TagCursor cursor(TagOrder order, String last) {
        if (last == null || last.isEmpty()) {
            return null;
        }
        if (order == TagOrder.NAME) {
            return new TagCursor(null, last);
        }
        int tilde = last.indexOf('~');
        try {
            if (tilde > 0) {
                long micros = Long.parseLong(last.substring(0, tilde));
                Instant at = Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
                // a time both databases can compare (PostgreSQL refuses years past 294276)
                if (!at.isBefore(FIRST) && !at.isAfter(LAST)) {
                    return new TagCursor(at, last.substring(tilde + 1));
                }
            }
        } catch (NumberFormatException | ArithmeticException | java.time.DateTimeException e) {
            // below
        }
        throw OciError.INVALID_REQUEST.exception("last must be the next of the previous page (sort=pushed)");
    }

    private static final Instant FIRST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LAST = Instant.parse("9999-12-31T23:59:59Z");

    /** A character a repository name may hold. */
    private static boolean nameCharacter(int c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '/';
    }

    /** A character a tag may hold. */
    private static boolean tagCharacter(int c) {
        return nameCharacter(c) && c != '/' || (c >= 'A' && c <= 'Z');
    }

    /** 400 for a NUL, which no name holds and PostgreSQL refuses in text. */
    private static void requireText(String field, String value) {
        if (value != null && value.indexOf('\0') >= 0) {
            throw OciError.INVALID_REQUEST.exception(field + " must not hold a NUL character");
        }
    }

    static String next(TagOrder order, Tag tag) {
        return order == TagOrder.NAME ? tag.name()
                : ChronoUnit.MICROS.between(Instant.EPOCH, tag.pushedAt()) + "~" + tag.name();
    }

    /** A manifest by digest or tag, with its tags, platforms or config and layers, and referrers. */
    public Mono<ManifestDetail> manifest(Principal caller, String name, String reference) {
        return access(caller, name).then(Mono.defer(() -> {
            Reference ref = Reference.tryParse(reference);
            if (ref == null) {
                return Mono.error(ManifestService.unknown(name, reference));
            }
            return manifests.get(name, ref).flatMap(pulled -> detail(name, pulled));
        }));
    }

    private Mono<ManifestDetail> detail(String name, ManifestService.Pulled pulled) {
        JsonNode root;
        try {
            root = json.readTree(pulled.content());
        } catch (IOException e) {
            return Mono.error(new IllegalStateException("stored manifest " + pulled.digest() + " is not JSON", e));
        }
        String mediaType = pulled.mediaType();
        boolean index = MediaTypes.isIndex(mediaType);
        List<Platform> platforms = new ArrayList<>();
        if (index) {
            for (JsonNode child : root.path("manifests")) {
                JsonNode platform = child.path("platform");
                platforms.add(new Platform(descriptor(child), text(platform, "os"), text(platform, "architecture"),
                        text(platform, "variant")));
            }
        }
        Descriptor configDescriptor = !index && root.path("config").isObject() ? descriptor(root.path("config")) : null;
        List<Descriptor> layers = new ArrayList<>();
        if (!index) {
            root.path("layers").forEach(layer -> layers.add(descriptor(layer)));
        }
        String artifactType = text(root, "artifactType");
        if (artifactType == null && configDescriptor != null && !IMAGE_CONFIGS.contains(configDescriptor.mediaType())) {
            artifactType = configDescriptor.mediaType();
        }
        Digest subject = root.path("subject").isObject() ? Digest.tryParse(text(root.path("subject"), "digest")) : null;
        Map<String, String> annotations = strings(root.path("annotations"));
        Digest digest = pulled.digest();
        String type = artifactType;
        Mono<Optional<Config>> config = configDescriptor == null ? Mono.just(Optional.empty())
                : config(name, configDescriptor).map(Optional::of);
        return Mono.zip(store.tagsOf(name, digest).collectList(),
                        store.sizes(name, List.of(digest)).map(sizes -> sizes.getOrDefault(digest,
                                (long) pulled.content().length)),
                        // grouped by artifact type (signatures, SBOMs, attestations), then by digest
                        manifests.referrers(name, digest, null).sort(BY_TYPE).collectList(), config)
                .map(all -> new ManifestDetail(digest, mediaType, pulled.content().length, all.getT2(), type, subject,
                        annotations, all.getT1(), platforms, all.getT4().orElse(null), layers, all.getT3()));
    }

    /** The config's fields from its blob when it is an image config the registry stores, else only its descriptor. */
    private Mono<Config> config(String name, Descriptor descriptor) {
        Config bare = new Config(descriptor, null, null, null, null, null, Map.of());
        if (!IMAGE_CONFIGS.contains(descriptor.mediaType())) {
            return Mono.just(bare);
        }
        return blobs.readSmall(name, descriptor.digest(), MAX_CONFIG_BYTES).map(bytes -> {
            try {
                JsonNode c = json.readTree(bytes);
                JsonNode run = c.path("config");
                return new Config(descriptor, text(c, "created"), text(c, "os"), text(c, "architecture"),
                        list(run.path("Entrypoint")), list(run.path("Cmd")), strings(run.path("Labels")));
            } catch (IOException e) {
                return bare;
            }
        })
                // shown without its fields rather than not at all (say, its backend is unreachable)
                .onErrorResume(e -> Mono.just(bare))
                .defaultIfEmpty(bare);
    }

    /** Storage used, the pulls of the last {@code days} days (today, UTC, included; every day listed) and all pulls. */
    public Mono<Stats> stats(Principal caller, String name, int days) {
        return access(caller, name).then(Mono.defer(() -> {
            LocalDate today = LocalDate.now(clock);
            LocalDate from = today.minusDays(days - 1L);
            return Mono.zip(store.pulls(name, from), store.usage(name)).map(both -> {
                Map<LocalDate, Long> counted = new HashMap<>();
                both.getT1().days().forEach(d -> counted.put(d.day(), d.count()));
                List<DayCount> series = new ArrayList<>();
                for (LocalDate day = from; !day.isAfter(today); day = day.plusDays(1)) {
                    series.add(new DayCount(day, counted.getOrDefault(day, 0L)));
                }
                return new Stats(both.getT2().storageBytes(), both.getT1().total(), series);
            });
        }));
    }

    /** Deletes a tag (only the tag), as {@code DELETE /v2/<name>/manifests/<tag>}; needs delete on the repository. */
    public Mono<Void> deleteTag(Principal caller, String name, String tag) {
        return deletable(caller, name).then(Mono.defer(() -> Names.isValidTag(tag)
                ? manifests.delete(name, new Reference(tag, null))
                : Mono.error(ManifestService.unknown(name, tag))));
    }

    /**
     * Deletes a manifest and the tags pointing at it, as {@code DELETE /v2/<name>/manifests/<digest>};
     * needs delete on the repository. A tag is refused here (400): it has a route of its own.
     */
    public Mono<Void> deleteManifest(Principal caller, String name, String digest) {
        return deletable(caller, name).then(Mono.defer(() -> {
            if (digest.indexOf(':') < 0) {
                return Mono.error(OciError.INVALID_REQUEST.exception(
                        "a manifest is deleted by its digest; a tag at /api/v1/repositories/" + name + "/-/tags/" + digest));
            }
            Digest d = Digest.tryParse(digest);
            return d == null ? Mono.error(ManifestService.unknown(name, digest))
                    : manifests.delete(name, new Reference(null, d));
        }));
    }

    private Mono<Void> deletable(Principal caller, String name) {
        return access(caller, name).flatMap(access -> access.allowed().contains(Scope.DELETE) ? Mono.empty()
                // an anonymous caller is asked to sign in (as /v2/ does), a signed-in one refused
                : Mono.error(caller.anonymous()
                        ? OciError.UNAUTHORIZED.exception("sign in to delete in " + name)
                                .withHeader("WWW-Authenticate", "Bearer realm=\"openregistry\"")
                        : OciError.DENIED.exception("deleting needs the admin role on " + name)));
    }

    /** What the caller may do to the repository; NAME_UNKNOWN when it does not exist or the caller may not pull it. */
    private Mono<Access> access(Principal caller, String name) {
        return Mono.defer(() -> {
            Names.requireName(name);
            return policy.facts(caller, name);
        }).flatMap(facts -> {
            Set<String> allowed = AccessPolicy.allowed(caller, name, facts);
            if (!facts.repositoryExists() || !allowed.contains(Scope.PULL)) {
                return Mono.error(OciError.NAME_UNKNOWN.exception("repository unknown: " + name)
                        .withDetail(Map.of("name", name)));
            }
            return Mono.just(new Access(allowed, facts.repositoryPublic(),
                    AccessPolicy.mayAdministerRepository(caller, name, facts)));
        });
    }

    private static Descriptor descriptor(JsonNode node) {
        return new Descriptor(text(node, "mediaType"), Digest.tryParse(text(node, "digest")), node.path("size").asLong(),
                text(node, "artifactType"), strings(node.path("annotations")));
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static List<String> list(JsonNode node) {
        if (!node.isArray()) {
            return null;
        }
        List<String> out = new ArrayList<>();
        node.forEach(item -> out.add(item.asText()));
        return out;
    }

    private static Map<String, String> strings(JsonNode node) {
        Map<String, String> out = new LinkedHashMap<>();
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        }
        return out;
    }
}

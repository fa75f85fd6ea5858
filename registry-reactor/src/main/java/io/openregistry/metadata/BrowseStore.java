package io.openregistry.metadata;

import io.openregistry.oci.Digest;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * What the browsing API reads besides manifests themselves: per-repository summaries and usage, a
 * repository's tags with their push time and size in either order, and pull counts. Decides
 * nothing about who may ask (the caller checked that with {@code auth.AccessPolicy}); may assume
 * valid names.
 */
public interface BrowseStore {

    /** A repository in a listing: its visibility and when something was last pushed to it (null: never). */
    record Summary(String name, boolean isPublic, Instant pushedAt) {
    }

    /**
     * What a repository holds.
     *
     * @param storageBytes the sizes of the distinct blobs linked to it plus those of its manifests
     *                     (a blob shared with another repository counts in each)
     * @param pushedAt     the latest manifest push or tag move, or null
     */
    record Usage(long tagCount, long storageBytes, Instant pushedAt) {
    }

    /** A tag and the manifest it points at ({@code manifestSize}: the manifest's own bytes). */
    record Tag(String name, Digest digest, String mediaType, long manifestSize, Instant pushedAt) {
    }

    /** The orders of a tag listing. */
    enum TagOrder { NAME, PUSHED }

    /**
     * Where a page of tags starts: after {@code name} (and, in push order, after
     * {@code pushedAt}, which breaks ties by name) in the listing's direction.
     */
    record TagCursor(Instant pushedAt, String name) {
    }

    /** One day's pull count. */
    record DayCount(LocalDate day, long count) {
    }

    /** Pull counts: those of the days asked for, oldest first (days without pulls left out), and the total of all days. */
    record Pulls(List<DayCount> days, long total) {
    }

    /** The summaries of those of {@code names} that exist, in no particular order. */
    Flux<Summary> summaries(Collection<String> names);

    /** What the repository holds; zeros and null when it holds nothing (or does not exist). */
    Mono<Usage> usage(String repository);

    /**
     * Up to {@code limit} tags of the repository whose names contain {@code contains} (null: all),
     * in {@code order} ({@code descending} or not), after {@code after} (null: from the start).
     */
    Flux<Tag> tags(String repository, String contains, TagOrder order, boolean descending, TagCursor after, int limit);

    /**
     * The size of each of {@code manifests} (stored in the repository) as a pull would fetch it:
     * its own bytes, those of its child manifests (an index), and the distinct config and layer
     * blobs the registry stores for it and its children, each counted once. Manifests not stored
     * are left out.
     */
    Mono<Map<Digest, Long>> sizes(String repository, Collection<Digest> manifests);

    /** The tags of the repository that point at {@code digest}, by name. */
    Flux<String> tagsOf(String repository, Digest digest);

    /**
     * Adds pull counts (repository, day) → count in one transaction; counts of repositories that no
     * longer exist are dropped.
     */
    Mono<Void> addPulls(Map<PullKey, Long> counts);

    /** The repository's pull counts from {@code from} on, and its total. */
    Mono<Pulls> pulls(String repository, LocalDate from);

    /** A repository and a day (UTC) of pulls. */
    record PullKey(String repository, LocalDate day) {
    }
}

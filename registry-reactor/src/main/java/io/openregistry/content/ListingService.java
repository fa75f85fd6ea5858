package io.openregistry.content;

import io.openregistry.metadata.ManifestStore;
import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.Page;
import io.openregistry.metadata.RepositoryStore;
import io.openregistry.oci.OciError;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * The tags of a repository and the catalog of repositories, one page at a time in byte order.
 * With access control on, the catalog holds only what the asking account may see.
 */
public final class ListingService {
    /** The largest page answered, whatever {@code n} asks: guards the query from an absurd page. */
    public static final int MAX_PAGE_SIZE = 1_000_000;
    private static final Listing EMPTY = new Listing(List.of(), false);
    private final ManifestStore manifests;
    private final RepositoryStore repositories;
    private final OrgStore orgs;
    private final int defaultPageSize;

    /**
     * @param defaultPageSize the page size of a listing asked without one: a tags list or catalog
     *                        is never loaded whole (a repository may have a million tags)
     */
    public ListingService(ManifestStore manifests, RepositoryStore repositories, OrgStore orgs, int defaultPageSize) {
        if (defaultPageSize < 1 || defaultPageSize > MAX_PAGE_SIZE) {
            throw new IllegalArgumentException("default page size out of 1.." + MAX_PAGE_SIZE + ": " + defaultPageSize);
        }
        this.manifests = manifests;
        this.repositories = repositories;
        this.orgs = orgs;
        this.defaultPageSize = defaultPageSize;
    }

    /** The page size of a listing asked without {@code n}. */
    public int defaultPageSize() {
        return defaultPageSize;
    }

    /**
     * Up to {@code n} tags of {@code repository} after {@code last} (when not null); NAME_UNKNOWN
     * when there is no such repository, even for {@code n} 0.
     */
    public Mono<Listing> tags(String repository, String last, int n) {
        return repositories.exists(repository).flatMap(exists -> {
            if (!exists) {
                return Mono.error(OciError.NAME_UNKNOWN.exception("repository unknown: " + repository)
                        .withDetail(Map.of("name", repository)));
            }
            return n == 0 ? Mono.just(EMPTY) : manifests.tags(repository, last, bounded(n)).map(ListingService::listing);
        });
    }

    /**
     * Up to {@code n} repository names after {@code last} (when not null): all of them when
     * {@code everything} (open mode), else exactly those the caller may pull: {@code username} an
     * account (null: anonymous, public repositories only), or {@code robot} a robot's full name;
     * everything for a registry {@code admin}.
     */
    public Mono<Listing> catalog(boolean everything, String username, String robot, boolean admin, String last, int n) {
        if (n == 0) {
            return Mono.just(EMPTY);
        }
        Mono<Page> page;
        if (everything) {
            page = repositories.catalog(last, bounded(n));
        } else {
            page = orgs.catalogFor(robot == null ? username : null, robot, admin && robot == null, last, bounded(n));
        }
        return page.map(ListingService::listing);
    }

    private static int bounded(int n) {
        return Math.min(n, MAX_PAGE_SIZE);
    }

    private static Listing listing(Page page) {
        return new Listing(page.items(), page.hasMore());
    }
}

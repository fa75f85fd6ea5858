package io.openregistry.content;

import java.util.List;

/** One page of a lexically sorted listing (tags or repositories), and whether more entries follow it. */
public record Listing(List<String> items, boolean hasMore) {
    public Listing {
        items = List.copyOf(items);
    }

    /** The last entry of a page that has a next one, to continue after; null otherwise. */
    public String continueAfter() {
        return hasMore && !items.isEmpty() ? items.get(items.size() - 1) : null;
    }
}

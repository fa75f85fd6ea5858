package io.openregistry.metadata;

import java.util.List;

/** One page of a lexically sorted listing, and whether more entries follow it. */
public record Page(List<String> items, boolean hasMore) {
}

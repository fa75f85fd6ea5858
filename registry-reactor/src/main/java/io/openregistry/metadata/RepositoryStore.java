package io.openregistry.metadata;

import reactor.core.publisher.Mono;

/**
 * The repositories the registry knows. A repository is created by its first blob or manifest.
 * Visibility and who may list what are Org mode's ({@link OrgStore#setVisibility},
 * {@link OrgStore#accessFacts}, {@link OrgStore#catalogFor}).
 */
public interface RepositoryStore {

    Mono<Boolean> exists(String name);

    /** Up to {@code n} repository names in lexical (byte) order, after {@code last} when not null. */
    Mono<Page> catalog(String last, int n);

    /** Whether any repository exists in the namespace {@code namespace/}. */
    Mono<Boolean> namespaceInUse(String namespace);
}

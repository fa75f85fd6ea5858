package io.openregistry.metadata;

import reactor.core.publisher.Mono;

/** The repositories the registry knows. A repository is created by its first blob or manifest. */
public interface RepositoryStore {

    Mono<Boolean> exists(String name);

    /** Up to {@code n} repository names in lexical (byte) order, after {@code last} when not null. */
    Mono<Page> catalog(String last, int n);
}

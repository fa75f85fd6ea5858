package io.openregistry.metadata;

import reactor.core.publisher.Mono;

/** The repositories the registry knows. A repository is created by its first blob or manifest. */
public interface RepositoryStore {

    Mono<Boolean> exists(String name);

    /** Up to {@code n} repository names in lexical (byte) order, after {@code last} when not null. */
    Mono<Page> catalog(String last, int n);

    /**
     * As {@link #catalog(String, int)}, but only the repositories {@code username} may see: the
     * public ones, those in the namespace {@code username/}, and all for an admin account.
     * {@code username} null is an anonymous caller: public repositories only.
     */
    Mono<Page> catalogVisibleTo(String username, String last, int n);

    /** Whether any repository exists in the namespace {@code namespace/}. */
    Mono<Boolean> namespaceInUse(String namespace);

    /** Whether the repository exists and is public. */
    Mono<Boolean> isPublic(String name);

    /** Sets the visibility of an existing repository; false when there is no such repository. */
    Mono<Boolean> setPublic(String name, boolean isPublic);
}

package io.openregistry.auth;

import io.openregistry.metadata.RepositoryStore;
import io.openregistry.oci.Names;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The one access decision: what a {@link Principal} may do with a repository.
 * <ul>
 *   <li>An admin may pull, push and delete everywhere.</li>
 *   <li>An account owns the namespace of its name: {@code alice} may pull, push and delete
 *       {@code alice/...} (which is how a first push creates {@code alice/app}).</li>
 *   <li>Anyone, anonymous included, may pull a public repository.</li>
 *   <li>Nothing else: pushing into a namespace one does not own is denied.</li>
 *   <li>A personal access token narrows its account's rights to its own actions and repositories.</li>
 *   <li>The catalog ({@code registry:catalog:*}) is granted to everyone whose credential may pull;
 *       what it lists is filtered per caller by the catalog query.</li>
 * </ul>
 * A grant is the intersection of what was asked and what is allowed; what is not allowed is left
 * out silently, so that a missing grant never tells a private repository from a non-existent one.
 */
public final class AccessPolicy {
    /** More scopes than any client sends; bounds the lookups one token request can cause. */
    static final int MAX_SCOPES = 64;
    private static final List<String> ALL_ACTIONS = List.of(Scope.PULL, Scope.PUSH, Scope.DELETE);
    private final RepositoryStore repositories;

    public AccessPolicy(RepositoryStore repositories) {
        this.repositories = repositories;
    }

    /** The grants for {@code requested}, in request order, without empty ones. */
    public Mono<List<AccessClaims.Access>> grant(Principal principal, List<Scope> requested) {
        List<Scope> scopes = requested.size() > MAX_SCOPES ? requested.subList(0, MAX_SCOPES) : requested;
        return Flux.fromIterable(scopes)
                .concatMap(scope -> grantOne(principal, scope))
                .collectList();
    }

    private Mono<AccessClaims.Access> grantOne(Principal principal, Scope scope) {
        if (scope.type().equals(Scope.REGISTRY) && scope.name().equals(Scope.CATALOG)) {
            return scope.actions().contains(Scope.ALL) && principal.credentialAllows(Scope.PULL, null)
                    ? Mono.just(new AccessClaims.Access(Scope.REGISTRY, Scope.CATALOG, List.of(Scope.ALL)))
                    : Mono.empty();
        }
        if (!scope.type().equals(Scope.REPOSITORY) || !Names.isValidName(scope.name())) {
            return Mono.empty();
        }
        String name = scope.name();
        Set<String> wanted = new LinkedHashSet<>();
        for (String action : scope.actions()) {
            if (action.equals(Scope.ALL)) {
                wanted.addAll(ALL_ACTIONS);
            } else if (ALL_ACTIONS.contains(action)) {
                wanted.add(action);
            }
        }
        wanted.removeIf(action -> !principal.credentialAllows(action, name));
        if (wanted.isEmpty()) {
            return Mono.empty();
        }
        if (principal.admin() || principal.owns(name)) {
            return Mono.just(new AccessClaims.Access(Scope.REPOSITORY, name, List.copyOf(wanted)));
        }
        if (!wanted.contains(Scope.PULL)) {
            return Mono.empty();
        }
        return repositories.isPublic(name)
                .flatMap(isPublic -> isPublic
                        ? Mono.just(new AccessClaims.Access(Scope.REPOSITORY, name, List.of(Scope.PULL)))
                        : Mono.empty());
    }

    /** Whether {@code principal} may change the settings (visibility) of {@code repository}. */
    public static boolean mayAdminister(Principal principal, String repository) {
        return principal.admin() || principal.owns(repository);
    }
}

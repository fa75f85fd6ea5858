package io.openregistry;

import io.openregistry.metadata.OrgStore;
import io.openregistry.metadata.r2dbc.R2dbcMetadata;
import io.openregistry.oci.OciError;
import java.lang.reflect.Proxy;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * TEMPORARY, until the database implementation of {@link OrgStore} (helper orgstore,
 * {@code R2dbcMetadata.orgs()}) is merged: a store whose every call answers 503, so that the
 * management API's routes, authentication, validation and OpenAPI document can be served and
 * tested before. Not an implementation: it stores nothing. Removed at the merge.
 */
final class OrgStoreUntilMerged {
    private OrgStoreUntilMerged() {
    }

    static OrgStore of(R2dbcMetadata metadata) {
        return (OrgStore) Proxy.newProxyInstance(OrgStore.class.getClassLoader(), new Class<?>[] {OrgStore.class},
                (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return switch (method.getName()) {
                            case "equals" -> proxy == args[0];
                            case "hashCode" -> System.identityHashCode(proxy);
                            default -> "OrgStoreUntilMerged";
                        };
                    }
                    RuntimeException e = OciError.UNAVAILABLE.exception("organizations are not stored by this build yet");
                    return Flux.class.isAssignableFrom(method.getReturnType()) ? Flux.error(e) : Mono.error(e);
                });
    }
}

package io.openregistry.api;

import io.openregistry.RegistryServer;

/** The manifest contract on PostgreSQL with {@code cache.enabled=false}: the cache is an optimisation only. */
class ManifestApiNoCacheTest extends ManifestApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.POSTGRES_NO_CACHE;
    }
}

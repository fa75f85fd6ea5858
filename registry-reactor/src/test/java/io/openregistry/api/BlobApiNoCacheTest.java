package io.openregistry.api;

import io.openregistry.RegistryServer;

/** The blob contract on PostgreSQL with {@code cache.enabled=false}: the cache is an optimisation only. */
class BlobApiNoCacheTest extends BlobApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.POSTGRES_NO_CACHE;
    }
}

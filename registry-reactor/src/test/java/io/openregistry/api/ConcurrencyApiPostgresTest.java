package io.openregistry.api;

import io.openregistry.RegistryServer;

class ConcurrencyApiPostgresTest extends ConcurrencyApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.POSTGRES;
    }
}

package io.openregistry.api;

import io.openregistry.RegistryServer;

class AccessApiPostgresTest extends AccessApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.POSTGRES;
    }
}

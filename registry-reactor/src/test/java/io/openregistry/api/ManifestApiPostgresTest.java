package io.openregistry.api;

import io.openregistry.RegistryServer;

class ManifestApiPostgresTest extends ManifestApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.POSTGRES;
    }
}

package io.openregistry.api;

import io.openregistry.RegistryServer;

class ManifestApiH2Test extends ManifestApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2;
    }
}

package io.openregistry.api;

import io.openregistry.RegistryServer;

class AccessApiH2Test extends AccessApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2;
    }
}

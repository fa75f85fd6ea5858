package io.openregistry.api;

import io.openregistry.RegistryServer;

class PasskeyApiH2Test extends PasskeyApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2;
    }
}

package io.openregistry.api;

import io.openregistry.RegistryServer;

class PasskeyApiPostgresTest extends PasskeyApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.POSTGRES;
    }
}

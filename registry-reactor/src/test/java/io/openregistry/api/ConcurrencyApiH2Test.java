package io.openregistry.api;

import io.openregistry.RegistryServer;

class ConcurrencyApiH2Test extends ConcurrencyApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2;
    }
}

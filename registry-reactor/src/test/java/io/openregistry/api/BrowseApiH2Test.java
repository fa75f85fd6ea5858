package io.openregistry.api;

import io.openregistry.RegistryServer;

class BrowseApiH2Test extends BrowseApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2;
    }
}

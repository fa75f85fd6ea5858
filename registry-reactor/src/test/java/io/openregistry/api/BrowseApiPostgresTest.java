package io.openregistry.api;

import io.openregistry.RegistryServer;

class BrowseApiPostgresTest extends BrowseApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.POSTGRES;
    }
}

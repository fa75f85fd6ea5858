package io.openregistry.api;

import io.openregistry.RegistryServer;

class ListingApiPostgresTest extends ListingApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.POSTGRES;
    }
}

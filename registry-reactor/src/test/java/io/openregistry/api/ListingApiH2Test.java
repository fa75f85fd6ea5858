package io.openregistry.api;

import io.openregistry.RegistryServer;

class ListingApiH2Test extends ListingApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2;
    }
}

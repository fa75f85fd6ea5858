package io.openregistry.api;

import io.openregistry.RegistryServer;

class ListingApiIpfsTest extends ListingApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2_IPFS;
    }
}

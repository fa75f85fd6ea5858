package io.openregistry.api;

import io.openregistry.RegistryServer;

class ListingApiS3Test extends ListingApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2_S3;
    }
}

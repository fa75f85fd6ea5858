package io.openregistry.api;

import io.openregistry.RegistryServer;

class BlobApiPostgresTest extends BlobApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.POSTGRES;
    }
}

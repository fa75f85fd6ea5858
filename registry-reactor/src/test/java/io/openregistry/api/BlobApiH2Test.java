package io.openregistry.api;

import io.openregistry.RegistryServer;

class BlobApiH2Test extends BlobApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2;
    }
}

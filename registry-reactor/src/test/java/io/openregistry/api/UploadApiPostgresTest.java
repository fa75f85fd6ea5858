package io.openregistry.api;

import io.openregistry.RegistryServer;

class UploadApiPostgresTest extends UploadApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.POSTGRES;
    }
}

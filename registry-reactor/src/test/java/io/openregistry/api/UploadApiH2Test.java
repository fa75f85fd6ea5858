package io.openregistry.api;

import io.openregistry.RegistryServer;

class UploadApiH2Test extends UploadApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2;
    }
}

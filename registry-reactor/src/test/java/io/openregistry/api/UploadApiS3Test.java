package io.openregistry.api;

import io.openregistry.RegistryServer;

class UploadApiS3Test extends UploadApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2_S3;
    }
}

package io.openregistry.api;

import io.openregistry.RegistryServer;

class BlobApiS3Test extends BlobApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2_S3;
    }
}

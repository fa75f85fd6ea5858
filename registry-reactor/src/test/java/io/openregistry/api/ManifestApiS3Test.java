package io.openregistry.api;

import io.openregistry.RegistryServer;

class ManifestApiS3Test extends ManifestApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2_S3;
    }
}

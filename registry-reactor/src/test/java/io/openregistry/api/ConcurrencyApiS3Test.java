package io.openregistry.api;

import io.openregistry.RegistryServer;

class ConcurrencyApiS3Test extends ConcurrencyApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2_S3;
    }
}

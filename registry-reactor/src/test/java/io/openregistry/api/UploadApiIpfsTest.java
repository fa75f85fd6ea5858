package io.openregistry.api;

import io.openregistry.RegistryServer;

class UploadApiIpfsTest extends UploadApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2_IPFS;
    }
}

package io.openregistry.api;

import io.openregistry.RegistryServer;

class BlobApiIpfsTest extends BlobApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2_IPFS;
    }
}

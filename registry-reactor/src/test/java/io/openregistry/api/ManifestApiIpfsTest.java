package io.openregistry.api;

import io.openregistry.RegistryServer;

class ManifestApiIpfsTest extends ManifestApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2_IPFS;
    }
}

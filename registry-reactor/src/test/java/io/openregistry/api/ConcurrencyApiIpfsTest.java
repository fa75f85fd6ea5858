package io.openregistry.api;

import io.openregistry.RegistryServer;

class ConcurrencyApiIpfsTest extends ConcurrencyApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2_IPFS;
    }
}

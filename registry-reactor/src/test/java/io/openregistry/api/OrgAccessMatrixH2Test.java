package io.openregistry.api;

import io.openregistry.RegistryServer;

class OrgAccessMatrixH2Test extends OrgAccessMatrixContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2;
    }
}

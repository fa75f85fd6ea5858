package io.openregistry.api;

import io.openregistry.RegistryServer;

class OrgAccessMatrixPostgresTest extends OrgAccessMatrixContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.POSTGRES;
    }
}

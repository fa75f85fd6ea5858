package io.openregistry.api;

import io.openregistry.RegistryServer;

class OrgApiPostgresTest extends OrgApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.POSTGRES;
    }
}

package io.openregistry.api;

import io.openregistry.RegistryServer;

class OrgApiH2Test extends OrgApiContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2;
    }
}

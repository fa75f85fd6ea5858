package io.openregistry.api;

import io.openregistry.RegistryServer;

class RobotAndDisabledLoginH2Test extends RobotAndDisabledLoginContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.H2;
    }
}

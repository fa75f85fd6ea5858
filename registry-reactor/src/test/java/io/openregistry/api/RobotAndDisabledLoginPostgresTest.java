package io.openregistry.api;

import io.openregistry.RegistryServer;

class RobotAndDisabledLoginPostgresTest extends RobotAndDisabledLoginContract {
    @Override
    RegistryServer.Backend backend() {
        return RegistryServer.Backend.POSTGRES;
    }
}

package io.openregistry;

import io.openregistry.storage.ipfs.IpfsNodeExtension;
import io.openregistry.storage.s3.S3ProxyServer;
import java.net.URI;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Gives a test class a running registry on the chosen backend. One registry per backend is
 * shared by the whole test run and closed by JUnit at its end (root store, AutoCloseable).
 */
public final class RegistryExtension implements BeforeAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(RegistryExtension.class);
    private final RegistryServer.Backend backend;
    private RegistryServer server;

    public RegistryExtension(RegistryServer.Backend backend) {
        this.backend = backend;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        // Dependencies first, in their own store calls (a nested compute on one store is not allowed).
        URI ipfs = backend == RegistryServer.Backend.H2_IPFS ? IpfsNodeExtension.sharedApi(context) : null;
        S3ProxyServer s3 = backend == RegistryServer.Backend.H2_S3
                ? context.getRoot().getStore(NS).getOrComputeIfAbsent("s3proxy", k -> S3ProxyServer.start(), S3ProxyServer.class)
                : null;
        server = context.getRoot().getStore(NS)
                .getOrComputeIfAbsent(backend, b -> RegistryServer.start(backend, ipfs, s3), RegistryServer.class);
    }

    public RegistryServer server() {
        return server;
    }
}

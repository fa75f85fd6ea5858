package io.openregistry.it;

import io.openregistry.storage.ipfs.IpfsNodeExtension;
import java.net.URI;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The replica suite on PostgreSQL and one IPFS node, the replicas sharing one {@code storage.root}. */
class ReplicasIpfsIT extends ReplicasContract {
    @RegisterExtension
    static final IpfsNodeExtension IPFS = new IpfsNodeExtension();

    @Override
    ReplicaCluster.Storage storage() {
        return ReplicaCluster.Storage.IPFS;
    }

    @Override
    URI ipfsApi() {
        return IPFS.api();
    }
}

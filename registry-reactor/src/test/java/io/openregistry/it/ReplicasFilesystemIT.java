package io.openregistry.it;

/** The replica suite on PostgreSQL and a directory every replica shares as {@code storage.root}. */
class ReplicasFilesystemIT extends ReplicasContract {
    @Override
    ReplicaCluster.Storage storage() {
        return ReplicaCluster.Storage.SHARED_DIRECTORY;
    }
}

package io.openregistry.it;

/** The replica suite on PostgreSQL and one S3 bucket (S3Proxy), each replica with its own {@code storage.root}. */
class ReplicasS3IT extends ReplicasContract {
    @Override
    ReplicaCluster.Storage storage() {
        return ReplicaCluster.Storage.S3;
    }
}

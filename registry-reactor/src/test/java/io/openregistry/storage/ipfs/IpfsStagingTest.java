package io.openregistry.storage.ipfs;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.storage.BlobStore;
import io.openregistry.storage.StagingContract;
import io.openregistry.storage.remote.RemoteBlobStore;
import io.openregistry.storage.staging.LocalStaging;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The staging contract for the IPFS store: two replicas are two stores, each with its own client
 * of the one node and its own I/O scheduler, staging in one shared {@code storage.root} (the
 * node's MFS cannot cut a file back to an offset, so a failed request could not be rolled back
 * there; see the README).
 */
class IpfsStagingTest extends StagingContract {

    @RegisterExtension
    static final IpfsNodeExtension NODE = new IpfsNodeExtension();

    private static Scheduler io1;
    private static Scheduler io2;
    private final List<IpfsBackend> backends = new ArrayList<>();

    @TempDir
    Path root;

    @BeforeAll
    static void startSchedulers() {
        io1 = Schedulers.newBoundedElastic(4, 1000, "ipfs-replica-1");
        io2 = Schedulers.newBoundedElastic(4, 1000, "ipfs-replica-2");
    }

    @AfterAll
    static void stopSchedulers() {
        io1.dispose();
        io2.dispose();
    }

    @Override
    protected BlobStore[] createReplicas() {
        return new BlobStore[] {replica(io1), replica(io2)};
    }

    private BlobStore replica(Scheduler io) {
        IpfsBackend backend = new IpfsBackend(new IpfsSettings(NODE.api(), NODE.gateway(), true, Duration.ofSeconds(30)));
        backends.add(backend);
        return new RemoteBlobStore(RemoteBlobStore.stagedIn(new LocalStaging(root.resolve("uploads"), io), backend),
                backend, false);
    }

    @AfterEach
    void closeBackends() {
        backends.forEach(IpfsBackend::close);
    }

    @Override
    protected void assertNothingStaged(String uploadId) {
        assertThat(root.resolve("uploads").resolve(uploadId)).doesNotExist();
    }
}

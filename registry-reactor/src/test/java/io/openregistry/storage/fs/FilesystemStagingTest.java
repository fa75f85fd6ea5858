package io.openregistry.storage.fs;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.storage.BlobStore;
import io.openregistry.storage.StagingContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The staging contract for the filesystem store: two replicas are two stores, each with its own
 * I/O scheduler, on one {@code storage.root} (the ReadWriteMany volume replicas share).
 */
class FilesystemStagingTest extends StagingContract {
    private static Scheduler io1;
    private static Scheduler io2;

    @TempDir
    Path root;

    @BeforeAll
    static void startSchedulers() {
        io1 = Schedulers.newBoundedElastic(4, 1000, "fs-replica-1");
        io2 = Schedulers.newBoundedElastic(4, 1000, "fs-replica-2");
    }

    @AfterAll
    static void stopSchedulers() {
        io1.dispose();
        io2.dispose();
    }

    @Override
    protected BlobStore[] createReplicas() {
        Path shared = root.resolve("storage");
        return new BlobStore[] {new FilesystemBlobStore(shared, io1), new FilesystemBlobStore(shared, io2)};
    }

    @Override
    protected void assertNothingStaged(String uploadId) {
        assertThat(root.resolve("storage/uploads").resolve(uploadId)).doesNotExist();
    }
}

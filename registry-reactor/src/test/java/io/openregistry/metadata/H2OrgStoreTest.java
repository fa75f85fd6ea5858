package io.openregistry.metadata;

import io.openregistry.config.Config;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The Org mode contract on the embedded default: an H2 file database in a temporary directory. */
class H2OrgStoreTest extends OrgStoreContract {
    @TempDir
    Path dir;

    @Override
    protected Config.Database newDatabase() {
        return database("");
    }

    private Config.Database database(String query) {
        // Four slashes: r2dbc-h2 reads "file://" + an absolute path.
        return new Config.Database("r2dbc:h2:file:///" + dir.toAbsolutePath() + "/metadata" + query,
                null, null, POOL_SIZE);
    }
}

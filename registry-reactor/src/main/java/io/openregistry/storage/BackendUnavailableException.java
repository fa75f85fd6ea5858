package io.openregistry.storage;

/**
 * A blob is recorded on a backend this registry has no settings for (for example a blob pushed to
 * S3 before {@code storage.driver} became {@code filesystem} and the {@code storage.s3.*} keys were
 * removed). A server-side misconfiguration, not a client mistake: the API answers 503.
 */
public final class BackendUnavailableException extends IllegalStateException {
    private final String backend;

    public BackendUnavailableException(String backend) {
        super("blobs recorded on the '" + backend + "' backend cannot be read: it is not configured here ("
                + settingsOf(backend) + ")");
        this.backend = backend;
    }

    /** What to configure to open the backend. */
    public String hint() {
        return settingsOf(backend);
    }

    /** The backend name recorded with the blob. */
    public String backend() {
        return backend;
    }

    /** The configuration keys that open a backend, for the operator's log line. */
    static String settingsOf(String backend) {
        return switch (backend) {
            case "s3" -> "set storage.s3.bucket, storage.s3.accessKey, storage.s3.secretKey (and storage.s3.endpoint)";
            case "ipfs" -> "set storage.ipfs.api";
            case "filesystem" -> "the filesystem store is always open under storage.root";
            default -> "no backend of that name exists";
        };
    }
}

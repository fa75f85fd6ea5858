package io.openregistry.upload;

import io.openregistry.metadata.UploadRecord;

/**
 * A request that does not fit the session as it stands: a chunk that does not start at the
 * session's offset, an unreadable Content-Range, or another request writing to the session. The
 * session (with its current offset) is carried so that the API can tell the client where to resume.
 */
public final class UploadOutOfOrderException extends RuntimeException {
    private final transient UploadRecord session;

    UploadOutOfOrderException(UploadRecord session, String message) {
        super(message, null, false, false);
        this.session = session;
    }

    public UploadRecord session() {
        return session;
    }
}

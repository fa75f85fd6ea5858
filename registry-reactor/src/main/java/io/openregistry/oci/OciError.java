package io.openregistry.oci;

/**
 * Every error code the registry answers with, declared once: the code of the OCI distribution
 * specification, its default HTTP status and its default message.
 */
public enum OciError {
    BLOB_UNKNOWN(404, "blob unknown to registry"),
    BLOB_UPLOAD_INVALID(400, "blob upload invalid"),
    BLOB_UPLOAD_UNKNOWN(404, "blob upload unknown to registry"),
    DIGEST_INVALID(400, "provided digest did not match uploaded content"),
    MANIFEST_BLOB_UNKNOWN(400, "manifest references a manifest or blob unknown to registry"),
    MANIFEST_INVALID(400, "manifest invalid"),
    MANIFEST_UNKNOWN(404, "manifest unknown to registry"),
    NAME_INVALID(400, "invalid repository name"),
    NAME_UNKNOWN(404, "repository name not known to registry"),
    SIZE_INVALID(400, "provided length did not match content length"),
    TAG_INVALID(400, "manifest tag did not match URI"),
    RANGE_INVALID(416, "requested range not satisfiable"),
    PAGINATION_NUMBER_INVALID(400, "invalid number of results requested"),
    UNAUTHORIZED(401, "authentication required"),
    DENIED(403, "requested access to the resource is denied"),
    UNSUPPORTED(405, "the operation is unsupported"),
    TOOMANYREQUESTS(429, "too many requests"),
    /** Account API: a malformed or unacceptable request (bad JSON, weak password, unknown scope). */
    INVALID_REQUEST(400, "invalid request"),
    /** Account API: the thing to create exists already (a username). */
    ALREADY_EXISTS(409, "already exists"),
    /** Account API: the operation is running already (a garbage collection); try again when it ended. */
    BUSY(409, "already running"),
    /** Management API: the change would leave an organization without an owner. */
    LAST_OWNER(409, "an organization needs an owner"),
    /** Management API: a user or organization still holds repositories and their deletion was not asked for. */
    HOLDS_REPOSITORIES(409, "the namespace still holds repositories"),
    /** Account API: no such thing (a token id), or not one the caller may see. */
    NOT_FOUND(404, "not found"),
    /**
     * Not a client mistake: the server cannot serve this now, by its configuration (a blob on a
     * storage backend it has no settings for). Distribution's code for a 503.
     */
    UNAVAILABLE(503, "service unavailable"),
    /** Not a client mistake: an unexpected failure, reported with a request id. */
    UNKNOWN(500, "internal server error");

    private final int status;
    private final String message;

    OciError(int status, String message) {
        this.status = status;
        this.message = message;
    }

    public int status() {
        return status;
    }

    public String message() {
        return message;
    }

    /** An exception carrying this code with its default status and message. */
    public OciException exception() {
        return new OciException(this, status, message, null);
    }

    /** An exception carrying this code with its default status and a specific message. */
    public OciException exception(String message) {
        return new OciException(this, status, message, null);
    }

    /** An exception carrying this code, a specific status and message. */
    public OciException exception(int status, String message) {
        return new OciException(this, status, message, null);
    }
}

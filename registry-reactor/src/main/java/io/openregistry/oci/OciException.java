package io.openregistry.oci;

import java.util.Map;

/**
 * A client-visible API error. Handlers signal errors by emitting this; the one error mapper in
 * {@code io.openregistry.http} turns it into the status and the OCI error JSON. No stack trace is
 * captured: these are expected outcomes, not bugs.
 */
public final class OciException extends RuntimeException {
    private final OciError code;
    private final int status;
    private final Object detail;
    private final Map<String, String> headers;

    OciException(OciError code, int status, String message, Object detail) {
        this(code, status, message, detail, Map.of());
    }

    private OciException(OciError code, int status, String message, Object detail, Map<String, String> headers) {
        super(message, null, false, false);
        this.code = code;
        this.status = status;
        this.detail = detail;
        this.headers = headers;
    }

    public OciError code() {
        return code;
    }

    public int status() {
        return status;
    }

    public Object detail() {
        return detail;
    }

    /** Extra response headers, such as {@code Content-Range} on a 416 or {@code Range} on an upload error. */
    public Map<String, String> headers() {
        return headers;
    }

    public OciException withDetail(Object newDetail) {
        return new OciException(code, status, getMessage(), newDetail, headers);
    }

    public OciException withHeader(String name, String value) {
        var copy = new java.util.LinkedHashMap<>(headers);
        copy.put(name, value);
        return new OciException(code, status, getMessage(), detail, Map.copyOf(copy));
    }
}

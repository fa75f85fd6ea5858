package io.openregistry.storage;

/**
 * The error a caller signals through an append's data ({@link BlobStore#append}) when it lost its
 * exclusive claim on the upload: another replica may own the staged upload by now. The store then
 * stops touching the staged upload at once, and does not roll it back either (the new owner cuts
 * it back to the offset recorded in the database before it writes).
 */
public final class LeaseLostException extends RuntimeException {

    public LeaseLostException(String message) {
        super(message, null, false, false);
    }

    public LeaseLostException(String message, Throwable cause) {
        super(message, cause, false, false);
    }

    /** Whether {@code error} (or an error it wraps) says the claim was lost. */
    public static boolean isLeaseLost(Throwable error) {
        for (Throwable e = error; e != null; e = e.getCause()) {
            if (e instanceof LeaseLostException) {
                return true;
            }
        }
        return false;
    }
}

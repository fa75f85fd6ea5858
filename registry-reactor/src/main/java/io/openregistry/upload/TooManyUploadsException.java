package io.openregistry.upload;

/** A new upload session refused because its owner or its repository holds as many as allowed. */
public final class TooManyUploadsException extends RuntimeException {
    TooManyUploadsException(String message) {
        super(message, null, false, false);
    }
}

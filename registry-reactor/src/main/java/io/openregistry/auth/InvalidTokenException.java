package io.openregistry.auth;

/**
 * A token was rejected: malformed, wrongly signed, signed by an unknown key, meant for another
 * audience, or outside its validity window. The message says which check failed so that it can be
 * logged; it never contains the token or any key material, so it is safe to log. Callers turn
 * every instance into the same 401 answer and must not echo the message to the client.
 */
public final class InvalidTokenException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InvalidTokenException(String reason) {
        // no stack trace: rejections are routine (expired tokens) and must stay cheap
        super(reason, null, false, false);
    }
}

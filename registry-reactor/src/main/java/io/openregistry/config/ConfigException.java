package io.openregistry.config;

/** A configuration problem, with a message meant for the operator. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}

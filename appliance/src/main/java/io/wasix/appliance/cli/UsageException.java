package io.wasix.appliance.cli;

/** A command-line or configuration mistake: printed as one line, exit status 2. */
public final class UsageException extends Exception {
    UsageException(String message) {
        super(message, null, false, false);
    }
}

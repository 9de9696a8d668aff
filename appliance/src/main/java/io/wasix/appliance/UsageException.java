package io.wasix.appliance;

/** A command-line or configuration mistake: printed as one line, exit status 2. */
final class UsageException extends Exception {
    UsageException(String message) {
        super(message, null, false, false);
    }
}

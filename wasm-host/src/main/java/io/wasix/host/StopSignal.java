package io.wasix.host;

/**
 * The signals that ask the appliance to stop, as {@link WasixHost#terminate} hands them to a guest that
 * named a signal handler. Immutable.
 */
public enum StopSignal {
    TERM(15),
    INT(2);

    private final int number;

    StopSignal(int number) {
        this.number = number;
    }

    /** The guest's number for it (wasix_32v1's, Linux's). */
    public int number() {
        return number;
    }
}

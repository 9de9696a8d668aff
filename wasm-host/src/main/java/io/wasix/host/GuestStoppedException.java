package io.wasix.host;

/**
 * Unwinds a guest's stack when its instance is asked to stop (shutdown, a test ending a server). Thrown from
 * whatever blocking syscall the guest is in. Stackless: it is control flow.
 */
public final class GuestStoppedException extends RuntimeException {
    public GuestStoppedException() {
        super("guest stopped", null, false, false);
    }
}

package io.wasix.host.abi;

/**
 * Thrown inside a host function to answer the guest with an errno. The host-function wrapper turns it into
 * the call's return value, so it never reaches the guest as a trap. Stackless because it is control flow.
 */
public final class WasiException extends RuntimeException {
    private final Errno errno;

    public WasiException(Errno errno) {
        super(errno.name(), null, false, false);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}

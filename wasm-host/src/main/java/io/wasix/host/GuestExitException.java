package io.wasix.host;

/** Thrown by proc_exit to unwind the guest with its exit code. Stackless: it is control flow. */
public final class GuestExitException extends RuntimeException {
    private final int code;

    public GuestExitException(int code) {
        super("guest exited with code " + code, null, false, false);
        this.code = code;
    }

    public int code() {
        return code;
    }
}

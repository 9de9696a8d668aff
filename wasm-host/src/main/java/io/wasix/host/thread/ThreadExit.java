package io.wasix.host.thread;

/**
 * Unwinds one guest thread that called thread_exit: that thread ends, the others go on. Stackless: it is
 * control flow.
 */
public final class ThreadExit extends RuntimeException {
    public ThreadExit() {
        super("thread exited", null, false, false);
    }
}

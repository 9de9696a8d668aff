package io.wasix.host;

import com.dylibso.chicory.runtime.Instance;

/**
 * A guest thread of a threaded module trapped, which ends the whole guest: thrown on the main guest thread
 * by {@link WasixHost#run}, carrying the trap (a ChicoryException, or the StackOverflowError of a call stack
 * exhausted) as its cause, the thread's id, and the instance it ran, whose machine can place an interpreted
 * trap. Stackless: the cause holds the frames that matter.
 */
public final class GuestTrapException extends RuntimeException {
    private final int thread;
    private final transient Instance instance;

    public GuestTrapException(int thread, Throwable trap, Instance instance) {
        super("guest trapped in thread " + thread, trap, false, false);
        this.thread = thread;
        this.instance = instance;
    }

    /** The guest thread id (1 for the main thread) of the thread that trapped. */
    public int thread() {
        return thread;
    }

    /** The trap itself. */
    public Throwable trap() {
        return getCause();
    }

    /** The instance the thread ran (null if it trapped while its instance was being built). */
    public Instance instance() {
        return instance;
    }
}

package io.wasix.host.thread;

import com.dylibso.chicory.runtime.Instance;

/**
 * How a guest ended, as the first of its threads to end it decided. Immutable; any thread.
 */
public sealed interface GuestEnd {
    /** {@code _start} returned, or the last thread called thread_exit: exit status 0. */
    record Returned() implements GuestEnd {}

    /** A thread called proc_exit. */
    record Exited(int code) implements GuestEnd {}

    /** The host stopped the guest (a stop, or a graceful stop's end). */
    record Stopped() implements GuestEnd {}

    /** A thread trapped. {@code instance} is null when it trapped while its instance was being built. */
    record Trapped(int thread, Throwable trap, Instance instance) implements GuestEnd {}

    /** The host failed on a thread (a bug, or a limit such as the heap). */
    record Failed(Throwable error) implements GuestEnd {}
}

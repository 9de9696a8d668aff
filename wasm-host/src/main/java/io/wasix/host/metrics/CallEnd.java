package io.wasix.host.metrics;

/**
 * How a host call ended, as its trace line and its JFR event say it: it returned an answer, it jumped to a
 * checkpoint (stack_restore: longjmp, after which the guest goes on from its setjmp), it ended its own thread
 * (thread_exit: the other threads go on), or it ended the guest (proc_exit, a trap, a stop). Constants; any thread.
 */
public enum CallEnd {
    RETURNED(null, null),
    JUMPED(") jumped to its checkpoint", "JUMPED"),
    THREAD_ENDED(") ended its thread", "THREAD_ENDED"),
    GUEST_ENDED(") ended the guest", "ENDED");

    /** What the trace line says after the arguments; null: the errno is printed. */
    final String traced;
    /** The JFR event's errno field; null: the errno's name. */
    final String event;

    CallEnd(String traced, String event) {
        this.traced = traced;
        this.event = event;
    }
}

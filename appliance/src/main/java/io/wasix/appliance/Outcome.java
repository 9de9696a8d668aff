package io.wasix.appliance;

/** How a shard's guest ended. Immutable; any thread. */
sealed interface Outcome {
    /** The guest called proc_exit, or _start returned (code 0). */
    record Exited(int code) implements Outcome {}

    /** The guest trapped; {@code function} is the wasm function it trapped in, when known. */
    record Trapped(String message, String function) implements Outcome {}

    /** The appliance stopped the guest (signal, or another shard ended first). */
    record Stopped() implements Outcome {}

    /**
     * The host failed: a bug, or the instance could not be created ({@code cause} is printed), or a limit of
     * the run such as the heap ({@code cause} null: the message says it all).
     */
    record Failed(String message, Throwable cause) implements Outcome {}
}

package io.wasix.appliance;

/**
 * How one run of a shard's guest ended, and what that means for the shard: whether it is a failure (which
 * --restart on-failure restarts), the exit status it gives the appliance, its one-line description, and the
 * restart reason /metrics counts it under. Each of the four is one switch over the kinds, so the kinds read
 * side by side, and a new kind must answer each. Immutable; any thread.
 */
sealed interface Outcome {
    /** The guest called proc_exit, or _start returned (code 0). A non-zero code is a failure. */
    record Exited(int code) implements Outcome {}

    /** The guest trapped; {@code function} is the wasm function it trapped in, when known. */
    record Trapped(String message, String function) implements Outcome {}

    /**
     * The watchdog stopped a guest thread that ran {@code limit} (as "5 s") without a host call, in
     * {@code function} when known. A trap, as far as the exit status goes.
     */
    record Stalled(String limit, String function) implements Outcome {}

    /** The appliance stopped the guest (a signal, or the appliance ending). Not a failure. */
    record Stopped() implements Outcome {}

    /**
     * The host failed: a bug, or the instance could not be created ({@code cause} is printed), or a limit of
     * the run ({@code cause} null: the message says it all).
     */
    record Failed(String message, Throwable cause) implements Outcome {}

    /** Whether --restart on-failure restarts the shard after this. */
    default boolean failure() {
        return switch (this) {
            case Exited e -> e.code() != 0;
            case Trapped _, Stalled _, Failed _ -> true;
            case Stopped _ -> false;
        };
    }

    /** The appliance's exit status when this ends it. */
    default int status() {
        return switch (this) {
            case Exited e -> e.code();
            case Trapped _, Stalled _ -> Main.EXIT_TRAP;
            case Stopped _ -> 0;
            case Failed _ -> Main.EXIT_LOAD_ERROR;
        };
    }

    /** One line, without the "appliance: shard N: " that every message starts with. */
    default String describe() {
        return switch (this) {
            case Exited e -> "guest exited with status " + e.code();
            case Trapped t -> "guest trapped: " + t.message() + in(t.function());
            case Stalled s -> "watchdog: no host call for " + s.limit() + in(s.function());
            case Stopped _ -> "stopped";
            case Failed f -> f.message();
        };
    }

    /** The label /metrics counts a restart after this under. */
    default String reason() {
        return switch (this) {
            case Exited _ -> "exit";
            case Trapped _ -> "trap";
            case Stalled _ -> "watchdog";
            case Stopped _ -> "stopped";
            case Failed _ -> "host_error";
        };
    }

    private static String in(String function) {
        return function == null ? "" : " in " + function;
    }
}

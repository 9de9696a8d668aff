package io.wasix.appliance;

/**
 * How one run of a shard's guest ended, and what that means for the shard: whether it is a failure (which
 * --restart on-failure restarts), the exit status it gives the appliance, its one-line description, and the
 * restart reason /metrics counts it under. Immutable; any thread.
 */
sealed interface Outcome {
    /** The guest called proc_exit, or _start returned (code 0). A non-zero code is a failure. */
    record Exited(int code) implements Outcome {
        @Override
        public boolean failure() {
            return code != 0;
        }

        @Override
        public int status() {
            return code;
        }

        @Override
        public String describe() {
            return "guest exited with status " + code;
        }

        @Override
        public String reason() {
            return "exit";
        }
    }

    /** The guest trapped; {@code function} is the wasm function it trapped in, when known. */
    record Trapped(String message, String function) implements Outcome {
        @Override
        public boolean failure() {
            return true;
        }

        @Override
        public int status() {
            return Main.EXIT_TRAP;
        }

        @Override
        public String describe() {
            return "guest trapped: " + message + in(function);
        }

        @Override
        public String reason() {
            return "trap";
        }
    }

    /**
     * The watchdog stopped a guest thread that ran {@code limit} (as "5 s") without a host call, in
     * {@code function} when known. A trap, as far as the exit status goes.
     */
    record Stalled(String limit, String function) implements Outcome {
        @Override
        public boolean failure() {
            return true;
        }

        @Override
        public int status() {
            return Main.EXIT_TRAP;
        }

        @Override
        public String describe() {
            return "watchdog: no host call for " + limit + in(function);
        }

        @Override
        public String reason() {
            return "watchdog";
        }
    }

    /** The appliance stopped the guest (a signal, or the appliance ending). Not a failure. */
    record Stopped() implements Outcome {
        @Override
        public boolean failure() {
            return false;
        }

        @Override
        public int status() {
            return 0;
        }

        @Override
        public String describe() {
            return "stopped";
        }

        @Override
        public String reason() {
            return "stopped";
        }
    }

    /**
     * The host failed: a bug, or the instance could not be created ({@code cause} is printed), or a limit of
     * the run ({@code cause} null: the message says it all).
     */
    record Failed(String message, Throwable cause) implements Outcome {
        @Override
        public boolean failure() {
            return true;
        }

        @Override
        public int status() {
            return Main.EXIT_LOAD_ERROR;
        }

        @Override
        public String describe() {
            return message;
        }

        @Override
        public String reason() {
            return "host_error";
        }
    }

    /** Whether --restart on-failure restarts the shard after this. */
    boolean failure();

    /** The appliance's exit status when this ends it. */
    int status();

    /** One line, without the "appliance: shard N: " that every message starts with. */
    String describe();

    /** The label /metrics counts a restart after this under. */
    String reason();

    private static String in(String function) {
        return function == null ? "" : " in " + function;
    }
}

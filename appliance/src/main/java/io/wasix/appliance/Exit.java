package io.wasix.appliance;

/**
 * How the appliance's JVM ends, once its own stop is done (the shards drained and joined, the admin port
 * closed): with {@link Runtime#halt}, not {@link System#exit}. The appliance registers no shutdown hook, and
 * System.exit's extra work before the same halt (running the hooks, and logging the exit through
 * System.Logger, which bootstraps java.util.logging) took 40-60 ms on a loaded 2-core machine, half of the
 * 100 ms a stop after its grace may take (bench/results/2026-12-05-stop.md). Both end in the VM's own exit
 * sequence, which writes an AOT cache being trained. A Flight Recorder recording is the exception: its dump
 * at exit (dumponexit) is a shutdown hook, so with JFR initialized the exit goes through System.exit.
 *
 * <p>Threading: main, or the JDK's signal thread for a signal while booting; the first caller ends the JVM.
 */
final class Exit {
    private Exit() {}

    static void now(int status) {
        // halt flushes nothing: what the guest or the appliance printed last must not be lost
        System.out.flush();
        System.err.flush();
        if (jdk.jfr.FlightRecorder.isInitialized()) {
            System.exit(status);
        }
        Runtime.getRuntime().halt(status);
    }
}

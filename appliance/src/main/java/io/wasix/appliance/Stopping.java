package io.wasix.appliance;

import io.wasix.host.StopSignal;

/**
 * What SIGTERM and SIGINT do, from the first instruction of main: while the appliance boots there is nothing
 * in flight, so a signal exits 0 at once; once the shards run, the first signal goes to a guest that named a
 * signal handler and stops any other gracefully (the grace is enforced on running code: see
 * {@link Shards#stopGracefully}), and a second one stops them at once.
 *
 * <p>Threading: signals arrive on the JDK's signal thread; main attaches the shards. Both under this
 * object's lock, so a signal is either before the attach (and main does not start) or after it.
 */
final class Stopping {
    /** What a signal stops: the shards, as a whole. */
    interface Target {
        /** The first signal: to a guest with a handler, which has the grace period to end; else a graceful stop. */
        void stopGracefully(StopSignal sig);

        void stopNow();
    }

    private final java.util.function.IntConsumer exit;
    private int signals;
    private Target shards;
    private Runnable onFirst = () -> { };

    Stopping(java.util.function.IntConsumer exit) {
        this.exit = exit;
    }

    /** Handles SIGTERM and SIGINT from now on. */
    static Stopping onSignals() {
        Stopping s = new Stopping(status -> Runtime.getRuntime().exit(status));
        Signals.onTerminate(s::signalled);
        return s;
    }

    /** A SIGTERM or SIGINT came (the JDK's signal thread; a test). */
    void signalled(StopSignal sig) {
        Target running;
        int n;
        Runnable first;
        synchronized (this) {
            n = ++signals;
            running = shards;
            first = onFirst;
        }
        if (running == null) {
            // Booting: no guest runs yet, so nothing is in flight. Exit from here: main may be busy for a while
            // (compiling a large module), and the status is 0, as a stop's is.
            exit.accept(0);
            return;
        }
        if (n == 1) {
            first.run();
            running.stopGracefully(sig);
        } else {
            running.stopNow();
        }
    }

    /**
     * The shards a signal stops from now on, and what the first signal does besides ({@code onFirst}: /healthz
     * stops answering ok). False when a signal came first: the appliance is exiting, and main must not start
     * them.
     */
    synchronized boolean attach(Target shards, Runnable onFirst) {
        if (signals > 0) {
            return false;
        }
        this.shards = shards;
        this.onFirst = onFirst;
        return true;
    }
}

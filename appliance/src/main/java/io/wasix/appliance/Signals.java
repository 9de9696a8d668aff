package io.wasix.appliance;

import sun.misc.Signal;

/**
 * SIGTERM and SIGINT stop the guests instead of killing the JVM, so that as PID 1 in a container the
 * appliance finishes queued responses and exits 0. Handlers run on the JDK's signal thread.
 */
final class Signals {
    private Signals() {}

    static void onTerminate(Runnable action) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), s -> action.run());
            } catch (IllegalArgumentException e) {
                // the signal is not available here (or is reserved by the VM): keep the default
            }
        }
    }
}

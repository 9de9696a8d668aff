package io.wasix.appliance;

import io.wasix.host.StopSignal;
import java.util.function.Consumer;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT stop the guests instead of killing the JVM, so that as PID 1 in a container the
 * appliance finishes queued responses, or lets a guest with a signal handler finish by itself, and exits with
 * the guest's status. Handlers run on the JDK's signal thread.
 */
final class Signals {
    private Signals() {}

    static void onTerminate(Consumer<StopSignal> action) {
        for (StopSignal s : StopSignal.values()) {
            try {
                Signal.handle(new Signal(s.name()), received -> action.accept(s));
            } catch (IllegalArgumentException e) {
                // the signal is not available here (or is reserved by the VM): keep the default
            }
        }
    }
}

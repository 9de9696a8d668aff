package io.wasix.host;

import io.wasix.host.net.Transport;
import io.wasix.host.net.TransportChoice;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/** Which transports this machine can run, probed once per JVM the same way the appliance probes them. */
final class Transports {
    private static final Map<Transport, String> UNAVAILABLE = new EnumMap<>(Transport.class);

    static {
        for (Transport t : Transport.values()) {
            try {
                TransportChoice.choose(t); // Netty's check plus a real IoHandler built and torn down
            } catch (Throwable e) {
                UNAVAILABLE.put(t, String.valueOf(e.getMessage()));
                System.err.println();
                System.err.println("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
                System.err.println("!!! TRANSPORT " + t.label() + " IS UNAVAILABLE: every test on it is SKIPPED");
                System.err.println("!!! why: " + e.getMessage());
                System.err.println("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
                System.err.println();
            }
        }
    }

    private Transports() {}

    /** Aborts (skips) the calling test, loudly, when {@code t} cannot run here. */
    static void require(Transport t) {
        String why = UNAVAILABLE.get(t);
        if (why != null) {
            System.err.println("!!! SKIPPED on " + t.label() + " (transport unavailable: " + why + ")");
            Assumptions.abort("transport " + t.label() + " unavailable: " + why);
        }
    }
}

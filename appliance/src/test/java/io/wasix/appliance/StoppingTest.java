package io.wasix.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.StopSignal;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What SIGTERM and SIGINT do at each moment of the appliance's life. */
class StoppingTest {
    private final List<String> seen = new ArrayList<>();
    private final Stopping stopping = new Stopping(status -> seen.add("exit " + status));
    private final Stopping.Target shards = new Stopping.Target() {
        @Override
        public void stopGracefully(StopSignal sig) {
            seen.add("graceful " + sig);
        }

        @Override
        public void stopNow() {
            seen.add("now");
        }
    };

    @Test
    void whileBootingASignalExitsZeroAndNoShardStarts() {
        stopping.signalled(StopSignal.TERM);
        assertEquals(List.of("exit 0"), seen);
        assertFalse(stopping.attach(shards, () -> seen.add("unready")), "main must not start the shards");
        assertEquals(List.of("exit 0"), seen);
    }

    @Test
    void onceRunningTheFirstSignalDrainsAndTheSecondStopsAtOnce() {
        assertTrue(stopping.attach(shards, () -> seen.add("unready")));
        stopping.signalled(StopSignal.TERM);
        assertEquals(List.of("unready", "graceful TERM"), seen);
        stopping.signalled(StopSignal.TERM);
        assertEquals(List.of("unready", "graceful TERM", "now"), seen);
        stopping.signalled(StopSignal.TERM);
        assertEquals(List.of("unready", "graceful TERM", "now", "now"), seen);
    }
}

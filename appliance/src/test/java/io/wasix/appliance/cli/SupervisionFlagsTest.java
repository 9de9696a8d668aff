package io.wasix.appliance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.appliance.supervise.RestartPolicy;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** --restart, --restart-limit, --watchdog, --max-memory, --max-connections and their variables. */
class SupervisionFlagsTest {
    private static Settings parse(Map<String, String> env, String... argv) throws UsageException {
        return Cli.parse(argv, env);
    }

    @Test
    void defaults() throws Exception {
        Settings s = parse(Map.of(), "run");
        assertEquals(RestartPolicy.DEFAULT, s.supervision().restart());
        assertTrue(s.supervision().restart().onFailure());
        assertNull(s.supervision().watchdog(), "no watchdog unless asked");
        assertEquals(0, s.limits().maxMemory(), "derived from the heap");
        assertEquals(0, s.limits().maxConnections(), "no limit");
    }

    @Test
    void flagsInBothSpellings() throws Exception {
        Settings s = parse(Map.of(), "run", "--restart", "never", "--restart-limit=3/1m", "--watchdog", "500ms",
                "--max-memory=64M", "--max-connections", "1000", "m.wasm", "--watchdog", "1s");
        assertEquals(new RestartPolicy(false, 3, Duration.ofMinutes(1)), s.supervision().restart());
        assertEquals(Duration.ofMillis(500), s.supervision().watchdog());
        assertEquals(64L << 20, s.limits().maxMemory());
        assertEquals(1000, s.limits().maxConnections());
        assertEquals(java.util.List.of("--watchdog", "1s"), s.guestArgs(), "after the module they are the guest's");
        assertNull(parse(Map.of(), "run", "--watchdog", "5s", "--watchdog", "off").supervision().watchdog());
    }

    @Test
    void variablesConfigureAndFlagsWin() throws Exception {
        Map<String, String> env = Map.of("APPLIANCE_RESTART", "never", "APPLIANCE_RESTART_LIMIT", "2/10s",
                "APPLIANCE_WATCHDOG", "5s", "APPLIANCE_MAX_MEMORY", "1G", "APPLIANCE_MAX_CONNECTIONS", "10");
        Settings s = parse(env, "run");
        assertFalse(s.supervision().restart().onFailure());
        assertEquals(2, s.supervision().restart().limit());
        assertEquals(Duration.ofSeconds(10), s.supervision().restart().window());
        assertEquals(Duration.ofSeconds(5), s.supervision().watchdog());
        assertEquals(1L << 30, s.limits().maxMemory());
        assertEquals(10, s.limits().maxConnections());
        Settings flags = parse(env, "run", "--restart", "on-failure", "--max-connections", "0");
        assertTrue(flags.supervision().restart().onFailure());
        assertEquals(2, flags.supervision().restart().limit(), "--restart keeps the variable's limit");
        assertEquals(0, flags.limits().maxConnections());
    }

    @Test
    void mistakesNameTheFlagOrTheVariable() {
        Map<String, String> flags = Map.of(
                "--restart", "--restart wants never or on-failure, got 'x'",
                "--restart-limit", "--restart-limit wants RESTARTS/DURATION, e.g. 5/30s (at least 1 restart), got 'x'",
                "--watchdog", "--watchdog wants a duration of at least 10ms, e.g. 5s or 500ms, or off, got 'x'",
                "--max-memory", "--max-memory wants a size of at least 64K, e.g. 64M or 1G, got 'x'",
                "--max-connections", "--max-connections wants a number of connections (0 for no limit), got 'x'");
        for (var e : flags.entrySet()) {
            assertEquals(e.getValue(), assertThrows(UsageException.class, () -> parse(Map.of(), "run", e.getKey(), "x"))
                    .getMessage());
            String variable = "APPLIANCE_" + e.getKey().substring(2).replace('-', '_').toUpperCase(java.util.Locale.ROOT);
            assertEquals(e.getValue().replace(e.getKey(), variable),
                    assertThrows(UsageException.class, () -> parse(Map.of(variable, "x"), "run")).getMessage());
        }
        assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--restart-limit", "0/30s"));
        assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--restart-limit", "5/0s"));
        assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--max-memory", "1K"));
        assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--watchdog", "5ms"));
        assertThrows(UsageException.class, () -> parse(Map.of(), "run", "--max-connections"));
    }
}

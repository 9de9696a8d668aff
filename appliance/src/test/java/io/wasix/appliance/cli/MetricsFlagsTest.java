package io.wasix.appliance.cli;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** --stats, --trace and --admin-port, and their APPLIANCE_* variables. */
class MetricsFlagsTest {

    @Test
    void offUnlessAskedFor() throws Exception {
        Settings.Metrics m = Cli.parse(new String[] {"run"}, Map.of()).metrics();
        assertEquals(Settings.Metrics.NONE, m);
    }

    @Test
    void flags() throws Exception {
        Settings.Metrics m = Cli.parse(new String[] {"run", "--stats", "--trace", "--admin-port", "9100", "x.wasm"},
                Map.of()).metrics();
        assertTrue(m.stats());
        assertTrue(m.trace());
        assertEquals(new InetSocketAddress("127.0.0.1", 9100), m.adminAddress());
    }

    @Test
    void adminHostForms() throws Exception {
        assertEquals(new InetSocketAddress("0.0.0.0", 9100),
                Cli.parse(new String[] {"run", "--admin-port=0.0.0.0:9100"}, Map.of()).metrics().adminAddress());
        assertEquals(new InetSocketAddress("::1", 9101), Cli.parseAdminPort("[::1]:9101"));
        assertEquals(new InetSocketAddress("127.0.0.1", 0), Cli.parseAdminPort("0"));
    }

    @Test
    void variables() throws Exception {
        Settings.Metrics m = Cli.parse(new String[] {"run"},
                Map.of("APPLIANCE_STATS", "1", "APPLIANCE_TRACE", "true", "APPLIANCE_ADMIN_PORT", "127.0.0.1:9102"))
                .metrics();
        assertTrue(m.stats());
        assertTrue(m.trace());
        assertEquals(new InetSocketAddress("127.0.0.1", 9102), m.adminAddress());
    }

    @Test
    void aFlagWinsOverItsVariable() throws Exception {
        Settings.Metrics m = Cli.parse(new String[] {"run", "--admin-port", "9103"},
                Map.of("APPLIANCE_ADMIN_PORT", "9102", "APPLIANCE_STATS", "0")).metrics();
        assertEquals(9103, m.adminAddress().getPort());
        assertFalse(m.stats());
        assertNull(Cli.parse(new String[] {"run"}, Map.of("APPLIANCE_ADMIN_PORT", " ")).metrics().adminAddress());
    }

    @Test
    void badAdminPortsAreUsageErrors() {
        for (String bad : new String[] {"http", "65536", "-1", ":", "127.0.0.1:", "no.such.host.invalid:9100"}) {
            assertThrows(UsageException.class, () -> Cli.parseAdminPort(bad), bad);
        }
        assertThrows(UsageException.class, () -> Cli.parse(new String[] {"run", "--admin-port"}, Map.of()));
    }
}

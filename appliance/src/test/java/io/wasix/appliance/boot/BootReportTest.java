package io.wasix.appliance.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.appliance.boot.BootReport.Milestone;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class BootReportTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private String printed() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void rowsInBootOrderWithTheirDeltas() throws Exception {
        BootClock clock = new BootClock(System.nanoTime() - 10_000_000L, "exec");
        BootReport r = new BootReport(clock, out);
        r.requestPrint();
        for (Milestone m : List.of(Milestone.MAIN, Milestone.TRANSPORT_CHOSEN, Milestone.MODULE_LOADED, Milestone.SHARD_STARTED)) {
            r.mark(m);
            Thread.sleep(2);
        }
        r.listenerBound(new InetSocketAddress(0));
        Thread.sleep(2);
        assertEquals("", printed(), "nothing is printed before the first response");
        r.firstResponse();
        List<String> lines = printed().lines().toList();
        assertEquals("appliance: boot report (ms since exec)", lines.get(0));
        assertTrue(lines.get(2).matches(" +process start +0\\.0 *"), lines.get(2));
        String[] labels = {"main", "transport chosen", "module loaded", "shard started", "listener bound", "first response"};
        double previous = 0;
        for (int i = 0; i < labels.length; i++) {
            String row = lines.get(3 + i).strip();
            assertTrue(row.startsWith(labels[i] + " "), row);
            String[] cols = row.substring(labels[i].length()).strip().split(" +");
            double at = Double.parseDouble(cols[0]);
            double delta = Double.parseDouble(cols[1]);
            assertTrue(at >= 10 && at >= previous, row);
            assertEquals(at - previous, delta, 0.11, row);
            previous = at;
        }
        assertTrue(previous >= 20, "six marks 2 ms apart after a 10 ms origin: " + previous);
        assertEquals(9, lines.size());
    }

    @Test
    void firstMarkWinsAndTheReportPrintsOnce() {
        BootReport r = new BootReport(new BootClock(System.nanoTime(), "exec"), out);
        r.requestPrint();
        r.mark(Milestone.MAIN);
        double first = r.millis(Milestone.MAIN);
        r.mark(Milestone.MAIN);
        assertEquals(first, r.millis(Milestone.MAIN));
        r.firstResponse();
        String once = printed();
        r.firstResponse();
        r.printOnce();
        assertEquals(once, printed());
    }

    @Test
    void atExitMissingMilestonesSayNeverAndNothingPrintsUnlessAsked() {
        BootReport quiet = new BootReport(new BootClock(System.nanoTime(), "exec"), out);
        quiet.mark(Milestone.MAIN);
        quiet.printOnce();
        assertEquals("", printed());

        BootReport r = new BootReport(new BootClock(System.nanoTime(), "exec"), out);
        r.requestPrint();
        r.mark(Milestone.MAIN);
        r.printOnce();
        assertTrue(printed().lines().anyMatch(l -> l.matches(" +listener bound +never *")), printed());
        assertTrue(printed().lines().anyMatch(l -> l.matches(" +first response +never *")), printed());
    }

    @Test
    void execTimeFromTheLauncher() {
        assertEquals(1_700_000_000_123_456L, BootClock.execMicros("1700000000.123456"));
        assertEquals(1_700_000_000_123_456L, BootClock.execMicros("1700000000,123456"), "a comma locale");
        assertEquals(0, BootClock.execMicros(null));
        assertEquals(0, BootClock.execMicros("1700000000"));
        assertEquals(0, BootClock.execMicros("garbage.123456"));
    }

    @Test
    void withoutTheLauncherTheOriginIsTheProcessStart() {
        BootClock c = BootClock.ofThisProcess();
        if (System.getenv("APPLIANCE_EXEC_TIME") == null) {
            assertEquals("process start (10 ms ticks)", c.source());
        }
        double age = c.millisAt(System.nanoTime());
        assertTrue(age > 0 && age < 3_600_000, "this JVM started " + age + " ms ago");
    }

    /** The boot line names the first listener; later ones (other shards, other sockets) are not it. */
    @Test
    void theFirstListenerIsTheOneNamed() throws Exception {
        BootReport r = new BootReport(new BootClock(System.nanoTime(), "exec"), out);
        assertEquals(null, r.firstListener());
        var first = new InetSocketAddress(java.net.InetAddress.getByName("0.0.0.0"), 8080);
        r.listenerBound(first);
        r.listenerBound(new InetSocketAddress(9090));
        assertEquals(first, r.firstListener());
        assertEquals("0.0.0.0:8080", BootReport.format(first));
        for (String[] v6 : new String[][] {{"::", "::"}, {"::1", "::1"}, {"fe80:0:0:0:0:0:0:1", "fe80::1"},
                {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"}, {"1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"}}) {
            assertEquals("[" + v6[1] + "]:80", BootReport.format(new InetSocketAddress(java.net.InetAddress.getByName(v6[0]), 80)));
        }
    }
}

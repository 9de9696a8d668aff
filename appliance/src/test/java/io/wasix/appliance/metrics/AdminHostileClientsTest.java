package io.wasix.appliance.metrics;

import static io.wasix.appliance.metrics.AdminServerTest.body;
import static io.wasix.appliance.metrics.AdminServerTest.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The admin port while hostile clients hold it (issue 10's probe: 20 idle connections used to make /healthz
 * take 35 s). Real loopback sockets. Nothing is timed: every request here has a 5 s read timeout, and the
 * hostile clients would hold a one-at-a-time server for 2 s each, 400 s for 200 of them.
 */
@Timeout(60)
class AdminHostileClientsTest {

    @Test
    void answersHealthAndReadinessWhile200HostileConnectionsHoldIt() throws Exception {
        Readiness readiness = new Readiness(1);
        readiness.serving(true);
        readiness.events(0, io.wasix.host.HostEvents.NONE).listenerBound(new InetSocketAddress(0));
        AtomicBoolean stop = new AtomicBoolean();
        List<Socket> hostile = new ArrayList<>();
        Thread trickler = null;
        try (AdminServer admin = AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new AdminPages(ReportsTest::sample, readiness::live, readiness::ready))) {
            InetSocketAddress at = admin.address();
            for (int i = 0; i < 200; i++) {
                Socket s = new Socket();
                s.connect(at, 5_000);
                switch (i % 3) {
                    case 0 -> { } // idle: connects and sends nothing
                    case 1 -> write(s, "GET /healthz HTTP/1.1\r\nHost:"); // half a request, then nothing
                    default -> write(s, "G"); // a slowloris: a byte now and then (below)
                }
                hostile.add(s);
            }
            trickler = new Thread(() -> {
                while (!stop.get()) {
                    for (int i = 2; i < hostile.size(); i += 3) {
                        try {
                            write(hostile.get(i), "E");
                        } catch (IOException e) {
                            // dropped by the server: that is the point
                        }
                    }
                    try {
                        Thread.sleep(1_000);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "slowloris");
            trickler.setDaemon(true);
            trickler.start();

            for (int i = 0; i < 20; i++) {
                String health = request(at, "GET /healthz HTTP/1.1");
                assertTrue(health.startsWith("HTTP/1.1 200 OK\r\n") && body(health).equals("ok\n"), health);
                String ready = request(at, "GET /readyz HTTP/1.1");
                assertTrue(ready.startsWith("HTTP/1.1 200 OK\r\n") && body(ready).equals("ready\n"), ready);
            }
        } finally {
            stop.set(true);
            if (trickler != null) {
                trickler.interrupt();
                trickler.join(5_000);
            }
            for (Socket s : hostile) {
                s.close();
            }
        }
    }

    @Test
    void pastItsCapANewConnectionDropsTheOldest() throws Exception {
        List<Socket> idle = new ArrayList<>();
        try (AdminServer admin = AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new AdminPages(ReportsTest::sample, () -> true, () -> true), 8)) {
            for (int i = 0; i < 50; i++) {
                Socket s = new Socket();
                s.connect(admin.address(), 5_000);
                s.setSoTimeout(5_000);
                idle.add(s);
            }
            String health = request(admin.address(), "GET /healthz HTTP/1.1");
            assertTrue(health.startsWith("HTTP/1.1 200 OK\r\n"), health);
            assertTrue(admin.evicted() >= 50 + 1 - 8, "evicted " + admin.evicted());
            assertEquals(-1, idle.get(0).getInputStream().read(), "the oldest was dropped");
        } finally {
            for (Socket s : idle) {
                s.close();
            }
        }
    }

    @Test
    void dropsAConnectionThatDoesNotFinishItsRequestInTime() throws Exception {
        try (AdminServer admin = AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new AdminPages(ReportsTest::sample, () -> true, () -> true));
                Socket s = new Socket()) {
            s.connect(admin.address(), 5_000);
            s.setSoTimeout(4 * (int) AdminServer.EXCHANGE_TIMEOUT_MS);
            write(s, "GET /healthz HTTP/1.1\r\n");
            assertEquals(-1, s.getInputStream().read(), "closed without an answer at the deadline");
        }
    }

    @Test
    void readyOnlyOnceEveryShardListensAndUntilItDrains() {
        Readiness r = new Readiness(2);
        var shard0 = r.events(0, io.wasix.host.HostEvents.NONE);
        var shard1 = r.events(1, io.wasix.host.HostEvents.NONE);
        assertTrue(!r.live() && !r.ready(), "before the boot line");
        r.serving(true);
        assertTrue(r.live() && !r.ready(), "live, but no listener yet");
        shard0.listenerBound(new InetSocketAddress(0));
        assertTrue(!r.ready(), "one shard of two listens");
        shard1.listenerBound(new InetSocketAddress(0));
        assertTrue(r.ready());
        r.shardEnded(1);
        assertTrue(r.live() && !r.ready(), "a shard that ended (to restart) is not listening");
        shard1.listenerBound(new InetSocketAddress(0));
        assertTrue(r.ready());
        r.serving(false);
        assertTrue(!r.live() && !r.ready(), "draining");
    }

    @Test
    void aLongRequestHeadIs431AndAnUnknownPathNamesTheOthers() throws Exception {
        try (AdminServer admin = AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new AdminPages(ReportsTest::sample, () -> true, () -> false))) {
            String big = request(admin.address(), "GET /healthz HTTP/1.1\r\nX: " + "a".repeat(AdminServer.MAX_HEAD));
            assertTrue(big.startsWith("HTTP/1.1 431 "), big);
            String ready = request(admin.address(), "GET /readyz HTTP/1.1");
            assertTrue(ready.startsWith("HTTP/1.1 503 "), ready);
            assertTrue(body(request(admin.address(), "GET /x HTTP/1.1")).contains("/readyz"));
        }
    }

    private static void write(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }
}

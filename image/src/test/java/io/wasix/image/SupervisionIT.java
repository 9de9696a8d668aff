package io.wasix.image;

import static io.wasix.image.Launched.APPLIANCE_GUESTS;
import static io.wasix.image.Launched.freePort;
import static io.wasix.image.Launched.http;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.image.Launched.Conn;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Supervision through the launcher, with the crashy test guest (a keep-alive server that traps, spins or
 * exits when a request asks): a failed shard restarts as a fresh instance while the others serve, restarts
 * back off and are counted, and a crash loop ends the appliance with the last failure.
 */
@Timeout(90)
class SupervisionIT {
    private static final String CRASHY = APPLIANCE_GUESTS.resolve("crashy.wasm").toString();
    private static final Pattern RESTART = Pattern.compile(
            "appliance: shard (\\d): guest trapped: Trapped on unreachable instruction in handle \\(function #\\d+\\); "
                    + "restarting in 100 ms \\(restart 1 of 5 in 30 s\\)");

    /**
     * The probe: with two shards, a request that traps one of them used to end the process. Now the
     * other shard's connections, under load the whole time, lose nothing; the trapped shard's connections are
     * closed; it comes back as a new instance on the same port, and /metrics counts the restart.
     */
    @Test
    void oneShardTrapsTheOtherLosesNothing() throws Exception {
        int port = freePort(), admin = freePort();
        try (Launched app = Launched.start(List.of("run", "--shards", "2", "--admin-port", "127.0.0.1:" + admin,
                CRASHY), port, Map.of())) {
            app.awaitLine(l -> l.contains(" started on "), 30_000);
            Map<String, List<Conn>> byInstance = new HashMap<>();
            List<Conn> all = new ArrayList<>();
            try {
                for (int i = 0; i < 200 && (byInstance.size() < 2 || byInstance.values().stream().anyMatch(l -> l.size() < 8)); i++) {
                    Conn c = Conn.await(port, 10_000);
                    all.add(c);
                    byInstance.computeIfAbsent(c.get(), k -> new ArrayList<>()).add(c);
                }
                assertEquals(2, byInstance.size(), "connections reached both shards: " + byInstance.keySet());
                List<String> ids = new ArrayList<>(byInstance.keySet());
                String doomed = ids.get(0), survivor = ids.get(1);

                AtomicBoolean loading = new AtomicBoolean(true);
                AtomicLong served = new AtomicLong(), lost = new AtomicLong();
                List<Thread> load = new ArrayList<>();
                for (Conn c : byInstance.get(survivor)) {
                    load.add(Thread.ofVirtual().start(() -> {
                        while (loading.get()) {
                            try {
                                if (c.get().equals(survivor)) {
                                    served.incrementAndGet();
                                } else {
                                    lost.incrementAndGet();
                                }
                            } catch (IOException e) {
                                lost.incrementAndGet();
                                return;
                            }
                        }
                    }));
                }
                Thread.sleep(300);
                long before = served.get();
                List<Conn> trapped = byInstance.get(doomed);
                trapped.get(0).send('X');
                Matcher m = RESTART.matcher(app.awaitLine(l -> RESTART.matcher(l).matches(), 10_000));
                assertTrue(m.matches());
                String shard = m.group(1);
                for (Conn c : trapped) {
                    assertTrue(c.closedByPeer(), "the trapped instance's connections are closed");
                }
                // the restarted shard binds the port again, 100 ms after that line plus its start: until then every
                // connection reaches the survivor, so ask until it does (a count of tries raced a slow start)
                String reborn = null;
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (reborn == null && System.nanoTime() < deadline) {
                    try (Conn c = Conn.await(port, 5_000)) {
                        String id = c.get();
                        if (!id.equals(survivor)) {
                            reborn = id;
                        }
                    }
                    if (reborn == null) {
                        Thread.sleep(20);
                    }
                }
                assertTrue(reborn != null && !reborn.equals(doomed), "a fresh instance serves: " + reborn);
                Thread.sleep(300);
                loading.set(false);
                for (Thread t : load) {
                    t.join(10_000);
                }
                assertEquals(0, lost.get(), "requests lost on the other shard's connections");
                assertTrue(served.get() > before, "the other shard served throughout: " + before + " -> " + served);

                String metrics = http(admin, "/metrics");
                assertTrue(metrics.contains("\nwasix_shard_restarts_total{shard=\"" + shard + "\",reason=\"trap\"} 1\n"),
                        metrics);
                assertTrue(http(admin, "/healthz").endsWith("\r\n\r\nok\n"), "alive while one shard restarted");
            } finally {
                for (Conn c : all) {
                    c.close();
                }
            }
            app.signal("TERM");
            assertEquals(0, app.awaitExit(10_000), app.stderr());
        }
    }

    /**
     * One shard: each trap restarts it on the same port at once, though its previous run's connections, which
     * the host closed, are in TIME_WAIT and the guest does not set SO_REUSEADDR; the third trap within the
     * window of --restart-limit 2/30s is a crash loop, which ends the appliance with the trap's status.
     */
    @Test
    void aCrashLoopEndsTheApplianceWithTheLastTrap() throws Exception {
        int port = freePort();
        try (Launched app = Launched.start(List.of("run", "--restart-limit", "2/30s", CRASHY), port, Map.of())) {
            app.awaitLine(l -> l.contains(" started on "), 30_000);
            String previous = null;
            for (int i = 1; i <= 3; i++) {
                try (Conn c = Conn.await(port, 10_000); Conn doomed = Conn.await(port, 10_000)) {
                    String id = c.get();
                    assertNotEquals(previous, id, "a fresh instance after each restart");
                    previous = id;
                    doomed.send('X');
                    assertTrue(c.closedByPeer());
                }
                if (i < 3) {
                    String next = i == 1 ? "; restarting in 100 ms (restart 1 of 2 in 30 s)"
                            : "; restarting in 200 ms (restart 2 of 2 in 30 s)";
                    app.awaitLine(l -> l.endsWith(next), 10_000);
                }
            }
            assertEquals(134, app.awaitExit(10_000), app.stderr());
            List<String> lines = app.stderrLines();
            assertTrue(lines.get(lines.size() - 1).matches("appliance: shard 0: guest trapped: Trapped on unreachable "
                    + "instruction in handle \\(function #\\d+\\); crash loop: 3 failures in 30 s \\(--restart-limit 2/30s\\)"),
                    app.stderr());
            assertEquals(2, lines.stream().filter(l -> l.contains("; restarting in ")).count(), app.stderr());
        }
    }

    /** --restart never: the first trap ends the appliance, as before supervision, in one line naming the shard. */
    @Test
    void restartNeverEndsAtTheFirstTrap() throws Exception {
        int port = freePort();
        try (Launched app = Launched.start(List.of("run", "--restart", "never", CRASHY), port, Map.of())) {
            app.awaitLine(l -> l.contains(" started on "), 30_000);
            try (Conn doomed = Conn.await(port, 10_000)) {
                doomed.send('X');
                assertEquals(134, app.awaitExit(10_000), app.stderr());
            }
            List<String> lines = app.stderrLines();
            assertTrue(lines.get(lines.size() - 1).matches(
                    "appliance: shard 0: guest trapped: Trapped on unreachable instruction in handle \\(function #\\d+\\)"),
                    app.stderr());
        }
    }

    /**
     * --watchdog: a request that makes the guest spin without calling the host is stopped after the limit, in
     * one line naming the function, and the shard restarts; a guest that exits with a failure status restarts
     * too. Both are counted. Idle, the watchdog costs no CPU worth measuring.
     */
    @Test
    void theWatchdogStopsASpinningGuestAndTheShardRestarts() throws Exception {
        int port = freePort(), admin = freePort();
        try (Launched app = Launched.start(List.of("run", "--watchdog", "500ms", "--admin-port", "127.0.0.1:" + admin,
                CRASHY), port, Map.of())) {
            assertTrue(app.awaitLine(l -> l.contains(" started on "), 30_000).endsWith(", watchdog 500 ms"), app.stderr());
            try (Conn c = Conn.await(port, 10_000)) {
                c.send('S');
                app.awaitLine(l -> l.matches("appliance: shard 0: watchdog: no host call for 500 ms in spin "
                        + "\\(function #\\d+\\); restarting in 100 ms \\(restart 1 of 5 in 30 s\\)"), 10_000);
                assertTrue(c.closedByPeer());
            }
            try (Conn c = Conn.await(port, 10_000)) {
                c.send('E');
                app.awaitLine(l -> l.equals("appliance: shard 0: guest exited with status 3; restarting in 200 ms "
                        + "(restart 2 of 5 in 30 s)"), 10_000);
            }
            try (Conn c = Conn.await(port, 10_000)) {
                c.get();
            }
            String metrics = http(admin, "/metrics");
            assertTrue(metrics.contains("\nwasix_shard_restarts_total{shard=\"0\",reason=\"watchdog\"} 1\n"), metrics);
            assertTrue(metrics.contains("\nwasix_shard_restarts_total{shard=\"0\",reason=\"exit\"} 1\n"), metrics);

            long cpu = app.cpuMillis();
            Thread.sleep(2000);
            long idle = app.cpuMillis() - cpu;
            assertTrue(idle < 200, "idle with a 500 ms watchdog, the appliance used " + idle + " ms of CPU in 2 s");
            app.signal("TERM");
            assertEquals(0, app.awaitExit(10_000), app.stderr());
        }
    }
}

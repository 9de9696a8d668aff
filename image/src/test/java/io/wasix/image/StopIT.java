package io.wasix.image;

import static io.wasix.image.Launched.APPLIANCE_GUESTS;
import static io.wasix.image.Launched.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Stopping a guest that never calls the host (an infinite loop in _start, or in its start section, which runs
 * while the instance is made): SIGTERM's 5 s grace is enforced on running code, a second signal stops it at
 * once, and the watchdog stops it with one line naming the function. And a signal from main's first
 * instruction on exits 0. Bounds are generous: this machine is shared and noisy; bench/results has the
 * measured figures.
 */
@Timeout(90)
class StopIT {
    private static final long GRACE_MS = 5_000;

    @Test
    void theGraceEndsAGuestSpinningInStart() throws Exception {
        spinsUntilTheGraceEnds("spin-start.wasm");
    }

    @Test
    void theGraceEndsAGuestSpinningInItsStartSection() throws Exception {
        spinsUntilTheGraceEnds("spin-start-section.wasm");
    }

    private static void spinsUntilTheGraceEnds(String guest) throws Exception {
        try (Launched app = Launched.start(List.of("run", APPLIANCE_GUESTS.resolve(guest).toString()), freePort(), Map.of())) {
            awaitSpinning(app);
            long signalled = System.nanoTime();
            app.signal("TERM");
            assertEquals(0, app.awaitExit(GRACE_MS + 10_000), app.stderr());
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);
            assertTrue(ms >= GRACE_MS - 100 && ms < GRACE_MS + 3_000, "exited " + ms + " ms after SIGTERM (grace 5 s)");
        }
    }

    @Test
    void aSecondSignalStopsASpinningGuestAtOnce() throws Exception {
        for (String guest : List.of("spin-start.wasm", "spin-start-section.wasm")) {
            try (Launched app = Launched.start(List.of("run", APPLIANCE_GUESTS.resolve(guest).toString()), freePort(), Map.of())) {
                awaitSpinning(app);
                app.signal("TERM");
                Thread.sleep(200);
                long signalled = System.nanoTime();
                app.signal("INT");
                assertEquals(0, app.awaitExit(10_000), guest + ": " + app.stderr());
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);
                assertTrue(ms < 2_000, guest + " exited " + ms + " ms after the second signal");
            }
        }
    }

    /** A guest that never listened is not restarted: the watchdog's stop ends the appliance, as a trap does. */
    @Test
    void theWatchdogStopsAGuestSpinningInStart() throws Exception {
        try (Launched app = Launched.start(List.of("run", "--watchdog", "300ms",
                APPLIANCE_GUESTS.resolve("spin-start.wasm").toString()), freePort(), Map.of())) {
            assertEquals(134, app.awaitExit(30_000), app.stderr());
            List<String> lines = app.stderrLines();
            assertTrue(lines.contains("appliance: shard 0: watchdog: no host call for 300 ms in spin (function #0)"),
                    app.stderr());
            // then the boot line, which a guest that never listened gets when it ends
            assertTrue(lines.get(lines.size() - 1).contains(": stopped by the watchdog before listening, "), app.stderr());
        }
    }

    /**
     * From the first instruction of main on, SIGTERM exits 0, also while the appliance is still booting (before,
     * the JVM's own handler ended it with 143 and "Runtime.exit(143) logging failed: ..."). The class
     * initialization log says when main has installed the handler: BootReport is the class main initializes
     * right after it (loading says nothing: the AOT cache loads our classes before main).
     */
    @Test
    void aSignalWhileBootingExitsZero() throws Exception {
        try (Launched app = Launched.start(List.of("run", "hello"), freePort(),
                Map.of("JDK_JAVA_OPTIONS", "-Xlog:class+init=info:stderr"))) {
            app.awaitLine(l -> l.contains(" Initializing 'io/wasix/appliance/boot/BootReport'"), 30_000);
            app.signal("TERM");
            assertEquals(0, app.awaitExit(10_000), app.stderr());
            assertTrue(app.stderrLines().stream().noneMatch(l -> l.contains("Runtime.exit")), app.stderr());
        }
    }

    /** Waits until the guest spins: its shard's thread has burnt 300 ms of CPU (it does nothing else). */
    private static void awaitSpinning(Launched app) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (app.threadCpuMillis("shard-0") >= 300) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the guest never spun:\n" + app.stderr());
    }
}

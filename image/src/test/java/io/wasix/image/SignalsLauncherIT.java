package io.wasix.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The appliance's SIGTERM and SIGINT, through the launcher, to a guest that named a signal handler
 * (signals.c, direct and threaded): the first signal runs the guest's handler, and the guest ends by itself
 * with its own status; a guest whose handler ignores it is stopped at once by a second signal.
 */
@Timeout(60)
class SignalsLauncherIT {
    private static final Path LAUNCHER = Path.of("target/appliance/bin/appliance");
    private static final Path GUESTS = Path.of("../wasm-host/src/test/guests");

    private static Process start(String guest, String scenario) throws Exception {
        return new ProcessBuilder(LAUNCHER.toString(), "run", "--quiet", GUESTS.resolve(guest).toString(), "--",
                scenario).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static void signal(Process p, String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(p.pid())).inheritIO().start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + name);
    }

    @ParameterizedTest(name = "{0} SIG{1}")
    @CsvSource({"signals.wasm, TERM, 115", "signals.wasm, INT, 102", "signals-threads.wasm, TERM, 115",
            "signals-threads.wasm, INT, 102"})
    void aGuestWithAHandlerEndsByItselfWithItsOwnStatus(String guest, String sig, int status) throws Exception {
        Process p = start(guest, "term");
        try {
            BufferedReader out = p.inputReader(StandardCharsets.US_ASCII);
            assertEquals("ready", out.readLine());
            signal(p, sig);
            assertEquals("got signal " + (status - 100), out.readLine());
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "exits within 10 s of SIG" + sig);
            assertEquals(status, p.exitValue());
        } finally {
            p.destroyForcibly();
        }
    }

    /** A guest that ignores SIGTERM would run until the grace period is over; a second SIGTERM stops it now. */
    @ParameterizedTest
    @ValueSource(strings = {"signals.wasm", "signals-threads.wasm"})
    void aSecondSignalStopsAGuestThatIgnoresTheFirst(String guest) throws Exception {
        Process p = start(guest, "ignore");
        try {
            BufferedReader out = p.inputReader(StandardCharsets.US_ASCII);
            assertEquals("ready", out.readLine());
            signal(p, "TERM");
            assertTrue(!p.waitFor(500, TimeUnit.MILLISECONDS), "the guest ignored the first SIGTERM");
            signal(p, "TERM");
            assertTrue(p.waitFor(4, TimeUnit.SECONDS), "the second SIGTERM stops it before the 5 s grace is over");
            assertEquals(0, p.exitValue());
        } finally {
            p.destroyForcibly();
        }
    }
}

package io.wasix.appliance.supervise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Restarts back off, and one failure too many in the window is a crash loop; the words the messages use. */
class CrashLoopTest {
    private static final long S = 1_000_000_000L;

    @Test
    void restartsBackOffUntilTheLimitThenACrashLoop() {
        CrashLoop loop = new CrashLoop(RestartPolicy.DEFAULT); // 5 in 30 s
        long[] delays = {100, 200, 400, 800, 1600};
        for (int i = 0; i < 5; i++) {
            CrashLoop.Decision d = loop.failed(i * S);
            assertFalse(d.crashLoop());
            assertEquals(i + 1, d.restart());
            assertEquals(Duration.ofMillis(delays[i]), d.delay());
        }
        assertEquals("restarting in 200 ms (restart 2 of 5 in 30 s)",
                loop.describe(new CrashLoop.Decision(2, 2, Duration.ofMillis(200), false)));
        CrashLoop.Decision sixth = loop.failed(5 * S);
        assertTrue(sixth.crashLoop());
        assertEquals("crash loop: 6 failures in 30 s (--restart-limit 5/30s)", loop.describe(sixth));
    }

    @Test
    void failuresOlderThanTheWindowNoLongerCount() {
        CrashLoop loop = new CrashLoop(new RestartPolicy(true, 2, Duration.ofSeconds(10)));
        assertEquals(1, loop.failed(0).restart());
        assertEquals(2, loop.failed(5 * S).restart());
        assertTrue(loop.failed(9 * S).crashLoop());
        CrashLoop later = new CrashLoop(new RestartPolicy(true, 2, Duration.ofSeconds(10)));
        later.failed(0);
        later.failed(5 * S);
        CrashLoop.Decision d = later.failed(12 * S); // the first has left the window
        assertFalse(d.crashLoop());
        assertEquals(2, d.restart());
    }

    @Test
    void theBackoffIsBounded() {
        assertEquals(Duration.ofSeconds(5), RestartPolicy.backoff(7));
        assertEquals(Duration.ofSeconds(5), RestartPolicy.backoff(1000));
        assertThrows(IllegalArgumentException.class, () -> new RestartPolicy(true, 0, Duration.ofSeconds(1)));
    }

    @Test
    void durationsAsFlagsWriteThemAndMessagesShowThem() {
        assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
        assertEquals(Duration.ofSeconds(5), Durations.parse("5s"));
        assertEquals(Duration.ofSeconds(5), Durations.parse("5"));
        assertEquals(Duration.ofMinutes(2), Durations.parse("2m"));
        assertNull(Durations.parse("soon"));
        assertNull(Durations.parse("-1s"));
        assertEquals("5 s", Durations.text(Duration.ofSeconds(5)));
        assertEquals("250 ms", Durations.text(Duration.ofMillis(250)));
    }
}

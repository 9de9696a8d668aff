package io.wasix.host.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The ring's submissions are written before each run of the loop ({@link GuestLoop#submitter}); when they
 * would overfill the submission queue, the loop submits part way, which also takes the completions already
 * there. Those may be exactly what a wait is waiting for, so the wait must check its condition before it
 * blocks. (It did not: with 200 keep-alive connections, a burst of receives re-armed at once overflowed one
 * flush, and the receives completed in that part-way run were never seen until other IO came.)
 */
class GuestLoopSubmitTest {

    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    void aWaitSeesWhatTheLoopTookWhileSubmittingAFullQueue(Transport t) throws Exception {
        try {
            TransportChoice.choose(t);
        } catch (Throwable e) {
            Assumptions.abort("transport " + t.label() + " unavailable: " + e.getMessage());
        }
        CompletableFuture<GuestLoop> made = new CompletableFuture<>();
        CompletableFuture<Integer> flushesWhenReady = new CompletableFuture<>();
        Thread guest = new Thread(() -> {
            GuestLoop loop = new GuestLoop(t);
            try {
                int[] flushes = {0};
                boolean[] ready = {false};
                // The first flush stops short, as a full queue makes it; the loop then runs once without
                // waiting, and takes the task below: the condition is true before the loop would block.
                loop.submitter(() -> ++flushes[0] == 1);
                loop.later(() -> ready[0] = true);
                made.complete(loop);
                assertTrue(loop.await(() -> ready[0], GuestLoop.NO_DEADLINE));
                flushesWhenReady.complete(flushes[0]);
            } catch (Throwable e) {
                flushesWhenReady.completeExceptionally(e);
            } finally {
                loop.shutdown(1_000_000_000L);
            }
        }, "guest-" + t.label());
        guest.setDaemon(true);
        guest.start();
        GuestLoop loop = made.get(5, TimeUnit.SECONDS);
        try {
            // Bounds a hang: the wait has nothing else coming, so only a missed condition can keep it.
            assertEquals(2, flushesWhenReady.get(5, TimeUnit.SECONDS), "one flush stopped short, one finished");
        } catch (TimeoutException e) {
            loop.stop(); // lets the stuck guest thread go
            throw new AssertionError("the wait blocked although its condition already held, on " + t.label(), e);
        }
    }
}

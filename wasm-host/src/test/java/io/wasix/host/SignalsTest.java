package io.wasix.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.ThreadedGuest.Mode;
import io.wasix.host.net.Transport;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Signals, on one thread in direct mode (signals.wasm) and in a module that runs threaded
 * (signals-threads.wasm, the same scenarios and more): callback_signal, proc_raise in each namespace,
 * thread_signal, wasmer's default actions, proc_raise_interval's timers waking every kind of wait (sockets on
 * every transport), a signal to a thread blocked in futex_wait or sock_recv, thread_join going on after a
 * handler, and the appliance's stop signal to a guest with a handler, one that ignores it, one without.
 */
@Timeout(60)
class SignalsTest {
    static final String DIRECT = "signals.wasm", THREADED = "signals-threads.wasm";
    private static final Transport NO_SOCKETS = Transport.NIO;

    static List<Arguments> bothGuests() {
        return List.of(Arguments.of(DIRECT), Arguments.of(THREADED));
    }

    @ParameterizedTest
    @ValueSource(strings = {DIRECT, THREADED})
    void raisedSignalsRunTheHandlerBeforeTheCallReturns(String guest) throws Exception {
        var r = ThreadedGuest.run(guest, Mode.COMPILED, NO_SOCKETS, "raise");
        assertEquals(List.of(
                "chld before a handler 0",
                "alrm before a handler 0",
                "alrm with a bad handler name 0",
                "handled so far 0",
                "proc_raise 0",
                "handled before it returned 1",
                "preview 1 proc_raise 16 is 16",
                "preview 0 proc_raise 16 is 17",
                "thread_signal to itself 0",
                "handled before it returned 1",
                "on thread 1",
                "thread_signal to wasix-libc's main tid 0",
                "handled before it returned 2",
                "unknown signal 28",
                "unknown thread 71",
                "signal 0 to itself 0",
                "raised inside the handler, handled 3",
                "deepest nesting 1"), r.lines(), r.stderr());
        assertEquals(0, r.exitCode());
    }

    /** Before a handler is named: wasmer's default actions (exit 27, 0 or 64), or nothing at all. */
    @ParameterizedTest(name = "signal {0}")
    @CsvSource({"2, 27", "3, 0", "6, 0", "9, 27", "13, 64"})
    void defaultActionsEndTheGuest(int sig, int status) throws Exception {
        for (String guest : List.of(DIRECT, THREADED)) {
            var r = ThreadedGuest.run(guest, Mode.COMPILED, NO_SOCKETS, "default", String.valueOf(sig));
            assertEquals(status, r.exitCode(), guest);
            assertEquals(List.of(), r.lines(), guest);
        }
    }

    @ParameterizedTest(name = "signal {0}")
    @ValueSource(ints = {1, 10, 14, 15, 17, 28})
    void otherSignalsAreDroppedWithoutAHandler(int sig) throws Exception {
        var r = ThreadedGuest.run(DIRECT, Mode.COMPILED, NO_SOCKETS, "default", String.valueOf(sig));
        assertEquals(List.of("raise 0", "still here"), r.lines());
        assertEquals(5, r.exitCode());
    }

    static List<Arguments> waits() {
        List<Arguments> all = new ArrayList<>();
        for (String guest : List.of(DIRECT, THREADED)) {
            for (String wait : List.of("poll", "sleep", "pipe", "futex")) {
                all.add(Arguments.of(guest, wait, NO_SOCKETS));
            }
            for (Transport t : Transport.values()) {
                all.add(Arguments.of(guest, "accept", t));
                all.add(Arguments.of(guest, "epoll", t));
            }
        }
        return all;
    }

    /**
     * A repeating timer's SIGALRM ends each wait that nothing else could end, with EINTR, once the handler
     * has run on the waiting (main) thread; once cancelled it sends no more.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("waits")
    void timerSignalsEndBlockedWaits(String guest, String wait, Transport t) throws Exception {
        var r = ThreadedGuest.run(guest, Mode.COMPILED, t, "alarm", wait, "3", "40");
        assertEquals(List.of("enough alarms 1", "every wait ended in EINTR after the handler 1",
                "after the cancel 0", "on thread 1"), r.lines(), r.stderr());
        assertEquals(0, r.exitCode());
    }

    @ParameterizedTest
    @ValueSource(strings = {DIRECT, THREADED})
    void aTimerThatDoesNotRepeatFiresOnce(String guest) throws Exception {
        var r = ThreadedGuest.run(guest, Mode.COMPILED, NO_SOCKETS, "once", "30");
        assertEquals(List.of("first sleep 27", "second sleep 0", "alarms 1"), r.lines(), r.stderr());
        assertEquals(0, r.exitCode());
    }

    /** thread_signal to a worker waiting in futex_wait: the handler runs on it, and the wait returns woken. */
    @ParameterizedTest
    @ValueSource(strings = {"COMPILED", "INTERPRETED"})
    void aSignalReachesAThreadInFutexWait(Mode mode) throws Exception {
        var r = ThreadedGuest.run(THREADED, mode, NO_SOCKETS, "futex");
        assertEquals(List.of("futex_wait woken 1", "its handler ran on thread 2", "worker 2"), r.lines(), r.stderr());
        assertEquals(0, r.exitCode());
    }

    /** thread_signal to a worker waiting in sock_recv: the handler runs on it, and sock_recv answers EINTR. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"IO_URING", "EPOLL", "NIO"})
    void aSignalReachesAThreadInSockRecv(Transport t) throws Exception {
        var r = ThreadedGuest.run(THREADED, Mode.COMPILED, t, "recv");
        assertEquals(List.of("sock_recv 27", "its handler ran on thread 2", "worker 2"), r.lines(), r.stderr());
        assertEquals(0, r.exitCode());
    }

    /** thread_join takes the signals sent to the joining thread and goes on waiting: it answers 0, not EINTR. */
    @org.junit.jupiter.api.Test
    void threadJoinGoesOnAfterAHandler() throws Exception {
        var r = ThreadedGuest.run(THREADED, Mode.COMPILED, NO_SOCKETS, "join");
        assertEquals(List.of("thread_join 0", "alarms at least 3 1", "on thread 1"), r.lines(), r.stderr());
        assertEquals(0, r.exitCode());
    }

    static List<Arguments> guestsTransportsAndSignals() {
        List<Arguments> all = new ArrayList<>();
        for (String guest : List.of(DIRECT, THREADED)) {
            for (Transport t : Transport.values()) {
                all.add(Arguments.of(guest, t, StopSignal.TERM));
            }
            all.add(Arguments.of(guest, Transport.EPOLL, StopSignal.INT));
        }
        return all;
    }

    /**
     * The appliance's stop signal reaches a guest that named a handler, waiting in accept: its handler runs,
     * and the guest ends by itself, with its own status. Waiting, with a repeating timer armed an hour out,
     * it uses no CPU.
     */
    @ParameterizedTest(name = "{0} {1} SIG{2}")
    @MethodSource("guestsTransportsAndSignals")
    void aGuestWithAHandlerGetsTheStopSignalAndEndsByItself(String guest, Transport t, StopSignal sig)
            throws Exception {
        try (ThreadedGuest g = ThreadedGuest.start(guest, t, c -> c, "idle")) {
            g.stdout.awaitLine("ready", 10_000);
            Thread.sleep(200); // in sock_accept by now
            long cpu0 = ThreadedGuest.cpuNanos();
            long wall0 = System.nanoTime();
            Thread.sleep(1_000);
            long cpu = ThreadedGuest.cpuNanos() - cpu0;
            long wall = System.nanoTime() - wall0;
            assertTrue(cpu < wall / 20, String.format("the waiting guest used %.1f ms of CPU in %.0f ms",
                    cpu / 1e6, wall / 1e6));
            assertTrue(g.host.terminate(sig, 10_000_000_000L), "the guest named a handler");
            var end = assertInstanceOf(GuestExitException.class, g.awaitEnd());
            assertEquals(100 + sig.number(), end.code());
            assertEquals(List.of("ready", "got signal " + sig.number()), g.stdout.text().lines().toList());
        }
    }

    /** A guest whose handler ignores the stop signal is stopped when the grace period is over. */
    @ParameterizedTest
    @ValueSource(strings = {DIRECT, THREADED})
    void aGuestThatIgnoresTheStopSignalIsStoppedAfterTheGrace(String guest) throws Exception {
        try (ThreadedGuest g = ThreadedGuest.start(guest, Transport.EPOLL, c -> c, "ignore")) {
            g.stdout.awaitLine("ready", 10_000);
            assertTrue(g.host.terminate(StopSignal.TERM, 300_000_000L));
            assertInstanceOf(GuestStoppedException.class, g.awaitEnd());
        }
    }

    /** A guest without a handler gets no signal: it is stopped gracefully, as before signals existed. */
    @ParameterizedTest
    @ValueSource(strings = {DIRECT, THREADED})
    void aGuestWithoutAHandlerIsStoppedGracefully(String guest) throws Exception {
        try (ThreadedGuest g = ThreadedGuest.start(guest, Transport.EPOLL, c -> c, "plain")) {
            g.stdout.awaitLine("ready", 10_000);
            assertFalse(g.host.terminate(StopSignal.TERM, 10_000_000_000L));
            assertInstanceOf(GuestStoppedException.class, g.awaitEnd());
        }
    }
}

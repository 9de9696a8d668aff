package io.wasix.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.TrapException;
import io.wasix.host.ThreadedGuest.Mode;
import io.wasix.host.net.Transport;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Threaded guests (threads.c, and the same scenarios spawned through the 2023 ABI, threads-2023.c, and through
 * wasi.thread-spawn, as wasix-libc's pthread_create spawns, threads-wasi.c): futexes,
 * a mutex and a condition variable on them, thread-locals, the ends of a guest from any thread, and the
 * atomics of the shared memory, on the compiler and the interpreter. The sockets' scenarios are in
 * {@link ThreadedSocketsTest}.
 */
class ThreadsTest {
    private static final Transport T = Transport.NIO; // these scenarios use no socket

    static List<Arguments> guestsAndModes() {
        return List.of(
                Arguments.of("threads.wasm", Mode.COMPILED),
                Arguments.of("threads.wasm", Mode.INTERPRETED),
                Arguments.of("threads-2023.wasm", Mode.COMPILED),
                Arguments.of("threads-2023.wasm", Mode.INTERPRETED),
                Arguments.of("threads-wasi.wasm", Mode.COMPILED),
                Arguments.of("threads-wasi.wasm", Mode.INTERPRETED));
    }

    /** Four threads add to a plain counter under a futex mutex: no increment is lost. */
    @ParameterizedTest
    @MethodSource("guestsAndModes")
    void threadsIncrementingUnderAFutexMutexLoseNothing(String guest, Mode mode) throws Exception {
        int iterations = mode == Mode.COMPILED ? 20_000 : 2_000;
        var r = ThreadedGuest.run(guest, mode, T, "mutex", "4", String.valueOf(iterations));
        assertEquals(List.of("count " + 4 * iterations), r.lines(), r.stderr());
        assertEquals(0, r.exitCode());
    }

    @ParameterizedTest
    @MethodSource("guestsAndModes")
    void aConditionVariablePingPongs(String guest, Mode mode) throws Exception {
        var r = ThreadedGuest.run(guest, mode, T, "condvar", "300");
        assertEquals(List.of("rounds 300"), r.lines(), r.stderr());
        assertEquals(0, r.exitCode());
    }

    /**
     * thread_local_* with the destructor export: each worker's values are destroyed when it returns, in the
     * order it set them, with the key's user data; thread_local_destroy destroys the rest on the calling
     * thread; a key reads 0 before it is set and after it is destroyed. Thread ids: main 1, then 2, 3, 4.
     */
    @ParameterizedTest
    @ValueSource(strings = {"threads.wasm", "threads-2023.wasm", "threads-wasi.wasm"})
    void threadLocalsAreDestroyedAtThreadEndAndOnDestroy(String guest) throws Exception {
        var r = ThreadedGuest.run(guest, Mode.COMPILED, T, "locals");
        String userA = "43981:1", userB = "43981:2"; // 0x0000ABCD_00000001 as hi:lo
        assertEquals(List.of(
                "keys 12",
                "destroy " + userA + " 100", "destroy " + userB + " 200", // worker 0: key a, then key b
                "destroy " + userA + " 101",
                "destroy " + userA + " 102",
                "worker id 2", "before set 0", "after set 100",
                "worker id 3", "before set 0", "after set 101",
                "worker id 4", "before set 0", "after set 102",
                "main id 1",
                "destroy " + userA + " 7", // thread_local_destroy: the main thread's value of key a
                "destroy errno 0",
                "after destroy 0"), r.lines(), r.stderr());
        assertEquals(0, r.exitCode());
    }

    /** proc_exit in a worker ends the guest with its code, though the main thread waits on a futex for ever. */
    @ParameterizedTest
    @MethodSource("guestsAndModes")
    void procExitFromAWorkerEndsTheGuest(String guest, Mode mode) throws Exception {
        var r = ThreadedGuest.run(guest, mode, T, "exit", "42");
        assertEquals(42, r.exitCode());
        assertEquals(List.of("main waits", "worker exits"), r.lines());
        assertEquals(List.of(), ThreadedGuest.threadNames(), "every thread of the guest has ended");
    }

    /** A trap in a worker ends the guest with that trap, naming the thread, while the main thread waits. */
    @ParameterizedTest
    @MethodSource("guestsAndModes")
    void aTrapInAWorkerEndsTheGuestNamingTheThread(String guest, Mode mode) throws Exception {
        var r = ThreadedGuest.run(guest, mode, T, "trap");
        var trap = assertInstanceOf(GuestTrapException.class, r.ended());
        assertEquals(2, trap.thread());
        assertInstanceOf(TrapException.class, trap.trap());
        assertTrue(trap.trap().getMessage().contains("unreachable"), trap.trap().getMessage());
        assertEquals(List.of("main waits", "worker traps"), r.lines());
        assertEquals(List.of(), ThreadedGuest.threadNames(), "every thread of the guest has ended");
    }

    /** thread_exit in the main thread ends that thread only; the guest ends when its last thread does. */
    @ParameterizedTest
    @MethodSource("guestsAndModes")
    void theGuestGoesOnAfterTheMainThreadExitsItsThread(String guest, Mode mode) throws Exception {
        var r = ThreadedGuest.run(guest, mode, T, "exit-thread");
        assertNull(r.ended(), () -> "ended with " + r.ended());
        assertEquals(List.of("main exits its thread", "worker still runs"), r.lines());
    }

    /** A futex_wait nobody wakes times out, after (not before) its timeout, and says it was not woken. */
    @ParameterizedTest
    @MethodSource("guestsAndModes")
    void aFutexWaitTimesOut(String guest, Mode mode) throws Exception {
        var r = ThreadedGuest.run(guest, mode, T, "futex-timeout", "60");
        assertEquals("woken 0", r.lines().get(0), r.stdout());
        assertEquals(0, r.exitCode(), r.stdout()); // the guest checked it took at least 60 ms
    }

    /**
     * wasm's memory.atomic.wait32 is woken by a futex_wake in another thread, and futex_wait by wasm's
     * memory.atomic.notify: they share the memory's wait queues. Each wait is on a value nobody changes, so
     * only a wake can end it; each wake that found a waiter is counted, exactly one of each.
     */
    @ParameterizedTest
    @MethodSource("guestsAndModes")
    void atomicWaitAndFutexWakeEachOther(String guest, Mode mode) throws Exception {
        var r = ThreadedGuest.run(guest, mode, T, "atomic-wait");
        assertEquals(List.of("atomic.wait = 0", "futex_wake hits 1", "futex_wait woken = 1", "notify woke 1"),
                r.lines(), r.stderr());
        assertEquals(0, r.exitCode());
    }

    /**
     * Two threads blocked for ever (one on a futex, one joining it) use no CPU, and a stop reaches both: the
     * guest ends stopped and every one of its threads is gone.
     */
    @ParameterizedTest
    @MethodSource("guestsAndModes")
    void blockedThreadsDoNotSpinAndAStopReachesThem(String guest, Mode mode) throws Exception {
        try (ThreadedGuest g = ThreadedGuest.start(guest, mode, T, "block")) {
            g.stdout.awaitLine("blocked", 10_000);
            Thread.sleep(300); // both are in their waits by now
            long cpu0 = ThreadedGuest.cpuNanos();
            long wall0 = System.nanoTime();
            Thread.sleep(1_000);
            long cpu = ThreadedGuest.cpuNanos() - cpu0;
            long wall = System.nanoTime() - wall0;
            assertTrue(cpu < wall / 20, String.format("the blocked guest used %.1f ms of CPU in %.0f ms",
                    cpu / 1e6, wall / 1e6));
            assertTrue(ThreadedGuest.threadNames().size() >= 3, "main, worker and I/O threads: " + ThreadedGuest.threadNames());
            // A watchdog sees every guest thread, each beating its own heartbeat.
            var beats = g.host.heartbeats();
            assertEquals(2, beats.size(), "main and worker");
            assertNotSame(beats.get(0).thread(), beats.get(1).thread());
            g.host.stop();
            assertInstanceOf(GuestStoppedException.class, g.awaitEnd());
        }
        Thread.sleep(100);
        assertEquals(List.of(), ThreadedGuest.threadNames(), "every thread of the guest has ended");
    }

    /**
     * What a watchdog reads of a guest whose worker spins in guest code while the main thread waits in
     * thread_join: the worker's heartbeat stays even and unchanged (guest code all along), the main thread's
     * odd (in the host). A stop reaches the spinning worker too (interrupted), and every thread ends.
     */
    @ParameterizedTest
    @MethodSource("guestsAndModes")
    void aSpinningWorkerShowsInItsOwnHeartbeatAndAStopEndsIt(String guest, Mode mode) throws Exception {
        try (ThreadedGuest g = ThreadedGuest.start(guest, mode, T, "spin")) {
            g.stdout.awaitLine("spinning", 10_000);
            Thread.sleep(300); // the main thread is in thread_join by now
            var beats = g.host.heartbeats();
            assertEquals(2, beats.size(), "main and worker");
            Heartbeat main = beats.get(0);
            Heartbeat worker = beats.get(1);
            long mainBefore = main.read();
            long workerBefore = worker.read();
            Thread.sleep(200);
            assertFalse(Heartbeat.inGuest(mainBefore), "main waits in thread_join");
            assertEquals(mainBefore, main.read());
            assertTrue(Heartbeat.inGuest(workerBefore), "the worker runs guest code");
            assertEquals(workerBefore, worker.read(), "and calls nothing");
            g.host.stop();
            assertInstanceOf(GuestStoppedException.class, g.awaitEnd());
        }
        Thread.sleep(100);
        assertEquals(List.of(), ThreadedGuest.threadNames(), "every thread of the guest has ended");
    }

    /**
     * A thread blocked reading an empty pipe wakes for another thread's write to it; one blocked in
     * poll_oneoff on an event fd, for another's fd_event write. Nothing but the writes can end either wait.
     */
    @ParameterizedTest
    @MethodSource("guestsAndModes")
    void pipeAndEventWritesWakeAnotherThread(String guest, Mode mode) throws Exception {
        var r = ThreadedGuest.run(guest, mode, T, "pipe-event");
        assertEquals(List.of("pipe read 5", "event woke poll_oneoff, value 7"), r.lines(), r.stderr());
        assertEquals(0, r.exitCode());
    }

    /**
     * Past 128 threads (the main one included) thread_spawn answers EACCES, as wasmer does (wasi.thread-spawn
     * answers it negated, -2, which the guest turns back into its errno).
     */
    @ParameterizedTest
    @ValueSource(strings = {"threads.wasm", "threads-2023.wasm", "threads-wasi.wasm"})
    void theThreadCountIsBounded(String guest) throws Exception {
        var r = ThreadedGuest.run(guest, Mode.COMPILED, T, "limit");
        assertEquals(List.of("spawned 127", "errno 2"), r.lines(), r.stderr());
        assertEquals(0, r.exitCode());
        Thread.sleep(100);
        assertEquals(List.of(), ThreadedGuest.threadNames(), "proc_exit stopped the 127 blocked threads");
    }
}

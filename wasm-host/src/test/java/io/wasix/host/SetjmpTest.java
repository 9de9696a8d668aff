package io.wasix.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.ThreadedGuest.Mode;
import io.wasix.host.net.Transport;
import io.wasix.host.thread.SetjmpTrap;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * setjmp/longjmp on stack_checkpoint/stack_restore (setjmp.c, asyncified by binaryen as wasix-libc's
 * toolchain does), on the compiler and the interpreter: the first return, longjmp's value and longjmp(0)'s
 * 1, a longjmp from deep down, nested jmp_bufs, many round trips, a jmp_buf nobody filled, and a signal
 * handler that leaves by longjmp.
 */
class SetjmpTest {
    private static final Transport T = Transport.NIO; // no socket here

    @ParameterizedTest
    @EnumSource(Mode.class)
    void setjmpReturnsZeroThenLongjmpsValue(Mode mode) throws Exception {
        var r = ThreadedGuest.run("setjmp.wasm", mode, T, "basic");
        assertEquals(List.of("setjmp 0", "setjmp 7", "setjmp 1", "setjmp 0"), r.lines(), r.stderr());
        assertEquals(0, r.exitCode());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void longjmpFromDeepDownKeepsWhatMemoryHolds(Mode mode) throws Exception {
        var r = ThreadedGuest.run("setjmp.wasm", mode, T, "deep");
        assertEquals(List.of("from 200 down 5", "volatile 2"), r.lines(), r.stderr());
        assertEquals(0, r.exitCode());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void nestedJmpBufsEachComeBack(Mode mode) throws Exception {
        var r = ThreadedGuest.run("setjmp.wasm", mode, T, "nested");
        assertEquals(List.of("outer 0", "inner 0", "inner 2", "outer 3"), r.lines(), r.stderr());
        assertEquals(0, r.exitCode());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void manyRoundTripsIntoOneJmpBuf(Mode mode) throws Exception {
        int n = mode == Mode.COMPILED ? 5_000 : 500;
        var r = ThreadedGuest.run("setjmp.wasm", mode, T, "loop", String.valueOf(n));
        assertEquals(List.of("round trips " + n), r.lines(), r.stderr());
        assertEquals(0, r.exitCode());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aJmpBufNoSetjmpFilledTraps(Mode mode) throws Exception {
        var r = ThreadedGuest.run("setjmp.wasm", mode, T, "bogus");
        var trap = assertInstanceOf(SetjmpTrap.class, r.ended());
        assertTrue(trap.getMessage().startsWith("stack_restore (longjmp): the jmp_buf at "), trap.getMessage());
        assertTrue(trap.getMessage().endsWith("names no checkpoint of thread 1 (no setjmp filled it, or its function has returned)"),
                trap.getMessage());
    }

    /** A signal handler, called in the middle of a blocked thread_sleep, longjmps out to the main code. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aSignalHandlerLeavesByLongjmp(Mode mode) throws Exception {
        var r = ThreadedGuest.run("setjmp.wasm", mode, T, "signal");
        assertEquals(List.of("left the handler by longjmp 9", "signal 14"), r.lines(), r.stderr());
        assertEquals(0, r.exitCode());
    }

    /**
     * In a threaded module: a worker's setjmp/longjmp use its own stack (as its spawn described it), then the
     * main thread's, each its own checkpoints.
     */
    @ParameterizedTest(name = "{0} {1}")
    @org.junit.jupiter.params.provider.CsvSource({"COMPILED, basic", "COMPILED, deep", "COMPILED, nested",
            "INTERPRETED, basic", "INTERPRETED, nested"})
    void workerAndMainThreadsEachSetjmpOnTheirOwnStacks(Mode mode, String scenario) throws Exception {
        var r = ThreadedGuest.run("setjmp-threads.wasm", mode, T, scenario);
        List<String> once = switch (scenario) {
            case "basic" -> List.of("setjmp 0", "setjmp 7", "setjmp 1", "setjmp 0");
            case "deep" -> List.of("from 200 down 5", "volatile 2");
            default -> List.of("outer 0", "inner 0", "inner 2", "outer 3");
        };
        List<String> both = new java.util.ArrayList<>(once);
        both.add("worker 0");
        both.addAll(once);
        assertEquals(both, r.lines(), r.stderr());
        assertEquals(0, r.exitCode());
    }
}

package io.wasix.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import io.wasix.host.ThreadedGuest.Mode;
import io.wasix.host.abi.SharedMemory;
import io.wasix.host.net.Transport;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Modules shaped as other toolchains link them: an imported memory (env.memory), shared or not, created by
 * the host from the module's declared limits; a start section; _react/_malloc/_free beside _start; and
 * wasix-libc's shared memory with futexes and thread-locals in a module that spawns no thread, which runs in
 * direct mode.
 */
class ModuleShapesTest {
    private static final Transport T = Transport.NIO;

    @Test
    void anImportedMemoryIsAcceptedAndOtherNonFunctionImportsAreNot() {
        assertEquals(List.of(), WasixHost.missingImports(ShimGuest.module("module-shapes.wasm")));
        assertEquals(List.of(), WasixHost.missingImports(ShimGuest.module("direct-shared.wasm")));
        assertEquals(List.of(), WasixHost.missingImports(ShimGuest.module("threads.wasm")));
        assertEquals(List.of(), WasixHost.missingImports(ShimGuest.module("threads-2023.wasm")));
        assertEquals(List.of(), WasixHost.missingImports(ShimGuest.module("threads-wasi.wasm")));
        assertFalse(WasixHost.spawnsThreads(ShimGuest.module("direct-shared.wasm")));
        assertTrue(WasixHost.spawnsThreads(ShimGuest.module("threads.wasm")));
        assertTrue(WasixHost.spawnsThreads(ShimGuest.module("threads-2023.wasm")));
        assertTrue(WasixHost.spawnsThreads(ShimGuest.module("threads-wasi.wasm")));
    }

    /** The memory is made from the import's limits: initial and maximum pages, shared or not. */
    @Test
    void theImportedMemoryHasTheModulesLimits() throws Exception {
        MemoryLimits shared = WasixHost.importedMemoryLimits(ShimGuest.module("direct-shared.wasm"));
        assertEquals(new MemoryLimits(2, 16, true), shared);
        var m = assertInstanceOf(SharedMemory.class, WasixHost.newMemory(shared));
        assertEquals(2, m.pages());
        assertEquals(16, m.maximumPages());
        assertTrue(m.shared());
        MemoryLimits plain = WasixHost.importedMemoryLimits(ShimGuest.module("module-shapes.wasm"));
        assertEquals(new MemoryLimits(1, 4, false), plain);
        assertInstanceOf(ByteArrayMemory.class, WasixHost.newMemory(plain));
    }

    /**
     * --max-memory covers the memory the host makes for an import, shared or not: its maximum is lowered, and a
     * grow past it answers -1, counted.
     */
    @Test
    void theImportedMemoryIsBoundedByTheMemoryLimit() {
        var module = ShimGuest.module("direct-shared.wasm"); // env.memory shared, 2 to 16 pages
        var metrics = io.wasix.host.metrics.SyscallMetrics.off();
        HostConfig limited = HostConfig.of(T).withLimits(new HostConfig.Limits(3, 0));
        try (WasixHost host = new WasixHost(limited, metrics, HostEvents.NONE, module)) {
            InstanceFactory factory = imports -> Instance.builder(module).withImportValues(imports)
                    .withMemoryFactory(host::memory).withStart(false).build();
            var m = assertInstanceOf(SharedMemory.class, host.instantiate(factory).memory());
            assertEquals(3, m.maximumPages());
            assertEquals(2, m.grow(1));
            assertEquals(-1, m.grow(1));
            assertEquals(1, metrics.limits().growRefusedByLimitCount());
        }
        var tooSmall = HostConfig.of(T).withLimits(new HostConfig.Limits(1, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new WasixHost(tooSmall, metrics, HostEvents.NONE, module).close());
    }

    /** A plain imported memory, a start section that ran once, and the extra exports: it loads and runs. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aModuleWithAnImportedMemoryAndAStartSectionRuns(Mode mode) throws Exception {
        var r = ThreadedGuest.run("module-shapes.wasm", mode, T);
        assertEquals(1, r.exitCode(), "the start section ran once before _start");
    }

    /** Each instance over the same memory runs the start section again (wasix-libc's __wasm_init_memory guards itself). */
    @Test
    void everyInstanceRunsTheStartSection() {
        try (WasixHost host = new WasixHost(HostConfig.of(T), io.wasix.host.metrics.SyscallMetrics.off(),
                HostEvents.NONE, ShimGuest.module("module-shapes.wasm"))) {
            var module = ShimGuest.module("module-shapes.wasm");
            InstanceFactory factory = imports -> Instance.builder(module).withImportValues(imports)
                    .withMemoryFactory(WasixHost::newMemory).withStart(false).build();
            Instance first = host.instantiate(factory);
            Instance second = factory.build(host.imports());
            assertEquals(2, first.memory().readInt(64));
            assertTrue(first.memory() == second.memory(), "one memory for both");
        }
    }

    /**
     * wasix-libc's shape without threads: a shared memory, futexes and thread-locals on the one thread of a
     * direct-mode guest. A wait with a timeout times out; one on a changed value returns at once; a wake finds
     * nobody; the thread is 1, and joining it would deadlock.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void sharedMemoryFutexesAndThreadLocalsWorkOnOneThread(Mode mode) throws Exception {
        try (ThreadedGuest g = ThreadedGuest.start("direct-shared.wasm", mode, T, "calls")) {
            assertFalse(g.host.threaded(), "no thread_spawn import: direct mode");
            Throwable ended = g.awaitEnd();
            assertEquals(0, new ThreadedGuest.Result(ended, g.stdout.text(), "").exitCode());
            assertEquals(List.of("timeout woken 0", "took at least 30 ms 1", "changed woken 1", "wake woken 0",
                    "thread id 1", "join self 16", "join unknown 0", "local 1234"), g.stdout.text().lines().toList());
        }
    }

    /** The futex calls on a memory that is not shared, where Chicory's own memory has no atomics at all. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void futexesWorkOnAMemoryThatIsNotShared(Mode mode) throws Exception {
        var r = ThreadedGuest.run("futex-plain.wasm", mode, T);
        assertEquals(2, r.exitCode(), "no errno; a wait times out (woken 0), one on a changed value is woken, a wake finds nobody");
    }

    /** A futex_wait nobody can wake blocks, as on Linux, without spinning, until the guest is stopped. */
    @Test
    void aDirectFutexWaitWithoutTimeoutBlocksQuietlyUntilStopped() throws Exception {
        try (ThreadedGuest g = ThreadedGuest.start("direct-shared.wasm", Mode.COMPILED, T, "block")) {
            g.stdout.awaitLine("blocked", 10_000);
            Thread.sleep(200);
            long cpu0 = ThreadedGuest.cpuNanos();
            long wall0 = System.nanoTime();
            Thread.sleep(1_000);
            long cpu = ThreadedGuest.cpuNanos() - cpu0;
            long wall = System.nanoTime() - wall0;
            assertTrue(cpu < wall / 20, String.format("the blocked guest used %.1f ms of CPU in %.0f ms", cpu / 1e6, wall / 1e6));
            assertFalse(g.hasEnded());
            g.host.stop();
            assertInstanceOf(GuestStoppedException.class, g.awaitEnd());
        }
    }
}

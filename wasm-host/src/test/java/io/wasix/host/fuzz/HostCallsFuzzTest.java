package io.wasix.host.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ValType;
import io.wasix.host.GuestExitException;
import io.wasix.host.GuestStoppedException;
import io.wasix.host.HostConfig;
import io.wasix.host.WasixHost;
import io.wasix.host.abi.Errno;
import io.wasix.host.fs.MountSpec;
import io.wasix.host.net.Transport;
import io.wasix.host.syscalls.Syscalls;
import io.wasix.host.syscalls.UnsupportedCallTrap;
import io.wasix.host.syscalls.WasixCatalog;
import io.wasix.host.thread.SetjmpTrap;
import io.wasix.host.thread.ThreadExit;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every host function with fuzzed arguments over fuzzed memory (issue 10): each call must answer an errno
 * (or end the guest: proc_exit, or a stop), never throw anything else, and write nothing outside what
 * {@link WriteSpecs} says it owns; memory is compared byte for byte before and after each call.
 *
 * <p>One input is one fresh host (NIO, a tmpfs at /, stdin with a few bytes) with two pages of memory: the
 * input seeds the memory's bytes, may plant a few small structures (an iovec array, a path, an address), then
 * makes up to 8 calls, each to a host function it picks, with arguments biased towards the interesting
 * (small fds, offsets near the end of memory, -1, huge lengths). A call that blocks (an accept with no
 * client, a poll with a long timeout) is stopped after {@link #BLOCK_MILLIS}, as SIGTERM would: it must then
 * unwind with a stop, and the input ends there.
 *
 * <p>Regression inputs (every finding, kept) live in src/test/resources/io/wasix/host/fuzz/HostCallsFuzzTestInputs
 * and run in every `mvn test`; `mvn verify` also fuzzes for a few seconds (the "fuzz" execution in the pom), and
 * bench/fuzz/run.sh for longer. Test thread only: the host is created and called on it.
 */
class HostCallsFuzzTest {
    static final List<String> ARGS = List.of("guest", "--flag", "");
    static final List<String> ENV = List.of("A=1", "PATH=/bin");
    static final int ARGV_POINTERS = 4 * 3, ARGV_BYTES = "guest".length() + "--flag".length() + 3;
    static final int ENV_POINTERS = 4 * 2, ENV_BYTES = "A=1".length() + "PATH=/bin".length() + 2;
    private static final int PAGES = 2, SIZE = PAGES * 65536;
    private static final long BLOCK_MILLIS = 10;
    private static final int MAX_ERRNO = Errno.values().length - 1;

    /** (module (memory (export "memory") 2)), in bytes: the instance whose memory the calls see. */
    private static final WasmModule MEMORY_ONLY = Parser.parse(new byte[] {
        0, 'a', 's', 'm', 1, 0, 0, 0,
        5, 3, 1, 0, PAGES, // memory section: one memory, no maximum, 2 pages
        7, 10, 1, 6, 'm', 'e', 'm', 'o', 'r', 'y', 2, 0, // export section: "memory", memory 0
    });

    private static final ScheduledExecutorService STOPPER = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "fuzz-stopper");
        t.setDaemon(true);
        return t;
    });

    @FuzzTest(maxDuration = "5s")
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void everyCallAnswersAnErrnoAndWritesOnlyWhatItOwns(FuzzedDataProvider data) {
        HostConfig cfg = HostConfig.of(Transport.NIO).withArgs(ARGS).withEnv(ENV)
                .withMounts(List.of(MountSpec.memory("/")))
                .withStdio(new ByteArrayInputStream(new byte[] {'h', 'i', '\n'}), OutputStream.nullOutputStream(),
                        OutputStream.nullOutputStream());
        try (WasixHost host = new WasixHost(cfg)) {
            Instance instance = Instance.builder(MEMORY_ONLY).withMemoryFactory(WasixHost::newMemory).build();
            Memory memory = instance.memory();
            fill(memory, data);
            List<ImportFunction> calls = fuzzable(host);
            int n = data.consumeInt(1, 8);
            for (int i = 0; i < n && data.remainingBytes() > 0; i++) {
                ImportFunction f = calls.get(data.consumeInt(0, calls.size() - 1));
                long[] args = arguments(f, data);
                loopbackOnly(f, args, memory);
                if (!call(host, instance, memory, f, args)) {
                    return; // the guest ended (proc_exit) or was stopped
                }
            }
        }
    }

    /** Runs one call and checks it; false when the guest ended. */
    private static boolean call(WasixHost host, Instance instance, Memory memory, ImportFunction f, long[] args) {
        byte[] before = memory.readBytes(0, SIZE);
        var ranges = WriteSpecs.ranges(spec(f), args, before);
        ScheduledFuture<?> stop = STOPPER.schedule(host::stop, BLOCK_MILLIS, TimeUnit.MILLISECONDS);
        boolean alive = true;
        long[] result;
        try {
            result = f.handle().apply(instance, args);
        } catch (GuestExitException | GuestStoppedException | UnsupportedCallTrap | ThreadExit | SetjmpTrap e) {
            // proc_exit, a stop (a call that blocked), a stub that must not return (exec), thread_exit, which
            // ends the calling thread (here the only one), or a setjmp/longjmp that cannot work here
            // (stack_checkpoint outside a call the host made into a thread, stack_restore to a jmp_buf no
            // setjmp filled): wasix-libc traps on either
            result = null;
            alive = false;
        } finally {
            stop.cancel(false);
        }
        String call = f.module() + "." + f.name() + Arrays.toString(args);
        if (result != null) {
            if (f.returnTypes().isEmpty()) {
                if (!STUBS.contains(f.module() + "." + f.name()) && f.name().startsWith("proc_exit")) {
                    throw new AssertionError(call + " returned, but it is proc_exit");
                }
                result = new long[] {0}; // a callback registration's stub: nothing to answer
            }
            long errno = result[0];
            if (f.module().equals(WasixCatalog.WASI_THREADS)) {
                errno = errno < 0 ? -errno : 0; // wasi-threads answers a thread id, or the errno negated
            }
            if (errno < 0 || errno > MAX_ERRNO) {
                throw new AssertionError(call + " answered " + errno + ", not an errno");
            }
        }
        byte[] after = memory.readBytes(0, SIZE);
        for (int i = 0; i < SIZE; i++) {
            if (before[i] != after[i]) {
                int at = i;
                if (ranges.stream().noneMatch(r -> r.contains(at))) {
                    throw new AssertionError(call + " wrote offset " + at + ", outside what it owns: " + ranges);
                }
            }
        }
        return alive; // once stopped, the next call unwinds too and ends the input
    }

    /**
     * Tests bind 127.0.0.1 only, on a port the kernel picks: a sock_bind's address, when it is one, becomes
     * loopback port 0 before the call (before the snapshot, so it is not counted as the call's write).
     */
    private static void loopbackOnly(ImportFunction f, long[] args, Memory memory) {
        if (!f.name().equals("sock_bind")) {
            return;
        }
        long at = args[1];
        if (at + 20 > SIZE) {
            return; // EFAULT either way
        }
        byte family = memory.read((int) at);
        byte[] port0 = {0, 0};
        if (family == 1) {
            memory.write((int) at + 2, port0, 0, 2);
            memory.write((int) at + 4, new byte[] {127, 0, 0, 1}, 0, 4);
        } else if (family == 2) {
            byte[] v6 = new byte[16];
            v6[15] = 1;
            memory.write((int) at + 2, port0, 0, 2);
            memory.write((int) at + 4, v6, 0, 16);
        }
    }

    private static void fill(Memory memory, FuzzedDataProvider data) {
        byte[] bytes = new byte[SIZE];
        new SplittableRandom(data.consumeLong()).nextBytes(bytes);
        // Plant a few small structures where the arguments' biased pointers often land.
        int plants = data.consumeInt(0, 4);
        for (int i = 0; i < plants; i++) {
            int at = pointer(data);
            if (at < 0 || at >= SIZE) {
                continue;
            }
            byte[] what = switch (data.consumeInt(0, 3)) {
                case 0 -> iovec(at + 8 < SIZE ? at + 8 : 0, data.consumeInt(0, 64)); // {ptr, len} then the buffer
                case 1 -> "/a/b/../c\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
                case 2 -> new byte[] {1, 0, (byte) 0x90, 0x1f, 127, 0, 0, 1}; // 127.0.0.1:8080, port little-endian
                default -> data.consumeBytes(32);
            };
            System.arraycopy(what, 0, bytes, at, Math.min(what.length, SIZE - at));
        }
        memory.write(0, bytes, 0, SIZE);
    }

    private static byte[] iovec(int ptr, int len) {
        return new byte[] {(byte) ptr, (byte) (ptr >>> 8), (byte) (ptr >>> 16), (byte) (ptr >>> 24),
            (byte) len, (byte) (len >>> 8), 0, 0};
    }

    /** A pointer: mostly low offsets or near the end of memory (where bounds checks matter), sometimes wild. */
    private static int pointer(FuzzedDataProvider data) {
        return switch (data.consumeInt(0, 5)) {
            case 0 -> data.consumeInt(0, 256);
            case 1 -> SIZE - data.consumeInt(0, 64);
            case 2 -> data.consumeInt(0, SIZE - 1);
            case 3 -> -1;
            case 4 -> Integer.MAX_VALUE - data.consumeInt(0, 8);
            default -> data.consumeInt();
        };
    }

    private static long[] arguments(ImportFunction f, FuzzedDataProvider data) {
        List<ValType> params = f.paramTypes();
        long[] args = new long[params.size()];
        for (int i = 0; i < args.length; i++) {
            if (params.get(i).equals(ValType.I64)) {
                args[i] = switch (data.consumeInt(0, 4)) {
                    case 0 -> data.consumeLong(0, 100);
                    case 1 -> -1;
                    case 2 -> Long.MAX_VALUE;
                    case 3 -> data.consumeLong(0, 5_000_000L); // a timeout up to 5 ms, or a small offset
                    default -> data.consumeLong();
                };
            } else {
                args[i] = switch (data.consumeInt(0, 4)) {
                    case 0 -> data.consumeInt(0, 12); // fds, small enums, flags, counts
                    case 1 -> pointer(data);
                    case 2 -> data.consumeInt(0, 70_000); // lengths around the memory's size
                    case 3 -> -1;
                    default -> data.consumeInt();
                } & 0xffffffffL;
            }
        }
        return args;
    }

    /** The catalog's stubs ("module.name"): they answer ENOTSUP (or trap) and write nothing. */
    private static final java.util.Set<String> STUBS = Syscalls.stubs().stream()
            .map(e -> e.module() + "." + e.name()).collect(java.util.stream.Collectors.toSet());

    /** What {@code f} may write: its spec, or nothing for a stub; null when it has neither. */
    private static WriteSpecs.Spec spec(ImportFunction f) {
        WriteSpecs.Spec s = WriteSpecs.of(f.name(), f.paramTypes().size());
        return s != null ? s : STUBS.contains(f.module() + "." + f.name()) ? WriteSpecs.NONE : null;
    }

    /**
     * Not fuzzed, on purpose: joining a multicast group makes the kernel send IGMP/MLD reports out of the
     * machine's interfaces, and tests send nothing beyond 127.0.0.1.
     */
    private static final java.util.Set<String> NOT_FUZZED = java.util.Set.of("sock_join_multicast_v4",
            "sock_join_multicast_v6", "sock_leave_multicast_v4", "sock_leave_multicast_v6");

    /** The host functions with a write spec, in a stable order (so an input replays the same calls). */
    private static List<ImportFunction> fuzzable(WasixHost host) {
        return Arrays.stream(host.imports().functions())
                .filter(f -> spec(f) != null && !NOT_FUZZED.contains(f.name()))
                .sorted(Comparator.comparing((ImportFunction f) -> f.module() + "." + f.name()))
                .toList();
    }

    /** A function added to the host without a spec would go unfuzzed: name it here. */
    @Test
    void everyHostFunctionHasAWriteSpec() {
        try (WasixHost host = new WasixHost(HostConfig.of(Transport.NIO))) {
            List<String> missing = Arrays.stream(host.imports().functions())
                    .filter(f -> spec(f) == null && !NOT_FUZZED.contains(f.name()))
                    .map(f -> f.module() + "." + f.name()).sorted().toList();
            assertEquals(List.of(), missing, "host functions without a write spec in WriteSpecs (so not fuzzed)");
        }
    }
}

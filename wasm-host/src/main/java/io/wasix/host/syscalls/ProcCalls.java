package io.wasix.host.syscalls;

import static com.dylibso.chicory.wasm.types.ValType.I32;
import static com.dylibso.chicory.wasm.types.ValType.I64;
import static io.wasix.host.syscalls.HostFunctions.i32s;

import io.wasix.host.GuestExitException;
import io.wasix.host.abi.Errno;
import io.wasix.host.abi.GuestMemory;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;

/**
 * Process-level calls: args, environment, clocks, randomness, sched_yield, proc_exit (and WASIX proc_exit2;
 * from any guest thread they end the whole guest with their code), proc_id, proc_parent and proc_join. Runs on the
 * calling guest thread, under the shard lock in threaded mode.
 */
final class ProcCalls {
    private static final int REALTIME = 0, MONOTONIC = 1, PROCESS_CPUTIME = 2, THREAD_CPUTIME = 3;
    /**
     * The guest's process id, and its parent's: each shard's guest is the one process of its own world, and
     * wasmer numbers its first process 1 with parent 0. Processes cannot be made yet (proc_fork, proc_spawn).
     */
    static final int PID = 1, PARENT_PID = 0;

    private final GuestState state;
    private final byte[][] args;
    private final byte[][] env;
    private SecureRandom random; // made on first use: seeding it is not free and most guests never ask

    ProcCalls(GuestState state) {
        this.state = state;
        this.args = cStrings(state.config.args());
        this.env = cStrings(state.config.env());
    }

    void register(HostFunctions r) {
        r.preview1("args_sizes_get", i32s(2), (m, a) -> sizes(m, args, (int) a[0], (int) a[1]));
        r.preview1("args_get", i32s(2), (m, a) -> strings(m, args, (int) a[0], (int) a[1]));
        r.preview1("environ_sizes_get", i32s(2), (m, a) -> sizes(m, env, (int) a[0], (int) a[1]));
        r.preview1("environ_get", i32s(2), (m, a) -> strings(m, env, (int) a[0], (int) a[1]));
        r.preview1("clock_time_get", List.of(I32, I64, I32), (m, a) -> {
            m.check((int) a[2], 8);
            m.writeI64((int) a[2], now((int) a[0]));
            return 0;
        });
        r.preview1("clock_res_get", i32s(2), (m, a) -> {
            m.check((int) a[1], 8);
            now((int) a[0]); // validates the clock id
            m.writeI64((int) a[1], (int) a[0] == REALTIME ? 1_000L : 1L);
            return 0;
        });
        r.preview1("random_get", i32s(2), (m, a) -> {
            m.check((int) a[0], (int) a[1]);
            if (random == null) {
                random = new SecureRandom();
            }
            byte[] b = new byte[(int) a[1]];
            random.nextBytes(b);
            m.write((int) a[0], b);
            return 0;
        });
        r.preview1("sched_yield", List.of(), (m, a) -> {
            state.net.loop().poll();
            state.net.loop().lock().outside(() -> { // let the other guest threads have the lock and a core
                Thread.yield();
                return null;
            });
            return 0;
        });
        HostFunctions.Call exit = (m, a) -> {
            throw new GuestExitException((int) a[0]);
        };
        r.addVoid(HostFunctions.PREVIEW1, "proc_exit", i32s(1), exit);
        r.addVoid(HostFunctions.WASIX, "proc_exit", i32s(1), exit);
        r.addVoid(HostFunctions.PREVIEW0, "proc_exit", i32s(1), exit);
        // proc_exit2 differs from proc_exit only in a vfork child (proc_fork_env), which cannot exist here.
        r.addVoid(HostFunctions.WASIX, "proc_exit2", i32s(1), exit);
        r.wasix("proc_id", i32s(1), (m, a) -> {
            m.check((int) a[0], 4);
            m.writeI32((int) a[0], PID);
            return 0;
        });
        // As wasmer: the own pid gives the parent's; another live pid would give itself; anything else EBADF.
        r.wasix("proc_parent", i32s(2), (m, a) -> {
            m.check((int) a[1], 4);
            if ((int) a[0] != PID) {
                throw Errno.BADF.fail();
            }
            m.writeI32((int) a[1], PARENT_PID);
            return 0;
        });
        // This host makes no child processes (proc_fork, proc_exec and proc_spawn answer ENOTSUP), so a join
        // has none to wait for and answers as wasmer does for a process without children: ECHILD, the pid
        // None, the status Nothing. libc's wait and waitpid then fail with ECHILD, as after every child is
        // reaped. Two signatures, as in the wild: today's (pid*, flags, JoinStatus*) and the 2023 ABI's
        // (pid*, exit code*), which prebuilt binaries of that year (dash, bash) import.
        r.wasix("proc_join", i32s(3), (m, a) -> joinWithoutChildren(m, (int) a[0], (int) a[2], JOIN_STATUS_SIZE));
        r.wasix("proc_join", i32s(2), (m, a) -> joinWithoutChildren(m, (int) a[0], (int) a[1], 4));
    }

    /** OptionPid: a u8 tag (0 None, 1 Some) and a u32 pid at 4. JoinStatus: a u8 tag (0 Nothing), a union at 2. */
    private static final int OPTION_PID_SIZE = 8, JOIN_STATUS_SIZE = 6;

    private static int joinWithoutChildren(GuestMemory m, int pidPtr, int statusPtr, int statusSize) {
        m.check(pidPtr, OPTION_PID_SIZE);
        m.check(statusPtr, statusSize);
        if (m.readU8(pidPtr) > 1) {
            throw Errno.INVAL.fail();
        }
        m.write(pidPtr, new byte[OPTION_PID_SIZE]);
        m.write(statusPtr, new byte[statusSize]);
        throw Errno.CHILD.fail();
    }

    private static long now(int clock) {
        return switch (clock) {
            case REALTIME -> Clocks.realtimeNanos();
            case MONOTONIC -> Clocks.monotonicNanos();
            case PROCESS_CPUTIME -> ProcessHandle.current().info().totalCpuDuration()
                    .map(java.time.Duration::toNanos).orElseThrow(Errno.NOTSUP::fail);
            case THREAD_CPUTIME -> ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
            default -> throw Errno.INVAL.fail();
        };
    }

    private static int sizes(GuestMemory m, byte[][] strings, int retCount, int retBytes) {
        m.check(retCount, 4);
        m.check(retBytes, 4);
        int bytes = 0;
        for (byte[] s : strings) {
            bytes += s.length;
        }
        m.writeI32(retCount, strings.length);
        m.writeI32(retBytes, bytes);
        return 0;
    }

    private static int strings(GuestMemory m, byte[][] strings, int ptrs, int buf) {
        m.check(ptrs, strings.length * 4);
        int bytes = 0;
        for (byte[] s : strings) {
            bytes += s.length;
        }
        m.check(buf, bytes);
        int at = buf;
        for (int i = 0; i < strings.length; i++) {
            m.writeI32(ptrs + i * 4, at);
            m.write(at, strings[i]);
            at += strings[i].length;
        }
        return 0;
    }

    /** NUL-terminated UTF-8, as the guest reads them. */
    private static byte[][] cStrings(List<String> values) {
        byte[][] out = new byte[values.size()][];
        for (int i = 0; i < out.length; i++) {
            byte[] s = values.get(i).getBytes(StandardCharsets.UTF_8);
            out[i] = java.util.Arrays.copyOf(s, s.length + 1);
        }
        return out;
    }
}

package io.wasix.host.syscalls;

import static com.dylibso.chicory.wasm.types.ValType.I32;
import static com.dylibso.chicory.wasm.types.ValType.I64;
import static io.wasix.host.syscalls.HostFunctions.i32s;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.wasix.host.abi.Errno;
import io.wasix.host.abi.GuestMemory;
import io.wasix.host.net.GuestLoop;
import io.wasix.host.thread.GuestThreads;
import io.wasix.host.thread.ThreadExit;
import java.util.List;

/**
 * Threads: thread_spawn in both ABIs found in the wild, thread_spawn_v2, thread_join, thread_id,
 * thread_parallelism, thread_sleep, thread_exit, and the 2023 ABI's thread_local_create/get/set/destroy.
 *
 * <p>The spawn ABI is chosen by the import's type, since both are imported as {@code thread_spawn}: the 2023
 * one, {@code (i64 user_data, i64 stack_base, i64 stack_start, i32 reactor, i32 ret_tid)}, enters the new
 * instance through its export {@code _start_thread(user_data lo, user_data hi)}; the later one, also
 * {@code thread_spawn_v2}, {@code (i32 start, i32 ret_tid)}, through {@code wasi_thread_start(tid, start)},
 * where {@code start} is the 64-byte ThreadStart (stack top at 0, TLS base at 4, stack size at 56). The
 * wasi-threads proposal's {@code wasi.thread-spawn(start) -> tid}, which wasix-libc's pthread_create imports,
 * is the same spawn, answering the id (or the errno negated) instead of writing it. The guest
 * sets its own stack pointer and TLS from there; the host only keeps the stack's bounds.
 *
 * <p>Threading: any guest thread, holding the shard lock (direct mode: the one guest thread).
 */
final class ThreadCalls {
    private static final FunctionType ENTRY = FunctionType.of(List.of(ValType.I32, ValType.I32), List.of());
    private static final String START_2023 = "_start_thread", START_V2 = "wasi_thread_start";
    private static final int THREAD_START_SIZE = 64;

    private final GuestState state;
    private final GuestThreads threads;

    ThreadCalls(GuestState state) {
        this.state = state;
        this.threads = state.threads;
    }

    void register(HostFunctions r) {
        r.wasixOf("thread_spawn", List.of(I64, I64, I64, I32, I32), (m, i, a) ->
                spawn2023(m, i, a[0], a[1], a[2], (int) a[3], (int) a[4]));
        r.wasixOf("thread_spawn", i32s(2), (m, i, a) -> spawnV2(m, i, (int) a[0], (int) a[1]));
        r.wasixOf("thread_spawn_v2", i32s(2), (m, i, a) -> spawnV2(m, i, (int) a[0], (int) a[1]));
        r.wasiThreadsOf("thread-spawn", i32s(1), (m, i, a) -> spawnV2(m, i, (int) a[0]));
        r.wasix("thread_join", i32s(1), (m, a) -> {
            threads.join((int) a[0]);
            return 0;
        });
        r.wasix("thread_id", i32s(1), (m, a) -> {
            m.check((int) a[0], 4);
            m.writeI32((int) a[0], threads.current().tid());
            return 0;
        });
        r.wasix("thread_parallelism", i32s(1), (m, a) -> {
            m.check((int) a[0], 4);
            m.writeI32((int) a[0], Runtime.getRuntime().availableProcessors());
            return 0;
        });
        r.wasix("thread_sleep", List.of(I64), (m, a) -> sleep(a[0]));
        r.addVoid(HostFunctions.WASIX, "thread_exit", i32s(1), (m, a) -> {
            throw new ThreadExit();
        });
        r.wasix("thread_local_create", List.of(I64, I32), (m, a) -> {
            m.check((int) a[1], 4);
            m.writeI32((int) a[1], threads.localCreate(a[0]));
            return 0;
        });
        r.wasix("thread_local_set", List.of(I32, I64), (m, a) -> {
            threads.localSet((int) a[0], a[1]);
            return 0;
        });
        r.wasix("thread_local_get", i32s(2), (m, a) -> {
            m.check((int) a[1], 8);
            m.writeI64((int) a[1], threads.localGet((int) a[0]));
            return 0;
        });
        r.wasix("thread_local_destroy", i32s(1), (m, a) -> {
            threads.localDestroy((int) a[0]);
            return 0;
        });
    }

    /** The 2023 ABI: the new instance's {@code _start_thread} gets the user data, low word first. */
    private int spawn2023(GuestMemory m, Instance caller, long user, long stackBase, long stackStart, int reactor,
            int retTid) {
        m.check(retTid, 4);
        if (reactor != 0) {
            throw Errno.NOTCAPABLE.fail(); // reactors: wasmer 3.x answers the same
        }
        requireSpawnable(caller, START_2023);
        int tid = threads.spawn(stackStart, stackBase,
                new GuestThreads.Entry(START_2023, t -> new long[] {user & 0xffffffffL, user >>> 32}));
        m.writeI32(retTid, tid);
        return 0;
    }

    /** thread_spawn_v2: the new instance's {@code wasi_thread_start} gets its id and the ThreadStart pointer. */
    private int spawnV2(GuestMemory m, Instance caller, int start, int retTid) {
        m.check(retTid, 4);
        m.writeI32(retTid, spawnV2(m, caller, start));
        return 0;
    }

    /**
     * The v2 spawn, returning the new thread's id: also wasi.thread-spawn, which wasix-libc's pthread_create
     * calls with its thread's arguments, a struct that begins as ThreadStart does.
     */
    private int spawnV2(GuestMemory m, Instance caller, int start) {
        m.check(start, THREAD_START_SIZE);
        long upper = Integer.toUnsignedLong(m.readI32(start));
        long size = Integer.toUnsignedLong(m.readI32(start + 56));
        if (size > upper) {
            throw Errno.INVAL.fail(); // a stack below address 0
        }
        requireSpawnable(caller, START_V2);
        return threads.spawn(upper - size, upper,
                new GuestThreads.Entry(START_V2, t -> new long[] {t, Integer.toUnsignedLong(start)}));
    }

    /** A thread needs a memory to share and an entry to call: without either, ENOTCAPABLE, as wasmer answers. */
    private static void requireSpawnable(Instance caller, String entry) {
        if (!caller.memory().shared() || !GuestThreads.exports(caller, entry, ENTRY)) {
            throw Errno.NOTCAPABLE.fail();
        }
    }

    /** thread_sleep: 0 yields; otherwise a wait that any stop ends. */
    private int sleep(long nanos) {
        GuestLoop loop = state.net.loop();
        if (nanos <= 0) {
            loop.poll();
            loop.lock().outside(() -> {
                Thread.yield();
                return null;
            });
            return 0;
        }
        loop.await(() -> false, GuestLoop.deadline(nanos));
        return 0;
    }
}

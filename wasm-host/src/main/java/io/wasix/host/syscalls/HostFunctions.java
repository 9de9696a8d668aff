package io.wasix.host.syscalls;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.wasix.host.abi.GuestMemory;
import io.wasix.host.abi.WasiException;
import io.wasix.host.metrics.SyscallEvent;
import io.wasix.host.metrics.SyscallMetrics;
import io.wasix.host.metrics.SyscallProbe;
import io.wasix.host.net.ShardLock;
import io.wasix.host.thread.GuestThread;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Collects the host functions of one guest instance. Each syscall is written as a method returning an errno
 * (or throwing {@link WasiException}); this class gives it its wasm signature and its import names. Every
 * preview1 function is also served under wasix_32v1, which includes them. Every host function goes through
 * {@link #invoke}, the one place that takes the shard lock (threaded mode), counts, times, traces and records
 * JFR events for syscalls, and where each call begins (a stopped guest unwinds there; pending signals will be
 * delivered there). A name may be served with two signatures (thread_spawn): Chicory links the one whose
 * type the module's import has.
 *
 * <p>Threading: built on the shard's thread; the functions then run on any guest thread, under the shard lock.
 */
final class HostFunctions {
    static final String WASIX = "wasix_32v1";
    static final String PREVIEW1 = "wasi_snapshot_preview1";

    /** A syscall body: reads its arguments, does its work, returns an errno code. */
    @FunctionalInterface
    interface Call {
        int call(GuestMemory mem, long[] args);
    }

    /** A syscall body that needs the calling instance (its exports, its memory's atomics). */
    @FunctionalInterface
    interface InstanceCall {
        int call(GuestMemory mem, Instance instance, long[] args);
    }

    private final GuestState state;
    private final SyscallMetrics metrics;
    private final ShardLock lock;
    private final List<HostFunction> functions = new ArrayList<>();

    HostFunctions(GuestState state, SyscallMetrics metrics) {
        this.state = state;
        this.metrics = metrics;
        this.lock = state.net == null ? ShardLock.none() : state.net.loop().lock();
    }

    /** A preview1 function, served under both namespaces. */
    void preview1(String name, List<ValType> params, Call call) {
        add(PREVIEW1, name, params, call);
        add(WASIX, name, params, call);
    }

    /** A function of wasix_32v1 only. */
    void wasix(String name, List<ValType> params, Call call) {
        add(WASIX, name, params, call);
    }

    /** A function of wasix_32v1 only, given the calling instance. */
    void wasixOf(String name, List<ValType> params, InstanceCall call) {
        FunctionType type = FunctionType.of(params, List.of(ValType.I32));
        SyscallProbe probe = metrics.probe(name);
        functions.add(new HostFunction(WASIX, name, type,
                (Instance instance, long... args) -> new long[] {invoke(probe, null, call, instance, args, true)}));
    }

    /**
     * A function of wasix_32v1 only, given the calling instance, that runs without the shard lock: one that
     * touches no host state but the memory, which is safe for threads itself (the futex calls, whose wait and
     * wake would otherwise each take the lock twice more, a hand-off per round trip). Its metrics still take
     * the lock, when something counts them.
     */
    void wasixUnlocked(String name, List<ValType> params, InstanceCall call) {
        FunctionType type = FunctionType.of(params, List.of(ValType.I32));
        SyscallProbe probe = metrics.probe(name);
        functions.add(new HostFunction(WASIX, name, type,
                (Instance instance, long... args) -> new long[] {invoke(probe, null, call, instance, args, false)}));
    }

    void add(String module, String name, List<ValType> params, Call call) {
        FunctionType type = FunctionType.of(params, List.of(ValType.I32));
        SyscallProbe probe = metrics.probe(name);
        functions.add(new HostFunction(module, name, type,
                (Instance instance, long... args) -> new long[] {invoke(probe, call, null, instance, args, true)}));
    }

    /** A function with no result (proc_exit). */
    void addVoid(String module, String name, List<ValType> params, Call call) {
        FunctionType type = FunctionType.of(params, List.of());
        SyscallProbe probe = metrics.probe(name);
        functions.add(new HostFunction(module, name, type, (Instance instance, long... args) -> {
            invoke(probe, call, null, instance, args, true);
            return null;
        }));
    }

    /**
     * Runs one call and reports it to its probe. A call that throws something other than an errno (proc_exit,
     * a stopped guest) is still reported, as one that did not return.
     */
    private int invoke(SyscallProbe probe, Call call, InstanceCall instanceCall, Instance instance, long[] args,
            boolean locked) {
        if (locked) {
            lock.lock();
        }
        try {
            state.net.loop().throwIfStopped();
            GuestThread thread = state.threads.current();
            if (locked) {
                state.threads.atCallEntry(thread);
            }
            SyscallEvent event = probe.beginEvent();
            long start = probe.timed() ? System.nanoTime() : 0;
            int errno = 0;
            boolean returned = false;
            try {
                GuestMemory memory = state.memory(instance);
                errno = call != null ? call.call(memory, args) : instanceCall.call(memory, instance, args);
                returned = true;
            } catch (WasiException e) {
                errno = e.errno().code();
                returned = true;
            } finally {
                if (probe.timed()) {
                    // Counted under the lock, even after a wait that let it go: one writer at a time.
                    long nanos = System.nanoTime() - start;
                    if (!locked) {
                        lock.lock();
                    }
                    try {
                        probe.count(nanos, errno);
                        if (probe.traced()) {
                            probe.trace(args, nanos, errno, returned, lock.isThreaded() ? thread.tid() : 0);
                        }
                    } finally {
                        if (!locked) {
                            lock.unlock();
                        }
                    }
                }
                if (event != null) {
                    probe.commit(event, args, errno, returned);
                }
            }
            return errno;
        } finally {
            if (locked) {
                lock.unlock();
            }
        }
    }

    List<HostFunction> functions() {
        return Collections.unmodifiableList(functions);
    }

    static List<ValType> i32s(int n) {
        return Collections.nCopies(n, ValType.I32);
    }
}

package io.wasix.host.syscalls;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.wasix.host.Heartbeat;
import io.wasix.host.abi.Errno;
import io.wasix.host.abi.GuestMemory;
import io.wasix.host.abi.WasiException;
import io.wasix.host.metrics.CallEnd;
import io.wasix.host.metrics.SyscallEvent;
import io.wasix.host.metrics.SyscallMetrics;
import io.wasix.host.metrics.SyscallProbe;
import io.wasix.host.net.ShardLock;
import io.wasix.host.thread.GuestThread;
import io.wasix.host.thread.LongJump;
import io.wasix.host.thread.ThreadExit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Collects the host functions of one guest instance. Each syscall is written as a method returning an errno
 * (or throwing {@link WasiException}); this class gives it its wasm signature and its import names. Every
 * preview1 function is also served under wasix_32v1, which includes them, and under wasi_unstable (preview 0)
 * unless its layout differs there. Every function must be in the {@link WasixCatalog} with the same
 * signature, and {@link #registerStubs} gives each catalog entry nothing implements a stub answering ENOTSUP.
 * Every host function, stubs included, goes through {@link #invoke}, the one place that takes the shard lock
 * (threaded mode), counts, times, traces and records JFR events for syscalls, beats the calling guest thread's
 * {@link Heartbeat}, and where each call begins (a stopped guest unwinds there; the signals sent to the
 * calling thread are taken there). A name may be served with two signatures (thread_spawn): the module's
 * import's type picks one.
 *
 * <p>Threading: built on the shard's thread; the functions then run on any guest thread, under the shard lock.
 */
final class HostFunctions {
    static final String WASIX = WasixCatalog.WASIX;
    static final String PREVIEW1 = WasixCatalog.PREVIEW1;
    static final String PREVIEW0 = WasixCatalog.PREVIEW0;
    static final String WASI_THREADS = WasixCatalog.WASI_THREADS;

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
    /**
     * Every function registered so far: a stub never shadows one of these. Records, not "module.name type"
     * strings: building ~800 of those (FunctionType.toString) was a measurable part of each instance's start.
     */
    private final Set<WasixCatalog.Signature> registered = new HashSet<>();
    /** The preview1 calls by name, which preview 0 serves too where its layouts agree. */
    private final Map<String, Call> preview1Calls = new HashMap<>();
    private final List<WasixCatalog.Entry> stubs = new ArrayList<>();

    HostFunctions(GuestState state, SyscallMetrics metrics) {
        this.state = state;
        this.metrics = metrics;
        this.lock = state.net == null ? ShardLock.none() : state.net.loop().lock();
    }

    /** A preview1 function, served under both namespaces (and under preview 0, see {@link #registerStubs}). */
    void preview1(String name, List<ValType> params, Call call) {
        add(PREVIEW1, name, params, call);
        add(WASIX, name, params, call);
        preview1Calls.put(name, call);
    }

    /** The preview 0 form of a function whose layout or enum values differ from preview 1's. */
    void preview0(String name, List<ValType> params, Call call) {
        add(PREVIEW0, name, params, call);
    }

    /** A function of wasix_32v1 only. */
    void wasix(String name, List<ValType> params, Call call) {
        add(WASIX, name, params, call);
    }

    /** A function of wasix_32v1 only, given the calling instance. */
    void wasixOf(String name, List<ValType> params, InstanceCall call) {
        FunctionType type = claim(WASIX, name, FunctionType.of(params, List.of(ValType.I32)));
        SyscallProbe probe = metrics.probe(name);
        functions.add(new HostFunction(WASIX, name, type,
                (Instance instance, long... args) -> new long[] {invoke(probe, null, call, instance, args, true, false)}));
    }

    /**
     * A function of the wasi-threads proposal's {@code wasi} module, given the calling instance. Its result is
     * a value (a thread id), not an errno: a failure answers the errno negated, as that proposal says and as
     * wasix-libc's pthread_create reads it. It is counted and traced with the errno as any syscall is.
     */
    void wasiThreadsOf(String name, List<ValType> params, InstanceCall call) {
        FunctionType type = claim(WASI_THREADS, name, FunctionType.of(params, List.of(ValType.I32)));
        SyscallProbe probe = metrics.probe(name);
        functions.add(new HostFunction(WASI_THREADS, name, type,
                (Instance instance, long... args) -> new long[] {invoke(probe, null, call, instance, args, true, true)}));
    }

    /** A function of wasix_32v1 only with no result, given the calling instance (callback_signal). */
    void wasixVoidOf(String name, List<ValType> params, InstanceCall call) {
        FunctionType type = claim(WASIX, name, FunctionType.of(params, List.of()));
        SyscallProbe probe = metrics.probe(name);
        functions.add(new HostFunction(WASIX, name, type, (Instance instance, long... args) -> {
            invoke(probe, null, call, instance, args, true, false);
            return null;
        }));
    }

    /**
     * A function of wasix_32v1 only, given the calling instance, that runs without the shard lock: one that
     * touches no host state but the memory, which is safe for threads itself (the futex calls, whose wait and
     * wake would otherwise each take the lock twice more, a hand-off per round trip). Its metrics still take
     * the lock, when something counts them.
     */
    void wasixUnlocked(String name, List<ValType> params, InstanceCall call) {
        FunctionType type = claim(WASIX, name, FunctionType.of(params, List.of(ValType.I32)));
        SyscallProbe probe = metrics.probe(name);
        functions.add(new HostFunction(WASIX, name, type,
                (Instance instance, long... args) -> new long[] {invoke(probe, null, call, instance, args, false, false)}));
    }

    void add(String module, String name, List<ValType> params, Call call) {
        FunctionType type = claim(module, name, FunctionType.of(params, List.of(ValType.I32)));
        SyscallProbe probe = metrics.probe(name);
        functions.add(new HostFunction(module, name, type,
                (Instance instance, long... args) -> new long[] {invoke(probe, call, null, instance, args, true, false)}));
    }

    /** A function with no result (proc_exit). */
    void addVoid(String module, String name, List<ValType> params, Call call) {
        FunctionType type = claim(module, name, FunctionType.of(params, List.of()));
        SyscallProbe probe = metrics.probe(name);
        functions.add(new HostFunction(module, name, type, (Instance instance, long... args) -> {
            invoke(probe, call, null, instance, args, true, false);
            return null;
        }));
    }

    /**
     * Checks a real function against the catalog (a signature it does not list would link modules no libc
     * builds, and leave the one it does list to a stub) and records it, so that no stub takes its place.
     */
    private FunctionType claim(String module, String name, FunctionType type) {
        if (WasixCatalog.covers(module) && WasixCatalog.find(module, name, type) == null) {
            throw new IllegalStateException(module + "." + name + " " + type + " is not in WasixCatalog, which lists "
                    + WasixCatalog.types(module, name));
        }
        if (!registered.add(new WasixCatalog.Signature(module, name, type))) {
            throw new IllegalStateException(module + "." + name + " " + type + " is registered twice");
        }
        return type;
    }

    /**
     * Completes the imports once every group has registered its real functions: preview 0 takes each preview1
     * call whose layouts agree, then every catalog entry still without a function gets a stub, with the
     * catalog's signature, that answers ENOTSUP through {@link #invoke} (so it is counted, timed and traced).
     */
    void registerStubs() {
        for (WasixCatalog.Entry e : WasixCatalog.entries()) {
            if (!e.module().equals(PREVIEW0) || isRegistered(e)
                    || WasixCatalog.PREVIEW0_OWN_LAYOUT.contains(e.name())) {
                continue;
            }
            Call p1 = preview1Calls.get(e.name());
            if (p1 != null && e.type().returns().size() == 1) {
                add(PREVIEW0, e.name(), e.type().params(), p1);
            }
        }
        for (WasixCatalog.Entry e : WasixCatalog.entries()) {
            if (isRegistered(e)) {
                continue;
            }
            stubs.add(e);
            String name = e.name();
            switch (e.stub()) {
                case ERRNO -> add(e.module(), name, e.type().params(), (m, a) -> Errno.NOTSUP.code());
                case IGNORED -> addVoid(e.module(), name, e.type().params(), (m, a) -> Errno.NOTSUP.code());
                case NORETURN -> addVoid(e.module(), name, e.type().params(), (m, a) -> {
                    throw new UnsupportedCallTrap(name);
                });
            }
        }
    }

    private boolean isRegistered(WasixCatalog.Entry e) {
        return registered.contains(new WasixCatalog.Signature(e.module(), e.name(), e.type()));
    }

    /** The catalog entries that got a stub, in catalog order. */
    List<WasixCatalog.Entry> stubs() {
        return Collections.unmodifiableList(stubs);
    }

    /**
     * Runs one call and reports it to its probe. A call that throws something other than an errno is still
     * reported, as one that did not return: a longjmp or thread_exit, after which the guest goes on, or
     * proc_exit, a trap or a stop, which end it. {@code locked}: under the shard lock (a
     * no-op in direct mode). {@code valueResult}: the call returns a value, and a failure answers its errno negated.
     */
    private int invoke(SyscallProbe probe, Call call, InstanceCall instanceCall, Instance instance, long[] args,
            boolean locked, boolean valueResult) {
        // One method, as before the heartbeat: C2 must inline all of it into Chicory's call site, or the
        // argument and result arrays escape and every call allocates them (bench/results: hostcall-jmh).
        GuestThread thread = state.threads.current();
        Heartbeat heartbeat = thread.heartbeat();
        heartbeat.enterHost(); // a stop thrown just below unwinds the guest: the beat left odd does not matter
        if (locked) {
            lock.lock();
        }
        try {
            state.net.loop().throwIfStopped();
            state.threads.atCallEntry(thread); // signals sent to the caller: taken before the call itself
            SyscallEvent event = probe.beginEvent();
            long start = probe.timed() ? System.nanoTime() : 0;
            int errno = 0;
            int result = 0;
            CallEnd end = CallEnd.GUEST_ENDED;
            try {
                GuestMemory memory = state.memory(instance);
                result = call != null ? call.call(memory, args) : instanceCall.call(memory, instance, args);
                errno = valueResult ? 0 : result;
                end = CallEnd.RETURNED;
            } catch (WasiException e) {
                errno = e.errno().code();
                result = valueResult ? -errno : errno;
                end = CallEnd.RETURNED;
            } catch (LongJump e) {
                end = CallEnd.JUMPED;
                throw e;
            } catch (ThreadExit e) {
                end = CallEnd.THREAD_ENDED;
                throw e;
            } catch (UnsupportedCallTrap e) {
                errno = Errno.NOTSUP.code();
                throw e;
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
                            probe.trace(args, nanos, errno, end, lock.isThreaded() ? thread.tid() : 0);
                        }
                    } finally {
                        if (!locked) {
                            lock.unlock();
                        }
                    }
                }
                if (event != null) {
                    probe.commit(event, args, errno, end);
                }
            }
            return result;
        } finally {
            if (locked) {
                lock.unlock();
            }
            heartbeat.leaveHost();
        }
    }

    List<HostFunction> functions() {
        return Collections.unmodifiableList(functions);
    }

    static List<ValType> i32s(int n) {
        return Collections.nCopies(n, ValType.I32);
    }
}

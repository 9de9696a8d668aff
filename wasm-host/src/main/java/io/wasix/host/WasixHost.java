package io.wasix.host;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.MemoryImport;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import io.wasix.host.abi.BoundedMemory;
import io.wasix.host.abi.HeapReserve;
import io.wasix.host.abi.SharedMemory;
import io.wasix.host.metrics.SyscallMetrics;
import io.wasix.host.net.GuestLoop;
import io.wasix.host.net.GuestNetwork;
import io.wasix.host.net.policy.NameResolver;
import io.wasix.host.net.policy.NetGate;
import io.wasix.host.syscalls.GuestState;
import io.wasix.host.syscalls.Syscalls;
import io.wasix.host.syscalls.WasixCatalog;
import io.wasix.host.thread.Signals;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The host side of one guest (one shard): its wasix_32v1, WASI preview 1 and preview 0 imports (every
 * function of each, see {@link WasixCatalog}), served from one state, the event loop its sockets run on, and
 * its threads.
 *
 * <p>A host made for a module ({@link #WasixHost(HostConfig, SyscallMetrics, HostEvents, WasmModule)}) picks
 * the mode from it: a module that imports a thread-spawn function runs threaded (an I/O thread runs the loop,
 * every guest thread's calls take the shard lock); any other runs direct, as a host made without a module
 * always does (its one guest thread runs the loop itself). It also creates the memory the module imports
 * ({@code env.memory}, shared or not) from the module's declared limits, bounded as {@link #memory} bounds
 * the module's own. Build the main instance with {@link #instantiate}, run it with {@link #run}.
 *
 * <p>Threading: create it on the thread that will run the guest's main thread; in direct mode that thread owns
 * the event loop and every host function runs on it. Only {@link #stop()}, {@link #stopGracefully},
 * {@link #heartbeats()}, {@link #terminate} and {@link #metrics()} may be called from another thread;
 * {@link #stop()} and {@link #close()} are ordered by {@code lifecycle}, so that no stop interrupts a guest
 * thread once its host has closed.
 */
public final class WasixHost implements AutoCloseable {
    /** How long exit waits for queued responses to reach their peers. */
    private static final long DRAIN_NANOS = 2_000_000_000L;
    static final String SPAWN = "thread_spawn", SPAWN_V2 = "thread_spawn_v2", WASI_SPAWN = "thread-spawn";

    private final GuestLoop loop;
    private final GuestNetwork net;
    private final GuestState state;
    private final List<HostFunction> functions;
    private final SyscallMetrics metrics;
    private final HostConfig config;
    private final Object lifecycle = new Object();
    private boolean closed; // guarded by lifecycle
    /** The module the host was made for, or null. */
    private final WasmModule module;
    /** The memory the module imports as env.memory, or null. */
    private final Memory importedMemory;

    public WasixHost(HostConfig config) {
        this(config, SyscallMetrics.off(), HostEvents.NONE);
    }

    /** A host whose syscalls report to {@code metrics} (one per shard; read it from any thread). */
    public WasixHost(HostConfig config, SyscallMetrics metrics) {
        this(config, metrics, HostEvents.NONE);
    }

    /** A host that reports its guest's milestones (listener bound, first response) to {@code events}. */
    public WasixHost(HostConfig config, HostEvents events) {
        this(config, SyscallMetrics.off(), events);
    }

    /** A direct-mode host reporting to both; see the two-argument constructors. */
    public WasixHost(HostConfig config, SyscallMetrics metrics, HostEvents events) {
        this(config, metrics, events, null);
    }

    /**
     * A host for {@code module}: threaded when it imports a thread-spawn function, direct otherwise, with the
     * memory it imports.  A null module is a direct-mode host without an imported memory.
     *
     * @throws IllegalArgumentException when the memory the module imports starts above --max-memory
     */
    public WasixHost(HostConfig config, SyscallMetrics metrics, HostEvents events, WasmModule module) {
        this.config = config;
        MemoryLimits limits = module == null ? null : importedMemoryLimits(module);
        // Before the loop exists: a memory that starts above the limit leaves nothing to close.
        this.importedMemory = limits == null ? null : bounded(limits, config, metrics);
        String name = Thread.currentThread().getName();
        this.loop = module != null && spawnsThreads(module)
                ? GuestLoop.threaded(config.transport(), name + "-io")
                : new GuestLoop(config.transport());
        this.net = new GuestNetwork(loop, new NetGate(config.net(), NameResolver.JDK, metrics.netPolicyRefusals()),
                config, events, metrics.limits());
        try {
            this.state = new GuestState(config, net);
        } catch (ListenerPreopenException e) {
            net.drainAndClose(0); // no guest will ever run this loop
            throw e;
        }
        this.metrics = metrics;
        metrics.datagramsDropped(net::datagramsDropped);
        this.functions = Syscalls.all(state, metrics);
        this.module = module;
    }

    /**
     * A guest memory with no limit of ours ({@code Instance.builder(..).withMemoryFactory(WasixHost::newMemory)}):
     * a byte[] per page. Compiled guests load and store through it faster than through Chicory's default
     * ByteBuffer pages (bench/results/load-*.md), and GuestMemory copies to and from it page by page. A shared
     * one is a {@link SharedMemory}: the same pages, with wait queues that lose no wake-up. The appliance uses
     * {@link #memory} instead.
     */
    public static Memory newMemory(MemoryLimits limits) {
        return limits.shared() ? new SharedMemory(limits) : new ByteArrayMemory(limits);
    }

    /** Whether {@code module} imports a thread-spawn function, and so runs in threaded mode. */
    public static boolean spawnsThreads(WasmModule module) {
        var imports = module.importSection();
        for (int i = 0; i < imports.importCount(); i++) {
            var imp = imports.getImport(i);
            if (imp.importType() != ExternalType.FUNCTION) {
                continue;
            }
            if (imp.module().equals(WasixCatalog.WASIX) && (imp.name().equals(SPAWN) || imp.name().equals(SPAWN_V2))
                    || imp.module().equals(WasixCatalog.WASI_THREADS) && imp.name().equals(WASI_SPAWN)) {
                return true;
            }
        }
        return false;
    }

    /** The limits of the memory {@code module} imports as env.memory, or null when it imports none. */
    public static MemoryLimits importedMemoryLimits(WasmModule module) {
        var imports = module.importSection();
        for (int i = 0; i < imports.importCount(); i++) {
            if (imports.getImport(i) instanceof MemoryImport m && isEnvMemory(m.module(), m.name())) {
                return m.limits();
            }
        }
        return null;
    }

    private static boolean isEnvMemory(String module, String name) {
        return module.equals("env") && name.equals("memory");
    }

    /**
     * The guest memory to instantiate with ({@code Instance.builder(..).withMemoryFactory(host::memory)}): byte[]
     * pages as {@link #newMemory} (a {@link SharedMemory} when shared), whose growth stops at the configured limit
     * and at what the heap can hold, with -1 from memory.grow (counted in {@link #metrics()}).
     *
     * @throws IllegalArgumentException when the memory starts above the limit
     */
    public Memory memory(MemoryLimits limits) {
        return bounded(limits, config, metrics);
    }

    private static Memory bounded(MemoryLimits limits, HostConfig config, SyscallMetrics metrics) {
        int max = config.limits().maxMemoryPages();
        return limits.shared()
                ? new SharedMemory(limits, max, HeapReserve.jvm(), metrics.limits())
                : new BoundedMemory(limits, max, HeapReserve.jvm(), metrics.limits());
    }

    /** What this host's syscalls report to. Any thread may read its snapshot. */
    public SyscallMetrics metrics() {
        return metrics;
    }

    /** Whether the guest runs threaded (a dedicated I/O thread, the shard lock). */
    public boolean threaded() {
        return loop.isThreaded();
    }

    /**
     * Every host function, one per import name: where a name has two signatures (wasix_32v1.thread_spawn), the
     * first; and the memory, when the host was made for a module that imports one. Enough for a module that
     * imports neither alternative; otherwise use {@link #imports(WasmModule)}.
     */
    public ImportValues imports() {
        List<ImportFunction> one = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (HostFunction f : functions) {
            if (seen.add(f.module() + "." + f.name())) {
                one.add(f);
            }
        }
        return withMemory(ImportValues.builder().withFunctions(one));
    }

    private ImportValues withMemory(ImportValues.Builder b) {
        if (importedMemory != null) {
            b.addMemory(new ImportMemory("env", "memory", importedMemory));
        }
        return b.build();
    }

    /**
     * The imports to instantiate {@code module} with: for each function it imports, the host function of that
     * name and signature (Chicory links by name, so a name with two signatures must offer only the one the
     * module wants), and the memory the host made for it. A module that imports anything from wasix_32v1 was
     * built for WASIX (wasmer's own test), and its libc's dup2 is fd_renumber: for it, fd_renumber leaves the
     * source fd open, as wasmer does, where a preview1-only module gets WASI's renumber, which moves the fd.
     */
    public ImportValues imports(WasmModule module) {
        state.renumberKeepsSource(false);
        List<ImportFunction> chosen = new ArrayList<>();
        var imports = module.importSection();
        for (int i = 0; i < imports.importCount(); i++) {
            var imp = imports.getImport(i);
            if (imp.module().equals(WasixCatalog.WASIX)) {
                state.renumberKeepsSource(true);
            }
            if (imp.importType() != ExternalType.FUNCTION) {
                continue;
            }
            FunctionType wanted = module.typeSection().getType(((FunctionImport) imp).typeIndex());
            HostFunction byName = null;
            HostFunction exact = null;
            for (HostFunction f : functions) {
                if (f.module().equals(imp.module()) && f.name().equals(imp.name())) {
                    if (byName == null) {
                        byName = f;
                    }
                    if (f.functionType().equals(wanted)) {
                        exact = f;
                        break;
                    }
                }
            }
            HostFunction f = exact != null ? exact : byName; // a wrong type is left to the linker to report
            if (f != null && !chosen.contains(f)) {
                chosen.add(f);
            }
        }
        return withMemory(ImportValues.builder().withFunctions(chosen));
    }

    /**
     * Builds the guest's main instance with {@code factory}, which also builds one instance per thread the
     * guest spawns, on the imports {@link #imports(WasmModule)} gives the host's module (on {@link #imports()}
     * for a host made without one). On the guest's main thread, before {@link #run}.
     */
    public Instance instantiate(InstanceFactory factory) {
        ImportValues imports = module == null ? imports() : imports(module);
        Instance main = factory.build(imports);
        state.threads().bind(() -> factory.build(imports));
        return main;
    }

    /**
     * Runs the guest: its {@code _start} on the calling thread, the main guest thread, until the guest ends.
     * Returns when {@code _start} returned (in threaded mode also when the last thread called thread_exit);
     * throws {@link GuestExitException} for proc_exit, {@link GuestStoppedException} for a stop, and the
     * trap: in direct mode as Chicory threw it, in threaded mode as a {@link GuestTrapException} naming the
     * thread, whichever thread it was. Any other thread's proc_exit or trap ends the guest the same way; the
     * first one wins, and the other threads have been stopped by the time this returns.
     */
    public void run(Instance main) {
        state.threads().runMain(main);
    }

    /**
     * The function imports of {@code module} this host does not provide (or provides with another signature),
     * and any other import but the memory {@code env.memory}, as "module.name" strings. Empty when the module
     * can be linked.
     */
    public static List<String> missingImports(WasmModule module) {
        Map<String, Set<FunctionType>> provided = Syscalls.signatures();
        List<String> missing = new ArrayList<>();
        var imports = module.importSection();
        for (int i = 0; i < imports.importCount(); i++) {
            var imp = imports.getImport(i);
            String name = imp.module() + "." + imp.name();
            if (imp.importType() == ExternalType.MEMORY && isEnvMemory(imp.module(), imp.name())) {
                continue; // created by the host from the module's own limits
            }
            if (imp.importType() != ExternalType.FUNCTION) {
                missing.add(name + " (" + imp.importType().name().toLowerCase(java.util.Locale.ROOT) + ")");
                continue;
            }
            FunctionType wanted = module.typeSection().getType(((FunctionImport) imp).typeIndex());
            Set<FunctionType> have = provided.get(name);
            if (have == null) {
                missing.add(name);
            } else if (!have.contains(wanted)) {
                List<String> expected = have.stream().map(FunctionType::toString).sorted().toList();
                missing.add(name + " (expected " + String.join(" or ", expected) + ", module wants " + wanted + ")");
            }
        }
        return missing;
    }

    /**
     * Asks the guest to stop: every thread's current wait or next host call unwinds with
     * {@link GuestStoppedException}, and guest code that runs without calling the host (a loop, a futex, wasm's
     * own atomic wait) unwinds with Chicory's ChicoryInterruptedException at its next call or backward branch,
     * because its thread is interrupted (compiled code and the interpreter both check). A guest thread that
     * stops itself is not interrupted: it is in a host call already. Once the host has closed, this does nothing.
     */
    public void stop() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            loop.stop();
            if (state.threads().threaded()) {
                state.threads().interruptAll(); // every thread still running guest code, under the shard lock
            } else {
                Thread guest = state.threads().heartbeats().get(0).thread();
                if (guest != Thread.currentThread()) {
                    guest.interrupt();
                }
            }
        }
    }

    /**
     * Whether {@code t}, which ended a guest's run, is how {@link #stop()} unwinds a guest:
     * {@link GuestStoppedException} from a host call or a wait, Chicory's ChicoryInterruptedException from the
     * guest's own code.
     */
    public static boolean isStop(Throwable t) {
        return t instanceof GuestStoppedException || t instanceof com.dylibso.chicory.runtime.ChicoryInterruptedException;
    }

    /** The heartbeats of the guest's threads running now, the main thread's first, for a watchdog; any thread. */
    public List<Heartbeat> heartbeats() {
        return state.threads().heartbeats();
    }

    /**
     * Asks the guest to stop accepting and finish what is in flight: the listeners close, and the guest
     * unwinds with {@link GuestStoppedException} at its next wait for a connection, once it has no
     * connection left, or when {@code graceNanos} has passed, whichever comes first. In threaded mode the
     * grace's end also stops the threads that wait where no host wait sees the drain (a futex, a join).
     */
    public void stopGracefully(long graceNanos) {
        boolean first = !loop.draining();
        loop.stopGracefully(graceNanos);
        if (first && loop.isThreaded()) {
            loop.schedule(this::stop, Math.max(0, graceNanos));
        }
    }

    /**
     * The appliance's stop signal ({@code sig}: SIGTERM or SIGINT). A guest that named a signal handler
     * (callback_signal) gets it, on its main thread, and decides: it may finish and exit with its own status;
     * {@code graceNanos} later it is stopped as {@link #stop()} does, if it is still running. A guest without
     * a handler is stopped gracefully ({@link #stopGracefully}). Any thread.
     *
     * @return whether the guest got the signal
     */
    public boolean terminate(StopSignal sig, long graceNanos) {
        Signals signals = state.threads().signals();
        if (!signals.handlerRegistered()) {
            stopGracefully(graceNanos);
            return false;
        }
        signals.sendToProcess(sig.number());
        signals.after(graceNanos, this::stop);
        return true;
    }

    /** Datagrams the guest's UDP sockets dropped because their receive queue was full. Any thread. */
    public long datagramsDropped() {
        return net.datagramsDropped();
    }

    public String transportLabel() {
        return loop.transport().label();
    }

    /**
     * Closes the guest's fds and lets queued writes finish (bounded), then shuts the loop down. Guest thread.
     * Clears the thread's interrupt, which {@link #stop()} may have set: the thread outlives its guest.
     */
    @Override
    public void close() {
        synchronized (lifecycle) {
            closed = true;
        }
        Thread.interrupted();
        state.threads().signals().close();
        loop.lock().lock();
        try {
            state.fds().closeAll();
        } finally {
            loop.lock().unlock();
        }
        net.drainAndClose(DRAIN_NANOS);
    }
}

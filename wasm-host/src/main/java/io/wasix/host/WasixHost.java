package io.wasix.host;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import io.wasix.host.metrics.SyscallMetrics;
import io.wasix.host.net.GuestLoop;
import io.wasix.host.net.GuestNetwork;
import io.wasix.host.net.policy.NameResolver;
import io.wasix.host.net.policy.NetGate;
import io.wasix.host.syscalls.GuestState;
import io.wasix.host.syscalls.Syscalls;
import io.wasix.host.syscalls.WasixCatalog;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The host side of one guest instance: its wasix_32v1, WASI preview 1 and preview 0 imports (every function
 * of each, see {@link WasixCatalog}), served from one state, and the event loop its sockets run on.
 *
 * <p>Threading: create it on the thread that will run the guest; that thread owns the event loop, and every
 * host function runs on it. Only {@link #stop()} and {@link #stopGracefully} may be called from another
 * thread.
 */
public final class WasixHost implements AutoCloseable {
    /** How long exit waits for queued responses to reach their peers. */
    private static final long DRAIN_NANOS = 2_000_000_000L;

    private final GuestLoop loop;
    private final GuestNetwork net;
    private final GuestState state;
    private final List<HostFunction> functions;
    private final SyscallMetrics metrics;

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

    /** A host reporting to both; see the two-argument constructors. */
    public WasixHost(HostConfig config, SyscallMetrics metrics, HostEvents events) {
        this.loop = new GuestLoop(config.transport());
        this.net = new GuestNetwork(loop, new NetGate(config.net(), NameResolver.JDK, metrics.netPolicyRefusals()),
                config.forceReusePort(), events);
        try {
            this.state = new GuestState(config, net);
        } catch (ListenerPreopenException e) {
            net.drainAndClose(0); // no guest will ever run this loop
            throw e;
        }
        this.metrics = metrics;
        metrics.datagramsDropped(net::datagramsDropped);
        this.functions = Syscalls.all(state, metrics);
    }

    /**
     * The guest memory to instantiate with ({@code Instance.builder(..).withMemoryFactory(WasixHost::newMemory)}):
     * a byte[] per page. Compiled guests load and store through it faster than through Chicory's default
     * ByteBuffer pages (bench/results/load-*.md), and GuestMemory copies to and from it page by page.
     */
    public static Memory newMemory(MemoryLimits limits) {
        return new ByteArrayMemory(limits);
    }

    /** What this host's syscalls report to. Any thread may read its snapshot. */
    public SyscallMetrics metrics() {
        return metrics;
    }

    /**
     * Every host function, one per import name: where a name has two signatures (wasix_32v1.thread_spawn), the
     * first. Enough for a module that imports neither alternative; otherwise use {@link #imports(WasmModule)}.
     */
    public ImportValues imports() {
        List<ImportFunction> one = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (HostFunction f : functions) {
            if (seen.add(f.module() + "." + f.name())) {
                one.add(f);
            }
        }
        return ImportValues.builder().withFunctions(one).build();
    }

    /**
     * The imports to instantiate {@code module} with: for each function it imports, the host function of that
     * name and signature (Chicory links by name, so a name with two signatures must offer only the one the
     * module wants). A module that imports anything from wasix_32v1 was built for WASIX (wasmer's own test),
     * and its libc's dup2 is fd_renumber: for it, fd_renumber leaves the source fd open, as wasmer does,
     * where a preview1-only module gets WASI's renumber, which moves the fd.
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
        return ImportValues.builder().withFunctions(chosen).build();
    }

    /**
     * The function imports of {@code module} this host does not provide (or provides with another
     * signature), as "module.name" strings. Empty when the module can be linked.
     */
    public static List<String> missingImports(WasmModule module) {
        Map<String, Set<FunctionType>> provided = Syscalls.signatures();
        List<String> missing = new ArrayList<>();
        var imports = module.importSection();
        for (int i = 0; i < imports.importCount(); i++) {
            var imp = imports.getImport(i);
            String name = imp.module() + "." + imp.name();
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

    /** Asks the guest to stop; its current wait or its next host call unwinds with {@link GuestStoppedException}. */
    public void stop() {
        loop.stop();
    }

    /**
     * Asks the guest to stop accepting and finish what is in flight: the listeners close, and the guest
     * unwinds with {@link GuestStoppedException} at its next wait for a connection, once it has no
     * connection left, or when {@code graceNanos} has passed, whichever comes first.
     */
    public void stopGracefully(long graceNanos) {
        loop.stopGracefully(graceNanos);
    }

    /** Datagrams the guest's UDP sockets dropped because their receive queue was full. Any thread. */
    public long datagramsDropped() {
        return net.datagramsDropped();
    }

    public String transportLabel() {
        return loop.transport().label();
    }

    /** Closes the guest's fds and lets queued writes finish (bounded), then shuts the loop down. */
    @Override
    public void close() {
        state.fds().closeAll();
        net.drainAndClose(DRAIN_NANOS);
    }
}

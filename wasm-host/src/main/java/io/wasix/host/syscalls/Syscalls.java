package io.wasix.host.syscalls;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.wasm.types.FunctionType;
import io.wasix.host.HostConfig;
import io.wasix.host.metrics.SyscallMetrics;
import io.wasix.host.net.Transport;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Every host function, grouped by subject. Stateless entry point; see each group for its threading. */
public final class Syscalls {
    private static Map<String, Set<FunctionType>> signatures;
    private static List<WasixCatalog.Entry> stubs;

    private Syscalls() {}

    /** The host functions of one guest instance, bound to its state, reporting nothing. */
    public static List<HostFunction> all(GuestState state) {
        return all(state, SyscallMetrics.off());
    }

    /** The host functions of one guest instance, bound to its state, reporting to {@code metrics}. */
    public static List<HostFunction> all(GuestState state, SyscallMetrics metrics) {
        return build(state, metrics).functions();
    }

    private static HostFunctions build(GuestState state, SyscallMetrics metrics) {
        HostFunctions r = new HostFunctions(state, metrics);
        new SocketCalls(state).register(r);
        new DatagramCalls(state).register(r);
        new SendFileCall(state).register(r);
        new ResolveCall(state).register(r);
        new EpollCalls(state).register(r);
        FileCalls files = new FileCalls(state);
        new FdCalls(state, files).register(r);
        files.register(r);
        new PipeCalls(state).register(r);
        new EventCalls(state).register(r);
        new PathCalls(state).register(r);
        new ReaddirCall(state).register(r);
        new PollCalls(state).register(r);
        new ProcCalls(state).register(r);
        new ThreadCalls(state).register(r);
        new FutexCalls(state).register(r);
        new SignalCalls(state).register(r);
        new StackCalls(state).register(r);
        new TtyCalls().register(r);
        r.registerStubs(); // last: only what no group implements
        return r;
    }

    /**
     * "module.name" to the signatures provided under it (two for wasix_32v1.thread_spawn), for checking a
     * module's imports before start.
     */
    public static synchronized Map<String, Set<FunctionType>> signatures() {
        if (signatures == null) {
            Map<String, Set<FunctionType>> m = new HashMap<>();
            for (HostFunction f : all(new GuestState(HostConfig.of(Transport.NIO), null))) {
                m.computeIfAbsent(f.module() + "." + f.name(), k -> new LinkedHashSet<>()).add(f.functionType());
            }
            m.replaceAll((k, v) -> Set.copyOf(v));
            signatures = Map.copyOf(m);
        }
        return signatures;
    }

    /** The catalog entries nothing implements, which answer ENOTSUP: for the README's table and its test. */
    public static synchronized List<WasixCatalog.Entry> stubs() {
        if (stubs == null) {
            GuestState state = new GuestState(HostConfig.of(Transport.NIO), null);
            stubs = List.copyOf(build(state, SyscallMetrics.off()).stubs());
        }
        return stubs;
    }
}

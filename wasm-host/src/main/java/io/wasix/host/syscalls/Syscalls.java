package io.wasix.host.syscalls;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.wasm.types.FunctionType;
import io.wasix.host.HostConfig;
import io.wasix.host.metrics.SyscallMetrics;
import io.wasix.host.net.Transport;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Every host function, grouped by subject. Stateless entry point; see each group for its threading. */
public final class Syscalls {
    private static Map<String, List<FunctionType>> signatures;

    private Syscalls() {}

    /** The host functions of one guest instance, bound to its state, reporting nothing. */
    public static List<HostFunction> all(GuestState state) {
        return all(state, SyscallMetrics.off());
    }

    /** The host functions of one guest instance, bound to its state, reporting to {@code metrics}. */
    public static List<HostFunction> all(GuestState state, SyscallMetrics metrics) {
        HostFunctions r = new HostFunctions(state, metrics);
        new SocketCalls(state).register(r);
        new EpollCalls(state).register(r);
        FileCalls files = new FileCalls(state);
        new FdCalls(state, files).register(r);
        files.register(r);
        new PathCalls(state).register(r);
        new ReaddirCall(state).register(r);
        new PollCalls(state).register(r);
        new ProcCalls(state).register(r);
        new ThreadCalls(state).register(r);
        new FutexCalls(state).register(r);
        return r.functions();
    }

    /**
     * "module.name" to the signatures it is provided with (one, or two for thread_spawn's two ABIs), for
     * checking a module's imports before start.
     */
    public static synchronized Map<String, List<FunctionType>> signatures() {
        if (signatures == null) {
            Map<String, List<FunctionType>> m = new HashMap<>();
            for (HostFunction f : all(new GuestState(HostConfig.of(Transport.NIO), null))) {
                m.computeIfAbsent(f.module() + "." + f.name(), k -> new java.util.ArrayList<>()).add(f.functionType());
            }
            m.replaceAll((k, v) -> List.copyOf(v));
            signatures = Map.copyOf(m);
        }
        return signatures;
    }
}

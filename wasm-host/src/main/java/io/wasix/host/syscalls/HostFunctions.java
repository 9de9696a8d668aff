package io.wasix.host.syscalls;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.wasix.host.abi.GuestMemory;
import io.wasix.host.abi.WasiException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Collects the host functions of one guest instance. Each syscall is written as a method returning an errno
 * (or throwing {@link WasiException}); this class gives it its wasm signature and its import names. Every
 * preview1 function is also served under wasix_32v1, which includes them. Built on the guest thread.
 */
final class HostFunctions {
    static final String WASIX = "wasix_32v1";
    static final String PREVIEW1 = "wasi_snapshot_preview1";

    /** A syscall body: reads its arguments, does its work, returns an errno code. */
    @FunctionalInterface
    interface Call {
        int call(GuestMemory mem, long[] args);
    }

    private final GuestState state;
    private final List<HostFunction> functions = new ArrayList<>();

    HostFunctions(GuestState state) {
        this.state = state;
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

    void add(String module, String name, List<ValType> params, Call call) {
        FunctionType type = FunctionType.of(params, List.of(ValType.I32));
        functions.add(new HostFunction(module, name, type, (Instance instance, long... args) -> {
            int errno;
            try {
                errno = call.call(state.memory(instance), args);
            } catch (WasiException e) {
                errno = e.errno().code();
            }
            return new long[] {errno};
        }));
    }

    /** A function with no result (proc_exit). */
    void addVoid(String module, String name, List<ValType> params, Call call) {
        FunctionType type = FunctionType.of(params, List.of());
        functions.add(new HostFunction(module, name, type, (Instance instance, long... args) -> {
            call.call(state.memory(instance), args);
            return null;
        }));
    }

    List<HostFunction> functions() {
        return Collections.unmodifiableList(functions);
    }

    static List<ValType> i32s(int n) {
        return Collections.nCopies(n, ValType.I32);
    }
}

package io.wasix.host.syscalls;

import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every function a WASIX or WASI module may import from this host, with its exact wasm signature: the
 * {@code wasix_32v1} module, {@code wasi_snapshot_preview1} and {@code wasi_unstable} (preview 0). After each
 * call group has registered what it implements, {@link HostFunctions#registerStubs} gives every entry left
 * over a stub that answers ENOTSUP, so a module built by wasix-libc is never refused for importing a WASIX
 * function; a real implementation added later replaces its stub without touching this list.
 *
 * <p>Where the names and signatures come from: {@code wasix_32v1} is the union of wasix-org/wasix-witx
 * {@code phases/snapshot/witx/wasix_v1.witx} (its wasm32 lowering as wasix-libc generates it in
 * {@code libc-bottom-half/sources/__wasixlibc_real.c}: pointers and sizes i32, u64 and timestamps i64), every
 * preview1 function (wasmer registers them under wasix_32v1 too), the 2023 ABI that prebuilt binaries of that
 * year import (the five-argument {@code thread_spawn}, {@code thread_local_*}, {@code callback_thread*},
 * {@code bus_*}, {@code call_*}, {@code http_*}, {@code ws_connect}, as wasmer 3.x registered them), and
 * the newest libc's imports beyond the witx ({@code proc_exit2}, {@code proc_fork_env}, {@code context_*}).
 * {@code thread_spawn} has two signatures: the 2023 one and the one current wasmer binds to
 * {@code thread_spawn_v2}; so has {@code proc_join}: the 2023 one, {@code (pid*, exit code*)}, and today's;
 * {@link io.wasix.host.WasixHost#imports(com.dylibso.chicory.wasm.WasmModule)} links
 * whichever the module imports.
 *
 * <p>Immutable; any thread.
 */
public final class WasixCatalog {
    public static final String WASIX = "wasix_32v1";
    public static final String PREVIEW1 = "wasi_snapshot_preview1";
    public static final String PREVIEW0 = "wasi_unstable";
    /**
     * The wasi-threads proposal's module. Its one function, {@code thread-spawn(i32 start) -> i32}, is what
     * wasix-libc's pthread_create has called since 2023, and wasmer links it for every module. It is not in
     * this catalog: it has no stub (it is always served), and its result is a thread id or a negated errno.
     */
    public static final String WASI_THREADS = "wasi";

    /** What a function's stub does while the host has no real implementation. */
    public enum Stub {
        /** Answers ENOTSUP (58). */
        ERRNO,
        /** Has no result to carry an errno (callback registrations): does nothing, counted as ENOTSUP. */
        IGNORED,
        /**
         * Must not return ({@code _Noreturn} in wasix-libc: exec, thread_exit, stack_restore): it ends the guest
         * with a trap that names the function, rather than return into code the compiler made unreachable.
         */
        NORETURN
    }

    /** One importable function. */
    public record Entry(String module, String name, FunctionType type, Stub stub) {
        public String key() {
            return module + "." + name;
        }
    }

    /**
     * wasix_32v1, sorted by name: {@code "name PARAMS>RESULT"}, where each parameter is I (i32) or L (i64)
     * and the result is I (i32, an errno) or V (none).
     */
    private static final String[] WASIX_FUNCTIONS = {
            "args_get II>I", "args_sizes_get II>I", "bus_call IIIIII>I", "bus_close I>I", "bus_open_local IIII>I",
            "bus_open_remote IIIIIIII>I", "bus_poll LIII>I", "bus_subcall LIIIII>I", "call_close L>V",
            "call_dynamic IIIIII>I", "call_fault LI>V", "call_reply LIII>I", "callback_reactor II>V",
            "callback_signal II>V", "callback_thread II>V", "callback_thread_local_destroy II>V", "chdir II>I",
            "clock_res_get II>I", "clock_time_get ILI>I", "clock_time_set IL>I", "closure_allocate I>I",
            "closure_free I>I", "closure_prepare IIIIIII>I", "context_create II>I", "context_destroy L>I",
            "context_switch L>I", "dl_invalid_handle I>I", "dlopen IIIIIIII>I", "dlsym IIIIII>I",
            "environ_get II>I", "environ_sizes_get II>I", "epoll_create I>I", "epoll_ctl IIII>I",
            "epoll_wait IIILI>I", "fd_advise ILLI>I", "fd_allocate ILL>I", "fd_close I>I", "fd_datasync I>I",
            "fd_dup II>I", "fd_dup2 IIII>I", "fd_event LII>I", "fd_fdflags_get II>I", "fd_fdflags_set II>I",
            "fd_fdstat_get II>I", "fd_fdstat_set_flags II>I", "fd_fdstat_set_rights ILL>I", "fd_filestat_get II>I",
            "fd_filestat_set_size IL>I", "fd_filestat_set_times ILLI>I", "fd_pipe II>I", "fd_pread IIILI>I",
            "fd_prestat_dir_name III>I", "fd_prestat_get II>I", "fd_pwrite IIILI>I", "fd_read IIII>I",
            "fd_readdir IIILI>I", "fd_renumber II>I", "fd_seek ILII>I", "fd_sync I>I", "fd_tell II>I",
            "fd_write IIII>I", "futex_wait IIII>I", "futex_wake II>I", "futex_wake_all II>I", "getcwd II>I",
            "http_request IIIIIIII>I", "http_status II>I", "path_create_directory III>I",
            "path_filestat_get IIIII>I", "path_filestat_set_times IIIILLI>I", "path_link IIIIIII>I",
            "path_open IIIIILLII>I", "path_open2 IIIIILLIII>I", "path_readlink IIIIII>I",
            "path_remove_directory III>I", "path_rename IIIIII>I", "path_symlink IIIII>I",
            "path_unlink_file III>I", "poll_oneoff IIII>I", "port_addr_add I>I", "port_addr_clear >I",
            "port_addr_list II>I", "port_addr_remove I>I", "port_bridge IIIII>I", "port_dhcp_acquire >I",
            "port_gateway_set I>I", "port_mac I>I", "port_route_add IIII>I", "port_route_clear >I",
            "port_route_list II>I", "port_route_remove I>I", "port_unbridge >I", "proc_exec IIII>V",
            "proc_exec2 IIIIII>V", "proc_exec3 IIIIIIIII>I", "proc_exit I>V", "proc_exit2 I>V", "proc_fork II>I",
            "proc_fork_env I>I", "proc_id I>I", "proc_join III>I", "proc_join II>I", "proc_parent II>I",
            "proc_raise I>I",
            "proc_raise_interval ILI>I", "proc_signal II>I", "proc_signals_get I>I", "proc_signals_sizes_get I>I",
            "proc_snapshot >I", "proc_spawn IIIIIIIIIIIII>I", "proc_spawn2 IIIIIIIIIIIIII>I", "random_get II>I",
            "reflect_signature IIIIII>I", "resolve IIIIII>I", "sched_yield >I", "sock_accept IIII>I",
            "sock_accept_v2 IIII>I", "sock_addr_local II>I", "sock_addr_peer II>I", "sock_bind II>I",
            "sock_connect II>I", "sock_get_opt_flag III>I", "sock_get_opt_size III>I", "sock_get_opt_time III>I",
            "sock_join_multicast_v4 III>I", "sock_join_multicast_v6 III>I", "sock_leave_multicast_v4 III>I",
            "sock_leave_multicast_v6 III>I", "sock_listen II>I", "sock_open IIII>I", "sock_pair IIIII>I",
            "sock_recv IIIIII>I", "sock_recv_from IIIIIII>I", "sock_send IIIII>I", "sock_send_file IILLI>I",
            "sock_send_to IIIIII>I", "sock_set_opt_flag III>I", "sock_set_opt_size IIL>I",
            "sock_set_opt_time III>I", "sock_shutdown II>I", "sock_status II>I", "stack_checkpoint II>I",
            "stack_restore IL>V", "thread_exit I>V", "thread_id I>I", "thread_join I>I",
            "thread_local_create LI>I", "thread_local_destroy I>I", "thread_local_get II>I",
            "thread_local_set IL>I", "thread_parallelism I>I", "thread_signal II>I", "thread_sleep L>I",
            "thread_spawn LLLII>I", "thread_spawn II>I", "thread_spawn_v2 II>I", "tty_get I>I", "tty_set I>I",
            "ws_connect III>I"
    };

    /** The WASI preview 1 functions; their signatures are wasix_32v1's but for sock_accept's. */
    private static final String[] PREVIEW1_NAMES = {
            "args_get", "args_sizes_get", "clock_res_get", "clock_time_get", "environ_get", "environ_sizes_get",
            "fd_advise", "fd_allocate", "fd_close", "fd_datasync", "fd_fdstat_get", "fd_fdstat_set_flags",
            "fd_fdstat_set_rights", "fd_filestat_get", "fd_filestat_set_size", "fd_filestat_set_times", "fd_pread",
            "fd_prestat_dir_name", "fd_prestat_get", "fd_pwrite", "fd_read", "fd_readdir", "fd_renumber", "fd_seek",
            "fd_sync", "fd_tell", "fd_write", "path_create_directory", "path_filestat_get",
            "path_filestat_set_times", "path_link", "path_open", "path_readlink", "path_remove_directory",
            "path_rename", "path_symlink", "path_unlink_file", "poll_oneoff", "proc_exit", "proc_raise",
            "random_get", "sched_yield", "sock_recv", "sock_send", "sock_shutdown"
    };

    /** preview1's own sock_accept: three parameters, no peer address (wasix_32v1's has four). */
    private static final String PREVIEW1_SOCK_ACCEPT = "sock_accept III>I";

    /**
     * The preview 0 functions whose memory layouts or enum values differ from preview 1 (whence values, the
     * 56-byte filestat, the 56-byte subscription, the signal numbers, which have no STKFLT): each needs its own
     * implementation, never preview 1's.
     */
    public static final Set<String> PREVIEW0_OWN_LAYOUT =
            Set.of("fd_seek", "fd_filestat_get", "path_filestat_get", "poll_oneoff", "proc_raise");

    /** The functions without a result that must not return (wasix-libc declares them {@code _Noreturn}). */
    private static final Set<String> NORETURN = Set.of("proc_exit", "proc_exit2", "thread_exit", "stack_restore",
            "proc_exec", "proc_exec2");

    private static final List<Entry> ENTRIES = build(); // last: it reads the constants above

    /**
     * {@link #find}'s index. Every registration of every boot asks it (some 400 times), and a scan of the list
     * each time was ~150,000 string comparisons, run by the interpreter, before the shard's first instance.
     */
    private static final Map<Signature, Entry> BY_SIGNATURE = index(ENTRIES);

    /**
     * What a function is known by: its import module, name and exact type. Its equals and hashCode are written
     * out: a record's own are linked through invokedynamic (ObjectMethods), which spun 12 method-handle classes
     * at every boot that the AOT cache does not keep (-Xlog:class+load).
     */
    public record Signature(String module, String name, FunctionType type) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Signature s && module.equals(s.module) && name.equals(s.name) && type.equals(s.type);
        }

        @Override
        public int hashCode() {
            return (module.hashCode() * 31 + name.hashCode()) * 31 + type.hashCode();
        }
    }

    private WasixCatalog() {}

    /** Every entry: wasix_32v1, then wasi_snapshot_preview1, then wasi_unstable, each sorted by name. */
    public static List<Entry> entries() {
        return ENTRIES;
    }

    /** The entry for module.name with this exact type, or null. */
    public static Entry find(String module, String name, FunctionType type) {
        return BY_SIGNATURE.get(new Signature(module, name, type));
    }

    /** The signatures the catalog lists for module.name (empty if none). */
    public static Set<FunctionType> types(String module, String name) {
        Set<FunctionType> out = new LinkedHashSet<>();
        for (Entry e : ENTRIES) {
            if (e.module.equals(module) && e.name.equals(name)) {
                out.add(e.type);
            }
        }
        return out;
    }

    /** Whether this host serves the import module {@code module} at all (a catalog namespace). */
    public static boolean covers(String module) {
        return module.equals(WASIX) || module.equals(PREVIEW1) || module.equals(PREVIEW0);
    }

    private static List<Entry> build() {
        List<Entry> out = new ArrayList<>();
        List<Entry> wasix = new ArrayList<>();
        for (String spec : WASIX_FUNCTIONS) {
            wasix.add(parse(WASIX, spec));
        }
        out.addAll(wasix);
        List<String> p1 = List.of(PREVIEW1_NAMES);
        for (String module : List.of(PREVIEW1, PREVIEW0)) {
            List<Entry> ns = new ArrayList<>();
            for (Entry e : wasix) {
                if (p1.contains(e.name)) {
                    ns.add(new Entry(module, e.name, e.type, e.stub));
                }
            }
            if (module.equals(PREVIEW1)) { // preview 0 has no sock_accept at all
                ns.add(parse(PREVIEW1, PREVIEW1_SOCK_ACCEPT));
            }
            // Not Comparator.comparing: its lambda is the JDK's, which the AOT cache does not keep, so it was
            // spun at every boot (-Xlog:class+load); ours is in the cache.
            ns.sort((a, b) -> a.name().compareTo(b.name()));
            out.addAll(ns);
        }
        return Collections.unmodifiableList(out);
    }

    private static Map<Signature, Entry> index(List<Entry> entries) {
        Map<Signature, Entry> out = new HashMap<>(entries.size() * 2);
        for (Entry e : entries) {
            out.put(new Signature(e.module, e.name, e.type), e);
        }
        return Collections.unmodifiableMap(out);
    }

    private static Entry parse(String module, String spec) {
        int space = spec.indexOf(' ');
        int arrow = spec.indexOf('>');
        String name = spec.substring(0, space);
        List<ValType> params = new ArrayList<>();
        for (char c : spec.substring(space + 1, arrow).toCharArray()) {
            params.add(valType(c));
        }
        char r = spec.charAt(arrow + 1);
        List<ValType> results = r == 'V' ? List.of() : List.of(valType(r));
        Stub stub = !results.isEmpty() ? Stub.ERRNO : NORETURN.contains(name) ? Stub.NORETURN : Stub.IGNORED;
        return new Entry(module, name, FunctionType.of(params, results), stub);
    }

    private static ValType valType(char c) {
        return switch (c) {
            case 'I' -> ValType.I32;
            case 'L' -> ValType.I64;
            default -> throw new IllegalArgumentException("catalog type " + c);
        };
    }
}

package io.wasix.host.fuzz;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What each host function may write in guest memory, by its arguments: its out-pointers, and the buffers its
 * caller handed it (an iovec array's buffers, a (buf, len) pair). Written from the ABI (WASIX-ABI.md and the
 * preview1 witx), not from our code, so the fuzzer checks the code against it. A function missing here is not
 * fuzzed, and {@code HostCallsFuzzTest.everyHostFunctionHasAWriteSpec} fails, naming it. Test thread.
 */
final class WriteSpecs {
    /** A byte range [from, to) of guest memory, in unsigned 32-bit offsets widened to long. */
    record Range(long from, long to) {
        boolean contains(long offset) {
            return offset >= from && offset < to;
        }
    }

    /** The ranges one call may write, computed from its arguments and memory as it was before the call. */
    @FunctionalInterface
    interface Spec {
        void ranges(long[] args, byte[] memory, List<Range> out);
    }

    private static final Map<String, Spec> SPECS = new HashMap<>();
    /** WASIX's tty struct: cols, rows, width, height (u32), then five bools (stdin/out/err tty, echo, line
     * buffered), padded to 24 bytes; tty_get writes it whole. */
    private static final int TTY_STATE = 24;

    private static void spec(String name, Spec spec) {
        SPECS.put(name, spec);
    }

    private static long u32(long v) {
        return v & 0xffffffffL;
    }

    private static long readU32(byte[] m, long at) {
        if (at < 0 || at + 4 > m.length) {
            return -1;
        }
        int i = (int) at;
        return (m[i] & 0xffL) | (m[i + 1] & 0xffL) << 8 | (m[i + 2] & 0xffL) << 16 | (m[i + 3] & 0xffL) << 24;
    }

    /** param {@code p} points at {@code n} bytes. */
    private static Spec out(int p, int n) {
        return (a, m, r) -> r.add(new Range(u32(a[p]), u32(a[p]) + n));
    }

    /** param {@code p} points at a buffer of param {@code len} bytes (times {@code each}). */
    private static Spec buf(int p, int len, int each) {
        return (a, m, r) -> r.add(new Range(u32(a[p]), u32(a[p]) + u32(a[len]) * each));
    }

    /** param {@code p} is an iovec array of param {@code n} entries: each entry's buffer. */
    private static Spec iovecs(int p, int n) {
        return (a, m, r) -> {
            long base = u32(a[p]);
            long count = Math.min(u32(a[n]), 4096);
            for (long i = 0; i < count; i++) {
                long ptr = readU32(m, base + 8 * i);
                long len = readU32(m, base + 8 * i + 4);
                if (ptr < 0 || len < 0) {
                    return; // the array itself is out of memory: the call must fail before writing
                }
                r.add(new Range(ptr, ptr + len));
            }
        };
    }

    private static Spec all(Spec... specs) {
        return (a, m, r) -> {
            for (Spec s : specs) {
                s.ranges(a, m, r);
            }
        };
    }

    static final Spec NONE = (a, m, r) -> {};

    static {
        // sockets
        spec("sock_open", out(3, 4));
        spec("sock_bind", NONE);
        spec("sock_listen", NONE);
        spec("sock_connect", NONE);
        spec("sock_accept_v2", all(out(2, 4), out(3, 20)));
        spec("sock_accept/4", all(out(2, 4), out(3, 20)));
        spec("sock_accept/3", out(2, 4));
        spec("sock_recv", all(iovecs(1, 2), out(4, 4), out(5, 2)));
        spec("sock_send", out(4, 4));
        spec("sock_shutdown", NONE);
        spec("sock_status", out(1, 1));
        spec("sock_addr_local", out(1, 20));
        spec("sock_addr_peer", out(1, 20));
        spec("sock_set_opt_flag", NONE);
        spec("sock_get_opt_flag", out(2, 1));
        spec("sock_set_opt_size", NONE);
        spec("sock_get_opt_size", out(2, 8));
        spec("sock_set_opt_time", NONE);
        spec("sock_get_opt_time", out(2, 16));
        spec("sock_send_to", out(5, 4));
        spec("sock_recv_from", all(iovecs(1, 2), out(4, 4), out(5, 2), out(6, 20)));
        spec("sock_send_file", out(4, 8));
        // epoll
        spec("epoll_create", out(0, 4));
        spec("epoll_ctl", NONE);
        spec("epoll_wait", all(buf(1, 2, 32), out(4, 4)));
        // fds and files
        spec("fd_close", NONE);
        spec("fd_read", all(iovecs(1, 2), out(3, 4)));
        spec("fd_write", out(3, 4));
        spec("fd_pread", all(iovecs(1, 2), out(4, 4)));
        spec("fd_pwrite", out(4, 4));
        spec("fd_fdstat_get", out(1, 24));
        spec("fd_fdstat_set_flags", NONE);
        spec("fd_fdstat_set_rights", NONE);
        spec("fd_seek", out(3, 8));
        spec("fd_tell", out(1, 8));
        spec("fd_filestat_get", out(1, 64));
        spec("fd_filestat_set_size", NONE);
        spec("fd_filestat_set_times", NONE);
        spec("fd_advise", NONE);
        spec("fd_allocate", NONE);
        spec("fd_sync", NONE);
        spec("fd_datasync", NONE);
        spec("fd_renumber", NONE);
        spec("fd_prestat_get", out(1, 8));
        spec("fd_prestat_dir_name", buf(1, 2, 1));
        spec("fd_dup", out(1, 4));
        spec("fd_readdir", all(buf(1, 2, 1), out(4, 4)));
        // paths
        spec("path_open", out(8, 4));
        spec("path_filestat_get", out(4, 64));
        spec("path_filestat_set_times", NONE);
        spec("path_create_directory", NONE);
        spec("path_remove_directory", NONE);
        spec("path_unlink_file", NONE);
        spec("path_rename", NONE);
        spec("path_link", NONE);
        spec("path_symlink", NONE);
        spec("path_readlink", all(buf(3, 4, 1), out(5, 4)));
        spec("getcwd", (a, m, r) -> { // (buf, len*): the path into buf, up to *len bytes; the length into *len
            r.add(new Range(u32(a[1]), u32(a[1]) + 4));
            long len = readU32(m, u32(a[1]));
            if (len >= 0) {
                r.add(new Range(u32(a[0]), u32(a[0]) + len));
            }
        });
        spec("chdir", NONE);
        // poll, process, clocks
        spec("poll_oneoff", all(buf(1, 2, 32), out(3, 4)));
        spec("args_sizes_get", all(out(0, 4), out(1, 4)));
        spec("environ_sizes_get", all(out(0, 4), out(1, 4)));
        spec("args_get", all(out(0, HostCallsFuzzTest.ARGV_POINTERS), out(1, HostCallsFuzzTest.ARGV_BYTES)));
        spec("environ_get", all(out(0, HostCallsFuzzTest.ENV_POINTERS), out(1, HostCallsFuzzTest.ENV_BYTES)));
        spec("clock_time_get", out(2, 8));
        spec("clock_res_get", out(1, 8));
        spec("random_get", buf(0, 1, 1));
        spec("sched_yield", NONE);
        spec("proc_exit", NONE);
        spec("proc_exit2", NONE);
        spec("proc_id", out(0, 4));
        spec("proc_parent", out(1, 4));
        spec("proc_join/3", all(out(0, 8), out(2, 6))); // OptionPid, JoinStatus
        spec("proc_join/2", all(out(0, 8), out(1, 4))); // the 2023 ABI: OptionPid, exit code
        spec("tty_get", out(0, TTY_STATE));
        spec("tty_set", NONE);
        // WASIX fd extras
        spec("fd_dup2", out(3, 4));
        spec("fd_event", out(2, 4));
        spec("fd_fdflags_get", out(1, 2));
        spec("fd_fdflags_set", NONE);
        spec("fd_pipe", all(out(0, 4), out(1, 4)));
        spec("path_open2", out(9, 4));
        spec("resolve", all(buf(3, 4, 18), out(5, 4))); // 18-byte entries (addr family and address)
        // threads and futexes (WASIX-THREADS.md)
        spec("thread_spawn/5", out(4, 4)); // the 2023 ABI: (user_data, stack_base, stack_start, reactor, ret_tid*)
        spec("thread_spawn/2", out(1, 4)); // (ThreadStart*, ret_tid*), as thread_spawn_v2
        spec("thread_spawn_v2", out(1, 4));
        spec("thread-spawn", NONE); // wasi-threads: (ThreadStart*) -> tid, or the errno negated
        spec("thread_join", NONE);
        spec("thread_id", out(0, 4));
        spec("thread_parallelism", out(0, 4));
        spec("thread_sleep", NONE);
        spec("thread_exit", NONE);
        spec("thread_local_create", out(1, 4));
        spec("thread_local_set", NONE);
        spec("thread_local_get", out(1, 8));
        spec("thread_local_destroy", NONE);
        spec("futex_wait", out(3, 1)); // (addr, expected, timeout*, woken*): woken is a bool
        spec("futex_wake", out(1, 1));
        spec("futex_wake_all", out(1, 1));
        // signals, setjmp/longjmp
        spec("callback_signal", NONE);
        spec("thread_signal", NONE);
        spec("proc_raise", NONE);
        spec("proc_raise_interval", NONE);
        spec("proc_signals_sizes_get", out(0, 4));
        spec("proc_signals_get", NONE); // an array of proc_signals_sizes_get's count: 0 here
        spec("stack_checkpoint", all(out(0, 24), out(1, 8))); // (snapshot*, ret*): the 24-byte jmp_buf, a u64
        spec("stack_restore", NONE);
    }

    private WriteSpecs() {}

    /** The spec of a host function by name and arity (sock_accept has two), or null. */
    static Spec of(String name, int params) {
        Spec s = SPECS.get(name + "/" + params);
        return s != null ? s : SPECS.get(name);
    }

    static List<Range> ranges(Spec spec, long[] args, byte[] memory) {
        List<Range> r = new ArrayList<>();
        spec.ranges(args, memory, r);
        return r;
    }
}

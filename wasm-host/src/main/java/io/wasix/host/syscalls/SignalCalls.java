package io.wasix.host.syscalls;

import static com.dylibso.chicory.wasm.types.ValType.I32;
import static com.dylibso.chicory.wasm.types.ValType.I64;
import static io.wasix.host.syscalls.HostFunctions.i32s;

import com.dylibso.chicory.runtime.Instance;
import io.wasix.host.abi.Errno;
import io.wasix.host.abi.GuestMemory;
import io.wasix.host.thread.GuestThread;
import io.wasix.host.thread.GuestThreads;
import io.wasix.host.thread.Signals;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Signals: callback_signal (the handler export), thread_signal, proc_raise (in all three namespaces),
 * proc_raise_interval (timers), and proc_signals_sizes_get/proc_signals_get, which tell the guest's libc the
 * signal dispositions it inherited: none here, as nothing starts a guest but the host. Delivery is
 * {@link Signals}'.
 *
 * <p>Signal numbers are Linux's, as wasix-libc passes them, in wasix_32v1 and preview 1; preview 0's have no
 * STKFLT (16), so its numbers from 16 up are one less. proc_raise_interval's interval is in nanoseconds, as
 * wasix-libc's setitimer (its only caller) passes it (wasmer reads milliseconds there, so a 100 ms setitimer
 * fires after 28 hours on wasmer).
 *
 * <p>Threading: any guest thread, holding the shard lock (direct mode: the one guest thread).
 */
final class SignalCalls {
    /** A name longer than any export a module could have. */
    private static final int MAX_NAME = 4096;
    /** The tid wasix-libc gives its main thread (see threadSignal). */
    private static final int LIBC_MAIN_TID = 0x3fffffff;
    /** Preview 0's signal enum stops one short: SYS is 30 there. */
    private static final int PREVIEW0_STKFLT = 16, PREVIEW0_MAX = 30;

    private final GuestThreads threads;
    private final Signals signals;

    SignalCalls(GuestState state) {
        this.threads = state.threads;
        this.signals = state.threads.signals();
    }

    void register(HostFunctions r) {
        r.wasixVoidOf("callback_signal", i32s(2), (m, i, a) -> callback(m, i, (int) a[0], (int) a[1]));
        r.wasix("thread_signal", i32s(2), (m, a) -> threadSignal((int) a[0], (int) a[1]));
        HostFunctions.Call raise = (m, a) -> raise((int) a[0]);
        r.add(HostFunctions.PREVIEW1, "proc_raise", i32s(1), raise);
        r.add(HostFunctions.WASIX, "proc_raise", i32s(1), raise);
        r.preview0("proc_raise", i32s(1), (m, a) -> raise(fromPreview0((int) a[0])));
        r.wasix("proc_raise_interval", List.of(I32, I64, I32), (m, a) -> {
            int sig = (int) a[0];
            if (sig <= 0 || sig > Signals.MAX) {
                throw Errno.INVAL.fail();
            }
            signals.raiseEvery(sig, a[1] < 0 ? Long.MAX_VALUE : a[1], (int) a[2] != 0);
            return 0;
        });
        r.wasix("proc_signals_sizes_get", i32s(1), (m, a) -> {
            m.check((int) a[0], 4);
            m.writeI32((int) a[0], 0);
            return 0;
        });
        r.wasix("proc_signals_get", i32s(1), (m, a) -> 0); // zero entries to write
    }

    /**
     * callback_signal(name, len): the handler export. Nothing is returned to the guest; a bad name is
     * counted as an error (EFAULT, or EINVAL for a name that is not UTF-8 or not an {@code (i32) -> ()}
     * export) and changes nothing.
     */
    private int callback(GuestMemory m, Instance caller, int name, int len) {
        if (len < 0 || len > MAX_NAME) {
            throw Errno.INVAL.fail();
        }
        byte[] bytes = m.readBytes(name, len);
        String export;
        try {
            export = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw Errno.INVAL.fail();
        }
        if (!signals.register(caller, export)) {
            throw Errno.INVAL.fail();
        }
        signals.takeOn(threads.current()); // what waited for a handler is taken now, as wasmer does
        return 0;
    }

    /** thread_signal(tid, sig), pthread_kill's: ESRCH for a thread that is not running (wasmer: 0, lost). */
    private int threadSignal(int tid, int sig) {
        if (!Signals.valid(sig)) {
            throw Errno.INVAL.fail();
        }
        // wasix-libc gives its main thread the tid 0x3fffffff (__init_tp: outside the host's 1..0x1fffffff, so
        // its tid-based locks work before the host is asked), and raise(3) sends to that tid; wasmer maps it
        // to the main thread too.
        GuestThread target = threads.byTid(tid == LIBC_MAIN_TID ? GuestThreads.MAIN_TID : tid);
        if (target == null) {
            throw Errno.SRCH.fail();
        }
        signals.send(target, sig);
        signals.takeOn(threads.current()); // raise(3) is thread_signal to itself: handled before it returns
        return 0;
    }

    /** proc_raise(sig), raise(3): the calling thread's handler runs before the call returns. */
    private int raise(int sig) {
        if (!Signals.valid(sig)) {
            throw Errno.INVAL.fail();
        }
        GuestThread self = threads.current();
        signals.send(self, sig);
        signals.takeOn(self);
        return 0;
    }

    private static int fromPreview0(int sig) {
        if (sig < 0 || sig > PREVIEW0_MAX) {
            return -1;
        }
        return sig >= PREVIEW0_STKFLT ? sig + 1 : sig;
    }
}

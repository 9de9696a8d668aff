package io.wasix.host.syscalls;

import static io.wasix.host.syscalls.HostFunctions.i32s;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import io.wasix.host.GuestStoppedException;
import io.wasix.host.abi.Errno;
import io.wasix.host.abi.GuestMemory;
import io.wasix.host.abi.SharedMemory;
import io.wasix.host.abi.WasiException;
import io.wasix.host.net.GuestLoop;
import io.wasix.host.thread.Signals;

/**
 * futex_wait, futex_wake and futex_wake_all, on the memory's own wait queues: the same ones wasm's
 * {@code memory.atomic.wait32/notify} use, so a futex_wake wakes an atomic wait and a notify wakes a
 * futex_wait (wasmer keeps a table of its own, where they would not meet).
 *
 * <p>futex_wait(addr, expected, timeout*, woken*): a value other than {@code expected} answers at once with
 * woken = 1 (never an error: wasix-libc traps on any errno here); else it waits, the shard lock released,
 * until a wake (woken = 1) or the timeout, an OptionTimestamp of relative nanoseconds (woken = 0). With one
 * guest thread, or a memory that is not shared, nobody can wake it: it sleeps out its timeout, as Linux would,
 * serving IO meanwhile, and without one it waits until the guest is stopped. A signal sent to the waiting
 * thread ends the wait: its handler runs, and the call answers woken = 1, a spurious wake-up its caller
 * checks for anyway. futex_wake wakes one waiter and futex_wake_all all of them; woken says whether one was
 * there.
 *
 * <p>Threading: any guest thread, without the shard lock: they touch nothing but the memory, whose wait
 * queues are safe for threads (direct mode: the one guest thread). The one-thread path waits through the
 * loop, which takes the lock itself.
 */
final class FutexCalls {
    private static final int OPTION_SOME = 1;

    private final GuestState state;

    FutexCalls(GuestState state) {
        this.state = state;
    }

    void register(HostFunctions r) {
        r.wasixUnlocked("futex_wait", i32s(4), (m, i, a) -> await(m, i, (int) a[0], (int) a[1], (int) a[2], (int) a[3]));
        r.wasixUnlocked("futex_wake", i32s(2), (m, i, a) -> wake(m, i, (int) a[0], (int) a[1], 1));
        r.wasixUnlocked("futex_wake_all", i32s(2), (m, i, a) -> wake(m, i, (int) a[0], (int) a[1], -1));
    }

    private int await(GuestMemory m, Instance instance, int addr, int expected, int timeoutPtr, int wokenPtr) {
        m.check(addr, 4);
        m.check(timeoutPtr, 16);
        m.check(wokenPtr, 1);
        if ((addr & 3) != 0) {
            throw Errno.INVAL.fail(); // wasm's atomics trap on it; libc checks before it calls
        }
        long timeout = m.readU8(timeoutPtr) == OPTION_SOME ? m.readI64(timeoutPtr + 8) : -1; // u64: past 2^63, none
        Memory memory = instance.memory();
        // Chicory's own memory cannot do atomics unless shared (JDK 25): a plain read is all one thread needs.
        int now = memory.shared() ? memory.atomicReadInt(addr) : m.readI32(addr);
        if (now != expected) {
            m.writeU8(wokenPtr, 1);
            return 0;
        }
        GuestLoop loop = state.net.loop();
        Signals signals = state.threads.signals();
        boolean woken;
        if (state.threads.threaded() && memory.shared()) {
            int result = waitOn(memory, addr, expected, timeout, signals);
            // 0 woken, 1 the value had changed by then, 2 timed out; -1 interrupted (a stop); CANCELLED: a
            // signal came, whose handler runs now. The guest re-checks its futex whenever it is woken.
            if (result == -1 && loop.stopped()) {
                throw new GuestStoppedException();
            }
            if (result == SharedMemory.CANCELLED) {
                signals.take();
            }
            woken = result != 2;
        } else {
            try {
                loop.await(() -> false, GuestLoop.deadline(timeout));
                woken = false;
            } catch (WasiException e) {
                if (e.errno() != Errno.INTR) {
                    throw e;
                }
                woken = true; // a signal's handler ran: a spurious wake-up (libc traps on any errno here)
            }
        }
        m.writeU8(wokenPtr, woken ? 1 : 0);
        return 0;
    }

    private static int waitOn(Memory memory, int addr, int expected, long timeout, Signals signals) {
        try {
            if (memory instanceof SharedMemory shared) {
                return shared.waitUnless(addr, expected, timeout, signals::pending);
            }
            return memory.atomicWait(addr, expected, timeout);
        } catch (ChicoryInterruptedException e) {
            Thread.interrupted(); // Chicory sets the flag again; the caller decides what the interrupt meant
            return -1;
        }
    }

    private static int wake(GuestMemory m, Instance instance, int addr, int wokenPtr, int count) {
        m.check(addr, 4);
        m.check(wokenPtr, 1);
        if ((addr & 3) != 0) {
            throw Errno.INVAL.fail();
        }
        Memory memory = instance.memory();
        int n = memory.shared() ? memory.atomicNotify(addr, count) : 0;
        m.writeU8(wokenPtr, n > 0 ? 1 : 0);
        return 0;
    }
}

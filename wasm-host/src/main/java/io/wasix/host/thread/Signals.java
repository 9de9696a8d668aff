package io.wasix.host.thread;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.wasix.host.GuestExitException;
import io.wasix.host.net.GuestLoop;
import io.wasix.host.net.ShardLock;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * The signals of one guest, as wasmer delivers them: synchronously, on the thread they were sent to, at the
 * start of its next host call or while it waits in one. Until the guest names a handler (callback_signal,
 * which wasix-libc calls with {@code __wasm_signal}) a signal gets wasmer's default action: INT and KILL end
 * the guest with status 27 (EINTR), QUIT and ABRT with 0, PIPE with 64 (EPIPE), and every other one is
 * dropped. With a handler, each signal calls it once, {@code handler(sig)}, on the target thread's own
 * instance, without the shard lock; signals that come while it runs wait until it returns, and a repeat of
 * one not yet taken merges with it, as standard signals do on Linux.
 *
 * <p>Who gets what: thread_signal the named thread; proc_raise the caller (raise(3)'s thread), before it
 * returns; a timer and the appliance's stop signal the process, that is its main thread while it runs, else
 * its lowest-numbered thread. A thread blocked in a wait is woken to take it (see {@link GuestLoop.OnSignal}
 * for what the wait does next); one in futex_wait returns as if woken, which libc's callers treat as a
 * spurious wake-up.
 *
 * <p>Threading: {@link #send} is called holding the shard lock (threaded mode), by a guest thread or by the
 * timer thread through {@link #sendToProcess}, which takes it; the JVM's signal thread sends through
 * {@link #sendToProcess} too. Taking signals happens on the target thread itself. {@link #handler} is
 * volatile: set by a guest thread, read by every thread.
 */
public final class Signals implements GuestLoop.Interrupts {
    /** Signal numbers as wasix_32v1 and preview 1 carry them (Linux's; wasix-libc passes its own straight). */
    public static final int INT = 2, QUIT = 3, ABRT = 6, KILL = 9, PIPE = 13, ALRM = 14, TERM = 15;
    /** The highest signal (SYS). */
    public static final int MAX = 31;
    private static final FunctionType HANDLER = FunctionType.of(List.of(ValType.I32), List.of());
    /** wasmer's exit statuses for a signal's default action: EINTR, and EPIPE for PIPE. */
    private static final int EXIT_INTR = 27, EXIT_PIPE = 64;

    private final GuestThreads threads;
    private final GuestLoop loop;
    private final ShardLock lock;
    private final SignalTimers timers = new SignalTimers();
    private volatile String handler;

    Signals(GuestThreads threads, GuestLoop loop) {
        this.threads = threads;
        this.loop = loop;
        this.lock = loop == null ? ShardLock.none() : loop.lock();
    }

    /** Whether {@code sig} names a signal (0, "none", included: it is sent nowhere). */
    public static boolean valid(int sig) {
        return sig >= 0 && sig <= MAX;
    }

    /**
     * callback_signal: signals call {@code export} from now on, if {@code caller}'s module exports a function
     * of that name taking the signal, {@code (i32) -> ()}. Anything else leaves the handler as it was.
     *
     * @return whether the handler was set
     */
    public boolean register(Instance caller, String export) {
        if (!GuestThreads.exports(caller, export, HANDLER)) {
            return false;
        }
        handler = export;
        return true;
    }

    /** Whether the guest named a handler: the appliance's stop signal then goes to it. Any thread. */
    public boolean handlerRegistered() {
        return handler != null;
    }

    /** Sends {@code sig} to {@code target} and wakes it if it waits. Lock held (threaded mode). */
    public void send(GuestThread target, int sig) {
        if (sig == 0 || target.finished) {
            return;
        }
        target.pendingSignals.getAndUpdate(p -> p | 1 << sig);
        if (target.thread == Thread.currentThread()) {
            return; // the caller itself: it takes it before its call returns
        }
        loop.wakeForSignal();
        if (threads.threaded() && target.thread != null) {
            LockSupport.unpark(target.thread); // one parked in futex_wait checks for signals (a spare unpark is harmless)
        }
    }

    /** Sends {@code sig} to the process (see the class comment). Any thread; takes the shard lock. */
    public void sendToProcess(int sig) {
        lock.lock();
        try {
            GuestThread target = threads.processTarget();
            if (target != null) {
                send(target, sig);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * proc_raise_interval: {@code sig} to the process after {@code intervalNanos} (at least 1 ms), and then
     * every interval when {@code repeat}; an interval of 0 cancels the signal's timer. One timer per signal: a
     * new one replaces it.
     */
    public void raiseEvery(int sig, long intervalNanos, boolean repeat) {
        if (intervalNanos == 0) {
            timers.cancel(sig);
        } else {
            timers.set(sig, intervalNanos, repeat, token -> fire(sig, token));
        }
    }

    /**
     * A timer fired (timer thread): its signal goes to the process unless the timer was cancelled or replaced
     * meanwhile. In threaded mode the guest changes its timers holding the shard lock, taken here first; in
     * direct mode, with no lock, the timers' monitor, held until the signal is sent, orders the two.
     */
    private void fire(int sig, Object token) {
        lock.lock();
        try {
            synchronized (timers) {
                if (timers.isCurrent(sig, token)) {
                    GuestThread target = threads.processTarget();
                    if (target != null) {
                        send(target, sig);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code task} after {@code delayNanos} on the timer thread, unless the guest ends first. */
    public void after(long delayNanos, Runnable task) {
        timers.after(delayNanos, task);
    }

    /** The guest has ended: its timers stop. Any thread. */
    public void close() {
        timers.close();
    }

    /** Whether {@link #take} would take something: the same conditions as {@link #takeOn}'s, or a wait would spin. */
    @Override
    public boolean pending() {
        GuestThread t = threads.current();
        return t.pendingSignals.get() != 0 && !t.inHandler && !t.rewinding && t.instance != null;
    }

    @Override
    public void take() {
        takeOn(threads.current());
    }

    /**
     * Takes the signals waiting for {@code t}, the calling thread: at the start of each host call, in waits,
     * and before thread_signal or proc_raise return to a caller that signalled itself. Nothing happens while
     * its handler runs, while it rewinds its stack (setjmp), or before it has an instance. Lock held or not.
     */
    public void takeOn(GuestThread t) {
        if (t.pendingSignals.get() == 0 || t.inHandler || t.rewinding || t.instance == null) {
            return;
        }
        String name = handler;
        if (name == null) {
            defaultActions(t.pendingSignals.getAndSet(0));
            return;
        }
        t.inHandler = true;
        int[] left = {0};
        try {
            lock.outside(() -> {
                int bits;
                while ((bits = t.pendingSignals.getAndSet(0)) != 0) {
                    left[0] = bits;
                    while (left[0] != 0) {
                        int sig = Integer.numberOfTrailingZeros(left[0]);
                        left[0] &= ~(1 << sig);
                        EntryCall.call(t, t.instance, name, sig);
                    }
                }
                return null;
            });
        } finally {
            t.inHandler = false;
            if (left[0] != 0) {
                // A handler left by longjmp or an exit: the signals taken with it but not yet handled stay.
                int rest = left[0];
                t.pendingSignals.getAndUpdate(p -> p | rest);
            }
        }
    }

    /** What signals do before the guest names a handler: wasmer's choice, exits for a few, nothing for others. */
    private static void defaultActions(int bits) {
        for (int sig = 1; sig <= MAX; sig++) {
            if ((bits & 1 << sig) == 0) {
                continue;
            }
            switch (sig) {
                case INT, KILL -> throw new GuestExitException(EXIT_INTR);
                case QUIT, ABRT -> throw new GuestExitException(0);
                case PIPE -> throw new GuestExitException(EXIT_PIPE);
                default -> { } // dropped
            }
        }
    }
}

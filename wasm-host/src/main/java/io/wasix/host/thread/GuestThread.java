package io.wasix.host.thread;

import com.dylibso.chicory.runtime.Instance;
import io.wasix.host.Heartbeat;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One guest thread: its id, the JVM platform thread that runs it, the Chicory instance it runs over the
 * shard's shared memory, its stack (as the spawn call described it; the main thread's is found when it
 * starts), its thread-local values, the signals sent to it and the host's calls into its instance that are
 * running now (for setjmp/longjmp).
 *
 * <p>Threading: {@link #tid} and {@link #heartbeat} are fixed (the heartbeat is written only by the thread
 * itself, see {@link Heartbeat}), and so are the stack bounds once the thread runs guest code.
 * {@link #pendingSignals} is set by any thread and taken by this one. {@link #instance} is set by the thread
 * itself before it runs guest code. The signal, rewind and entry fields are the thread's own: only it reads
 * or writes them. Every other field is guarded by the shard lock.
 */
public final class GuestThread {
    final int tid;
    /** The lowest and the highest address of the thread's stack, 0 when not known. */
    long stackLower, stackUpper;
    Thread thread;
    /** Beaten by every host call of this thread, for a watchdog. */
    final Heartbeat heartbeat;
    volatile Instance instance;
    /** Running guest code (or about to): a stop interrupts it. Cleared, for good, when it ends. */
    boolean interruptible;
    boolean finished;
    /** The 2023 ABI's thread-local keys this thread set, in the order it first set them. */
    final Map<Integer, Long> locals = new LinkedHashMap<>();
    /** Signals sent to this thread and not taken yet: bit n stands for signal n, so a repeat before it is taken merges. */
    final AtomicInteger pendingSignals = new AtomicInteger();
    /** Running the guest's signal handler: no other signal is taken meanwhile (they wait, as blocked ones do). */
    boolean inHandler;
    /** The host's calls into this thread's instance now running, innermost first (see {@link EntryCall}). */
    final Deque<EntryCall.Frame> entries = new ArrayDeque<>();
    /** Rewinding to a stack checkpoint: the value its stack_checkpoint call gives back, once it is reached. */
    boolean rewinding;
    long rewindValue;
    /** The module's asyncify exports and stack pointer, looked up at the first checkpoint; see {@link Asyncify}. */
    Asyncify asyncify;

    GuestThread(int tid, long stackLower, long stackUpper, Thread runner) {
        this.tid = tid;
        this.heartbeat = new Heartbeat(runner);
        this.stackLower = stackLower;
        this.stackUpper = stackUpper;
    }

    /** The guest's thread id: 1 for the main thread, then 2, 3... in spawn order, never reused. */
    public int tid() {
        return tid;
    }

    public long stackLower() {
        return stackLower;
    }

    public long stackUpper() {
        return stackUpper;
    }

    public Heartbeat heartbeat() {
        return heartbeat;
    }

    public Instance instance() {
        return instance;
    }
}

package io.wasix.host.thread;

import com.dylibso.chicory.runtime.Instance;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One guest thread: its id, the JVM platform thread that runs it, the Chicory instance it runs over the
 * shard's shared memory, its stack (as the spawn call described it, for the setjmp/longjmp support built on
 * it later) and its thread-local values.
 *
 * <p>Threading: {@link #tid} and the stack bounds are fixed. Every other field is guarded by the shard lock,
 * except {@link #instance}, which the thread itself sets before it runs guest code and reads after.
 */
public final class GuestThread {
    final int tid;
    /** The lowest and the highest address of the thread's stack, 0 when not known (the main thread). */
    final long stackLower, stackUpper;
    Thread thread;
    volatile Instance instance;
    /** Running guest code (or about to): a stop interrupts it. Cleared, for good, when it ends. */
    boolean interruptible;
    boolean finished;
    /** The 2023 ABI's thread-local keys this thread set, in the order it first set them. */
    final Map<Integer, Long> locals = new LinkedHashMap<>();

    GuestThread(int tid, long stackLower, long stackUpper) {
        this.tid = tid;
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

    public Instance instance() {
        return instance;
    }
}

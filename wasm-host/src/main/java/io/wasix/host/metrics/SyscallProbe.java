package io.wasix.host.metrics;

/**
 * Where one host function reports its calls: its counter (when counted), its trace (when traced), and its
 * family's JFR event. The host-function wrapper calls {@link #beginEvent()} and {@link #timed()} before the
 * call and count, trace or commit after it; with nothing asked for, that is two field reads and no
 * allocation. The guest thread only (threaded mode: one guest thread at a time, under the shard lock).
 */
public final class SyscallProbe {
    private final String syscall;
    private final SyscallFamily family;
    private final boolean firstArgIsFd;
    private final SyscallCounter counter;
    private final SyscallTrace trace;
    private final boolean timed;
    private final int shard;

    SyscallProbe(String syscall, SyscallFamily family, boolean firstArgIsFd, SyscallCounter counter,
            SyscallTrace trace, int shard) {
        this.syscall = syscall;
        this.family = family;
        this.firstArgIsFd = firstArgIsFd;
        this.counter = counter;
        this.trace = trace;
        this.timed = counter != null || trace != null;
        this.shard = shard;
    }

    /** A started JFR event when a recording asks for this family, else null. */
    public SyscallEvent beginEvent() {
        return SyscallEvents.begin(family);
    }

    /** Whether the call must be timed (counted or traced). */
    public boolean timed() {
        return timed;
    }

    /** Whether each call prints a trace line. */
    public boolean traced() {
        return trace != null;
    }

    /*
     * The wrapper reports in three steps so that the common one, counting, takes only primitives: if the
     * guest's argument array reached a method the JIT does not inline, escape analysis would have to
     * allocate it (and the result array) on every call. Tracing and JFR take the arrays on their own
     * branches, which the JIT prunes while they are never taken.
     */

    /** Counts a call of {@code nanos} in the host that answered {@code errno} (when counted). */
    public void count(long nanos, int errno) {
        if (counter != null) {
            counter.record(nanos, errno);
        }
    }

    /**
     * Prints the call's trace line; {@code returned} is false when it ended the guest (proc_exit, stop);
     * {@code thread} names the guest thread in a threaded guest's lines (0: a direct-mode guest, not named).
     */
    public void trace(long[] args, long nanos, int errno, boolean returned, int thread) {
        trace.print(args, firstArgIsFd, errno, nanos, returned, thread);
    }

    /** Fills in and commits a JFR event begun by {@link #beginEvent()}. */
    public void commit(SyscallEvent event, long[] args, int errno, boolean returned) {
        event.syscall = syscall;
        event.fd = firstArgIsFd && args.length > 0 ? (int) args[0] : -1;
        event.errno = returned ? SyscallStats.errnoName(errno) : "ENDED";
        event.shard = shard;
        event.commit();
    }
}

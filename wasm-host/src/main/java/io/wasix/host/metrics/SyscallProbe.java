package io.wasix.host.metrics;

/**
 * Where one host function reports its calls: its counter (when counted), its trace (when traced), and its
 * family's JFR event. The host-function wrapper calls {@link #beginEvent()} and {@link #timed()} before the
 * call and {@link #end} after it; with nothing asked for, that is two field reads and no allocation.
 * Guest thread only.
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

    /**
     * Reports a call that started at {@code startNanos} (System.nanoTime(), when {@link #timed()}) and
     * answered {@code errno}; {@code returned} is false when it ended the guest instead (proc_exit, stop).
     */
    public void end(SyscallEvent event, long startNanos, long[] args, int errno, boolean returned) {
        if (timed) {
            long nanos = System.nanoTime() - startNanos;
            if (counter != null) {
                counter.record(nanos, errno);
            }
            if (trace != null) {
                trace.print(args, firstArgIsFd, errno, nanos, returned);
            }
        }
        if (event != null) {
            event.syscall = syscall;
            event.fd = firstArgIsFd && args.length > 0 ? (int) args[0] : -1;
            event.errno = returned ? SyscallStats.errnoName(errno) : "ENDED";
            event.shard = shard;
            event.commit();
        }
    }
}

package io.wasix.host.metrics;

import io.wasix.host.abi.Errno;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One syscall's counts on one shard: calls, time in the host, its histogram, and errors by errno.
 *
 * <p>Threading: one writer at a time (the shard's guest thread; in threaded mode, the guest thread holding the
 * shard lock, whose hand-offs order the writes), so an update is a plain read and an opaque write, with no
 * atomic read-modify-write. Any thread may {@link #snapshot()}: opaque reads see
 * whole values that the writer published, each as recent as the hardware makes it; the fields of one
 * snapshot may be a call apart.
 */
public final class SyscallCounter {
    private static final VarHandle CELLS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int CALLS = 0, NANOS = 1, MAX = 2, BUCKET0 = 3, ERRNO0 = BUCKET0 + Histogram.BUCKETS;
    private static final Errno[] ERRNOS = Errno.values();

    private final String syscall;
    private final long[] cells = new long[ERRNO0 + ERRNOS.length];

    SyscallCounter(String syscall) {
        this.syscall = syscall;
    }

    public String syscall() {
        return syscall;
    }

    /** Records one call that spent {@code nanos} in the host and answered {@code errno}. One writer at a time. */
    public void record(long nanos, int errno) {
        bump(BUCKET0 + Histogram.bucketOf(nanos), 1);
        bump(NANOS, nanos);
        if (nanos > cells[MAX]) {
            CELLS.setOpaque(cells, MAX, nanos);
        }
        if (errno != 0) {
            bump(ERRNO0 + (errno > 0 && errno < ERRNOS.length ? errno : Errno.UNKNOWN.code()), 1);
        }
        bump(CALLS, 1);
    }

    private void bump(int cell, long delta) {
        CELLS.setOpaque(cells, cell, cells[cell] + delta);
    }

    private long read(int cell) {
        return (long) CELLS.getOpaque(cells, cell);
    }

    /** What has been recorded so far. Any thread. */
    public SyscallStats snapshot() {
        long calls = read(CALLS);
        long nanos = read(NANOS);
        long max = read(MAX);
        long[] buckets = new long[Histogram.BUCKETS];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = read(BUCKET0 + i);
        }
        long[] errors = new long[ERRNOS.length];
        for (int i = 1; i < errors.length; i++) {
            errors[i] = read(ERRNO0 + i);
        }
        return new SyscallStats(syscall, calls, nanos, max, buckets, errors);
    }
}

package io.wasix.host.metrics;

import io.wasix.host.abi.Errno;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A read-only copy of one syscall's counts (one shard, or several added together). Immutable; any thread.
 *
 * @param calls how many calls returned (or ended the guest)
 * @param nanos total time spent in the host by those calls
 * @param maxNanos the longest of those calls
 * @param buckets the histogram of time in the host, bucket bounds from {@link Histogram}
 * @param errorsByCode error count by errno wire code (index 0, success, is always 0)
 */
public record SyscallStats(String syscall, long calls, long nanos, long maxNanos, long[] buckets, long[] errorsByCode) {

    public SyscallStats {
        buckets = buckets.clone();
        errorsByCode = errorsByCode.clone();
    }

    @Override
    public long[] buckets() {
        return buckets.clone();
    }

    /** Calls that answered an errno other than success. */
    public long errors() {
        return Arrays.stream(errorsByCode).sum();
    }

    /** Errors by errno name ("EAGAIN"), only the errnos that occurred, in wire order. */
    public Map<String, Long> errorsByName() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 1; i < errorsByCode.length; i++) {
            if (errorsByCode[i] != 0) {
                m.put(errnoName(i), errorsByCode[i]);
            }
        }
        return m;
    }

    /** Calls in the histogram: the sum of its buckets, which a concurrent snapshot keeps consistent. */
    public long histogramCount() {
        return Arrays.stream(buckets).sum();
    }

    /**
     * The {@code q} quantile (0..1) of time in the host, interpolated linearly inside its bucket as
     * Prometheus's histogram_quantile does, and never above the longest call; 0 without calls. Its
     * resolution is the bucket's width.
     */
    public double quantileNanos(double q) {
        long total = histogramCount();
        if (total == 0) {
            return 0;
        }
        double rank = q * total;
        long seen = 0;
        for (int i = 0; i < buckets.length; i++) {
            if (buckets[i] == 0 || seen + buckets[i] < rank) {
                seen += buckets[i];
                continue;
            }
            long lo = Histogram.lowerBoundNanos(i);
            if (i == buckets.length - 1) {
                return Math.max(lo, maxNanos); // unbounded: the longest call is the best we know
            }
            long hi = Histogram.upperBoundNanos(i);
            return Math.min(lo + (hi - lo) * ((rank - seen) / buckets[i]), atMost());
        }
        return Histogram.lowerBoundNanos(buckets.length - 1);
    }

    /** The longest call bounds every quantile (a snapshot taken mid-update may lack it: then no bound). */
    private double atMost() {
        return maxNanos > 0 ? maxNanos : Double.MAX_VALUE;
    }

    /** The sum of two counts of the same syscall (shards into a total). */
    public SyscallStats plus(SyscallStats o) {
        long[] b = buckets.clone();
        for (int i = 0; i < b.length; i++) {
            b[i] += o.buckets[i];
        }
        long[] e = errorsByCode.clone();
        for (int i = 0; i < e.length; i++) {
            e[i] += o.errorsByCode[i];
        }
        return new SyscallStats(syscall, calls + o.calls, nanos + o.nanos, Math.max(maxNanos, o.maxNanos), b, e);
    }

    /** The name of an errno as metrics, trace lines and events spell it: "EAGAIN", and "SUCCESS" for 0. */
    public static String errnoName(int code) {
        Errno e = Errno.of(code);
        return e == Errno.SUCCESS ? "SUCCESS" : "E" + e.name();
    }
}

package io.wasix.host.metrics;

/**
 * The fixed buckets of time in the host: bucket i holds calls that took at most 2^(i + MIN_SHIFT) ns, so
 * 128 ns up to about 8.6 s, and the last bucket holds everything slower. Powers of two make the bucket a
 * count of leading zeros: no search and no floating point on the guest's thread. Stateless; any thread.
 */
public final class Histogram {
    private static final int MIN_SHIFT = 7;
    private static final int MAX_SHIFT = 33;
    /** Number of buckets, the last one unbounded (+Inf). */
    public static final int BUCKETS = MAX_SHIFT - MIN_SHIFT + 2;

    private Histogram() {}

    /** The bucket a duration falls in. */
    static int bucketOf(long nanos) {
        if (nanos <= 1L << MIN_SHIFT) {
            return 0;
        }
        int ceilLog2 = 64 - Long.numberOfLeadingZeros(nanos - 1);
        return Math.min(ceilLog2 - MIN_SHIFT, BUCKETS - 1);
    }

    /** The inclusive upper bound of bucket {@code i} in nanoseconds; Long.MAX_VALUE for the last one. */
    public static long upperBoundNanos(int i) {
        return i >= BUCKETS - 1 ? Long.MAX_VALUE : 1L << (i + MIN_SHIFT);
    }

    /** The exclusive lower bound of bucket {@code i} in nanoseconds (0 for the first). */
    public static long lowerBoundNanos(int i) {
        return i == 0 ? 0 : upperBoundNanos(i - 1);
    }
}

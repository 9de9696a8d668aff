package io.wasix.host.abi;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Whether the JVM's heap can hold a guest memory's growth and still keep a reserve for the host itself
 * (Netty's objects per connection, the fd tables, the admin port): guest memories live in the heap, so a
 * guest that outgrows it must get -1 from memory.grow, as a guest written for a small machine expects,
 * before the host runs out and fails somewhere no guest asked for memory.
 *
 * <p>"Used" as the runtime reports it counts garbage too: a restarted shard's old memory is garbage until the
 * next full collection. So a grow that seems not to fit asks for a full collection and looks again, at most
 * once per {@link #COLLECT_INTERVAL_NANOS} for the whole JVM: a guest that keeps asking past the heap then
 * costs one collection a second, not one per call.
 *
 * <p>Threading: any thread (every shard's guest threads share the one heap); lock-free.
 */
public final class HeapReserve {
    private static final long MIB = 1L << 20;
    /** The reserve is an eighth of the heap, and at least this much. */
    private static final long MIN_RESERVE = 8 * MIB;
    static final long COLLECT_INTERVAL_NANOS = 1_000_000_000L;

    private static final HeapReserve JVM = new HeapReserve(Runtime.getRuntime().maxMemory());

    private final long maxHeap;
    private final long reserve;
    private final AtomicLong lastCollect = new AtomicLong(System.nanoTime() - COLLECT_INTERVAL_NANOS);

    HeapReserve(long maxHeap) {
        this.maxHeap = maxHeap;
        this.reserve = reserveFor(maxHeap);
    }

    /** The one heap of this JVM. */
    public static HeapReserve jvm() {
        return JVM;
    }

    /** What the host keeps for itself in a heap of {@code maxHeap} bytes. */
    public static long reserveFor(long maxHeap) {
        return Math.min(maxHeap / 2, Math.max(MIN_RESERVE, maxHeap / 8));
    }

    public long maxHeap() {
        return maxHeap;
    }

    public long reserve() {
        return reserve;
    }

    /** Whether {@code bytes} more can be allocated with the reserve kept; may run a full collection (see above). */
    public boolean canHold(long bytes) {
        if (fits(bytes)) {
            return true;
        }
        long last = lastCollect.get();
        long now = System.nanoTime();
        if (now - last < COLLECT_INTERVAL_NANOS || !lastCollect.compareAndSet(last, now)) {
            return false;
        }
        System.gc();
        return fits(bytes);
    }

    private boolean fits(long bytes) {
        Runtime rt = Runtime.getRuntime();
        long used = rt.totalMemory() - rt.freeMemory();
        return maxHeap - used - bytes >= reserve;
    }
}

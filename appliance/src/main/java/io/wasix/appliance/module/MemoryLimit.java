package io.wasix.appliance.module;

import com.dylibso.chicory.runtime.Memory;
import io.wasix.host.abi.HeapReserve;

/**
 * How large each shard's guest memory may grow: --max-memory, or by default the heap less the host's reserve
 * ({@link HeapReserve}), shared out over the shards, so that every guest at its limit still fits in the heap
 * beside the host. Either way no more than a Chicory memory can have (32767 pages). Immutable; any thread.
 *
 * @param pages the limit in 64 KiB pages
 * @param derived whether it was derived from the heap (no --max-memory)
 */
public record MemoryLimit(int pages, boolean derived) {
    private static final long MIB = 1L << 20;

    /** {@code maxMemory} bytes (0: derive it) for each of {@code shards} shards, in a heap of {@code maxHeap}. */
    public static MemoryLimit of(long maxMemory, int shards, long maxHeap) {
        boolean derived = maxMemory <= 0;
        long bytes = derived ? (maxHeap - HeapReserve.reserveFor(maxHeap)) / shards : maxMemory;
        return new MemoryLimit((int) Math.min(Memory.RUNTIME_MAX_PAGES, bytes / Memory.PAGE_SIZE), derived);
    }

    public long bytes() {
        return (long) pages * Memory.PAGE_SIZE;
    }

    /** For the boot line: "max memory 24 MiB per shard". */
    public String describe() {
        return "max memory " + size(bytes()) + " per shard";
    }

    /** Null, or why a module whose memory starts at {@code initialPages} cannot start under this limit. */
    public String problem(int initialPages, int shards, long maxHeap) {
        if (initialPages <= pages) {
            return null;
        }
        String why = derived ? "the default limit: the JVM's heap (" + maxHeap / MIB + " MiB) less the host's reserve ("
                + HeapReserve.reserveFor(maxHeap) / MIB + " MiB)" + (shards == 1 ? "" : " over " + shards + " shards")
                + "; give --max-memory, or a larger heap with JDK_JAVA_OPTIONS=-Xmx..."
                : "--max-memory";
        return "its memory starts at " + initialPages + " pages (" + size((long) initialPages * Memory.PAGE_SIZE)
                + "), more than the memory limit of " + size(bytes()) + " per shard (" + why + ")";
    }

    private static String size(long bytes) {
        if (bytes % MIB == 0) {
            return bytes / MIB + " MiB";
        }
        return bytes < MIB ? bytes / 1024 + " KiB" : String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (double) MIB);
    }
}

package io.wasix.host.abi;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import io.wasix.host.metrics.LimitCounters;

/**
 * The one rule for a bounded memory.grow, shared by {@link BoundedMemory} and a bounded {@link SharedMemory}: the
 * guest's limit (--max-memory) lowers the memory's declared maximum, as wasmtime's limiter does, and a grow
 * past it or past what the heap can hold with the host's reserve kept ({@link HeapReserve}) answers -1, counted.
 * An OutOfMemoryError while the pages are allocated is a refusal too: the pages already made are left for the
 * collector, and the memory is as it was.
 *
 * <p>Threading: any thread; no state of its own (the counters are thread-safe).
 */
record GrowLimit(HeapReserve heap, LimitCounters counters) {

    /**
     * {@code limits} with the maximum lowered to {@code maxPages}.
     *
     * @throws IllegalArgumentException when the memory starts above the limit
     */
    static MemoryLimits lowered(MemoryLimits limits, int maxPages) {
        int max = Math.min(Math.min(limits.maximumPages(), Memory.RUNTIME_MAX_PAGES), maxPages);
        if (limits.initialPages() > max) {
            throw new IllegalArgumentException("the memory starts at " + limits.initialPages()
                    + " pages, more than the limit of " + max + " pages");
        }
        return new MemoryLimits(limits.initialPages(), max, limits.shared());
    }

    /** Grows {@code memory}, whose maximum is already lowered, by {@code size} pages, or answers -1. */
    int grow(ByteArrayMemory memory, int size) {
        int before = memory.pages();
        if (size < 0 || (long) before + size > memory.maximumPages()) {
            counters.growRefusedByLimit();
            return -1;
        }
        if (size > 0 && !heap.canHold((long) size * Memory.PAGE_SIZE)) {
            counters.growRefusedByHeap();
            return -1;
        }
        try {
            return memory.grow(size);
        } catch (OutOfMemoryError e) {
            counters.growRefusedByHeap();
            return -1;
        }
    }
}

package io.wasix.host.abi;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import io.wasix.host.metrics.LimitCounters;

/**
 * A guest's linear memory with a bounded memory.grow ({@link GrowLimit}): past the guest's limit (--max-memory)
 * or past what the heap can hold with the host's reserve kept, grow answers -1, and the refusal is counted.
 *
 * <p>Everything else, atomics and waits included, is Chicory's {@link ByteArrayMemory}'s, forwarded by
 * {@link ForwardingMemory}. The appliance instantiates every unshared guest memory with this one class, so
 * compiled code's calls through {@code Memory} stay monomorphic and inline both layers (measured: bench/results).
 *
 * <p>Threading: as ByteArrayMemory; grow may be called by any of the guest's threads.
 */
public final class BoundedMemory extends ForwardingMemory {
    /**
     * @param limits the module's declared limits
     * @param maxPages the guest's limit in pages: the declared maximum is lowered to it
     * @throws IllegalArgumentException when the memory starts above the limit
     */
    public BoundedMemory(MemoryLimits limits, int maxPages, HeapReserve heap, LimitCounters counters) {
        super(GrowLimit.lowered(limits, maxPages), new GrowLimit(heap, counters));
    }
}

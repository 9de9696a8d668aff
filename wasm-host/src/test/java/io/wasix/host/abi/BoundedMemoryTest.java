package io.wasix.host.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import io.wasix.host.metrics.LimitCounters;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** memory.grow under --max-memory and the heap's reserve: -1 and a count, never an error. */
class BoundedMemoryTest {
    private static final HeapReserve AMPLE = new HeapReserve(Long.MAX_VALUE / 4);

    @Test
    void theLimitLowersTheDeclaredMaximum() {
        LimitCounters counters = new LimitCounters();
        BoundedMemory m = new BoundedMemory(new MemoryLimits(1, 100), 4, AMPLE, counters);
        assertEquals(4, m.maximumPages());
        assertEquals(1, m.grow(2));
        assertEquals(3, m.grow(1));
        assertEquals(4, m.pages());
        assertEquals(-1, m.grow(1), "past the limit");
        assertEquals(-1, m.grow(-1), "an unsigned count past 2^31 pages");
        assertEquals(4, m.grow(0), "growing by nothing answers the size");
        assertEquals(2, counters.growRefusedByLimitCount());
        assertEquals(0, counters.growRefusedByHeapCount());
        m.writeI32(4 * Memory.PAGE_SIZE - 4, 42);
        assertEquals(42, m.readInt(4 * Memory.PAGE_SIZE - 4));
    }

    @Test
    void aDeclaredMaximumBelowTheLimitStays() {
        BoundedMemory m = new BoundedMemory(new MemoryLimits(1, 2), 100, AMPLE, new LimitCounters());
        assertEquals(2, m.maximumPages());
        assertEquals(1, m.grow(1));
        assertEquals(-1, m.grow(1));
    }

    @Test
    void aMemoryThatStartsAboveTheLimitCannotBeMade() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new BoundedMemory(new MemoryLimits(8, 100), 4, AMPLE, new LimitCounters()));
        assertTrue(e.getMessage().contains("starts at 8 pages"), e.getMessage());
    }

    /** A heap too small to keep its reserve after the grow: -1, counted under "heap", the memory unchanged. */
    @Test
    void aGrowTheHeapCannotHoldIsRefused() {
        LimitCounters counters = new LimitCounters();
        HeapReserve tiny = new HeapReserve(1 << 20); // far less than the test JVM already uses
        BoundedMemory m = new BoundedMemory(new MemoryLimits(1, 1000), 1000, tiny, counters);
        assertEquals(-1, m.grow(10));
        assertEquals(-1, m.grow(10)); // within the collection interval: refused without another collection
        assertEquals(1, m.pages());
        assertEquals(2, counters.growRefusedByHeapCount());
        assertEquals(0, counters.growRefusedByLimitCount());
    }

    @Test
    void theReserveIsAnEighthOfTheHeapAtLeast8MiBAtMostHalf() {
        long mib = 1L << 20;
        assertEquals(8 * mib, HeapReserve.reserveFor(32 * mib));
        assertEquals(128 * mib, HeapReserve.reserveFor(1024 * mib));
        assertEquals(4 * mib, HeapReserve.reserveFor(8 * mib));
    }

    /**
     * Every method of Memory, defaults included, is BoundedMemory's own and reaches ByteArrayMemory: a default
     * left to the interface would run its non-atomic fallback on a shared memory, not ByteArrayMemory's atomics.
     */
    @Test
    void everyMemoryMethodIsForwarded() throws Exception {
        List<String> missing = new ArrayList<>();
        for (Method im : Memory.class.getMethods()) {
            if (Modifier.isStatic(im.getModifiers())) {
                continue;
            }
            Method own = BoundedMemory.class.getMethod(im.getName(), im.getParameterTypes());
            if (own.getDeclaringClass() != BoundedMemory.class) {
                missing.add(im.toString());
            }
        }
        assertEquals(List.of(), missing);
    }

    /** GuestMemory's copies reach the pages through a BoundedMemory too, not the per-call-array fallback. */
    @Test
    void thePageArrayIsReachedThroughIt() {
        BoundedMemory m = new BoundedMemory(new MemoryLimits(1, 4), 4, AMPLE, new LimitCounters());
        assertNotNull(MemoryPages.of(m));
    }
}

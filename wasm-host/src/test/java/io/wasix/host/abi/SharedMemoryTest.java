package io.wasix.host.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TrapException;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The shared memory's atomics and wait queues, used directly from several threads. */
@Timeout(30)
class SharedMemoryTest {
    private static final int WORD = 1024;

    private static Memory shared() {
        return new SharedMemory(new MemoryLimits(1, 2, true));
    }

    /** Read-modify-writes of every width from four threads at once: none is lost, neighbours stay intact. */
    @Test
    void atomicReadModifyWritesLoseNothing() throws Exception {
        Memory m = shared();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 50_000; i++) {
                    m.atomicAddInt(WORD, 1);
                    m.atomicAddLong(WORD + 8, 3);
                    m.atomicAddShort(WORD + 16, (short) 1);
                    m.atomicAddByte(WORD + 19, (byte) 1);
                    int v;
                    do {
                        v = m.atomicReadInt(WORD + 24);
                    } while (m.atomicCmpxchgInt(WORD + 24, v, v + 2) != v);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(200_000, m.atomicReadInt(WORD));
        assertEquals(600_000L, m.atomicReadLong(WORD + 8));
        assertEquals((short) 200_000, m.atomicReadShort(WORD + 16));
        assertEquals((byte) 200_000, m.atomicReadByte(WORD + 19));
        assertEquals(0, m.read(WORD + 18), "the byte between the short and the byte is untouched");
        assertEquals(400_000, m.atomicReadInt(WORD + 24));
    }

    /** An atomic access that is not naturally aligned traps, as wasm requires, instead of failing in the host. */
    @Test
    void anUnalignedAtomicTraps() {
        Memory m = shared();
        assertThrows(TrapException.class, () -> m.atomicReadInt(WORD + 2));
        assertThrows(TrapException.class, () -> m.atomicAddLong(WORD + 4, 1));
        assertThrows(TrapException.class, () -> m.atomicWriteShort(WORD + 1, (short) 1));
        m.atomicWriteByte(WORD + 1, (byte) 7); // bytes are always aligned
        assertEquals(7, m.atomicReadByte(WORD + 1));
    }

    /** wait answers 1 when the value is not the expected one, and 2 when its timeout passes. */
    @Test
    void waitAnswersNotEqualAndTimedOut() {
        Memory m = shared();
        m.atomicWriteInt(WORD, 5);
        assertEquals(1, m.atomicWait(WORD, 4, -1));
        assertEquals(2, m.atomicWait(WORD, 5, 10_000_000L));
        assertEquals(1, m.atomicWait(WORD, 5L << 32 | 5, -1)); // i64: the next word is 0, not 5
        assertEquals(2, m.atomicWait(WORD, 5L, 0));
    }

    /**
     * A notify wakes only threads waiting at that moment. Chicory's own memory counts pending wake-ups instead,
     * and a thread that starts waiting right after a notify takes the wake-up of the one already waiting, which
     * sleeps on: a condition variable then loses its signal.
     */
    @Test
    void aWaiterThatComesAfterANotifyDoesNotTakeItsWakeUp() throws Exception {
        Memory m = shared();
        Thread[] first = new Thread[1];
        CompletableFuture<Integer> early = async(() -> {
            first[0] = Thread.currentThread();
            return m.atomicWait(WORD, 0, 10_000_000_000L);
        });
        awaitParked(first);
        assertEquals(1, m.atomicNotify(WORD, 1));
        assertEquals(2, m.atomicWait(WORD, 0, 50_000_000L), "the late waiter is not woken by the earlier notify");
        assertEquals(0, early.get(5, TimeUnit.SECONDS), "the early waiter was woken");
        assertEquals(0, m.atomicNotify(WORD, 1), "nobody is left waiting");
    }

    /** notify(n) wakes at most n, oldest first; notify(-1) wakes all; an address's waiters only. */
    @Test
    void notifyWakesAsManyAsAskedOnItsAddressOnly() throws Exception {
        Memory m = shared();
        List<CompletableFuture<Integer>> waiters = new ArrayList<>();
        Thread[][] threads = new Thread[4][1];
        for (int i = 0; i < 4; i++) {
            Thread[] slot = threads[i];
            int addr = i < 3 ? WORD : WORD + 64 * 4; // three on WORD, one elsewhere (maybe the same stripe)
            waiters.add(async(() -> {
                slot[0] = Thread.currentThread();
                return m.atomicWait(addr, 0, 10_000_000_000L);
            }));
            awaitParked(slot);
        }
        assertEquals(2, m.atomicNotify(WORD, 2));
        assertEquals(0, waiters.get(0).get(5, TimeUnit.SECONDS));
        assertEquals(0, waiters.get(1).get(5, TimeUnit.SECONDS));
        assertEquals(1, m.atomicNotify(WORD, -1));
        assertEquals(0, waiters.get(2).get(5, TimeUnit.SECONDS));
        assertTrue(!waiters.get(3).isDone(), "the waiter on another address sleeps on");
        assertEquals(1, m.atomicNotify(WORD + 64 * 4, 1));
        assertEquals(0, waiters.get(3).get(5, TimeUnit.SECONDS));
    }

    /** An interrupt ends a wait with Chicory's interrupted exception, the flag set, and leaves no waiter behind. */
    @Test
    void anInterruptEndsAWait() throws Exception {
        Memory m = shared();
        Thread[] t = new Thread[1];
        CompletableFuture<Boolean> flagged = new CompletableFuture<>();
        CompletableFuture<Integer> w = async(() -> {
            t[0] = Thread.currentThread();
            try {
                return m.atomicWait(WORD, 0, -1);
            } catch (ChicoryInterruptedException e) {
                flagged.complete(Thread.currentThread().isInterrupted());
                throw e;
            }
        });
        awaitParked(t);
        t[0].interrupt();
        assertThrows(Exception.class, () -> w.get(5, TimeUnit.SECONDS));
        assertTrue(flagged.get(5, TimeUnit.SECONDS));
        assertEquals(0, m.atomicNotify(WORD, 1));
    }

    private static <T> CompletableFuture<T> async(Supplier<T> work) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                f.complete(work.get());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /** Waits until the thread in {@code slot} is parked (in its wait). */
    private static void awaitParked(Thread[] slot) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (slot[0] == null || (slot[0].getState() != Thread.State.WAITING
                && slot[0].getState() != Thread.State.TIMED_WAITING)) {
            assertTrue(System.nanoTime() < deadline, "the waiter never waited");
            Thread.sleep(1);
        }
    }

    /** --max-memory on a shared memory: its maximum is lowered, a grow past it is -1 and counted, from any thread. */
    @Test
    void aLimitBoundsItsGrowthAsABoundedMemorysIs() throws Exception {
        io.wasix.host.metrics.LimitCounters counters = new io.wasix.host.metrics.LimitCounters();
        Memory m = new SharedMemory(new MemoryLimits(1, 100, true), 3, new HeapReserve(Long.MAX_VALUE / 4), counters);
        assertEquals(3, m.maximumPages());
        assertTrue(m.shared());
        assertEquals(1, CompletableFuture.supplyAsync(() -> m.grow(1)).get(10, TimeUnit.SECONDS), "another thread");
        assertEquals(2, m.grow(1));
        assertEquals(-1, m.grow(1), "past the limit");
        assertEquals(3, m.pages());
        assertEquals(1, counters.growRefusedByLimitCount());
        var e = assertThrows(IllegalArgumentException.class, () -> new SharedMemory(
                new MemoryLimits(4, 100, true), 3, new HeapReserve(Long.MAX_VALUE / 4), counters));
        assertTrue(e.getMessage().contains("starts at 4 pages"), e.getMessage());
    }
}

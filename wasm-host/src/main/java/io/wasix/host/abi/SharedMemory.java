package io.wasix.host.abi;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * A shared memory: Chicory's byte[]-per-page {@link ByteArrayMemory} for the bytes and the atomics, with wait
 * queues of our own for {@code memory.atomic.wait/notify} (and the host's futex calls, which use the same
 * queues). Chicory 1.7.5's own counts pending wake-ups per address, and a thread that starts waiting after a
 * notify takes the wake-up meant for one already waiting, which stays asleep: a condition variable's signal is
 * then lost and both threads wait for ever (ThreadsTest's ping-pong showed it). Here each waiter has its own
 * entry, in arrival order, and a notify wakes only entries already queued, as the threads proposal says.
 *
 * <p>Every other method is the wrapped memory's. {@link MemoryPages} reaches its pages through
 * {@link #storage()}.
 *
 * <p>Threading: any thread, as guest threads share it. The wait queues are striped by address; each stripe is
 * guarded by its own monitor, which is also what a waiter waits on.
 */
@SuppressWarnings("removal") // Memory's waitOn/notify/lock are deprecated for removal, and still what the runtime calls
public final class SharedMemory implements Memory {
    private static final int STRIPES = 64; // a power of two

    private final ByteArrayMemory memory;
    private final Stripe[] stripes = new Stripe[STRIPES];

    /** The waiters on addresses that hash here, oldest first. */
    private static final class Stripe {
        final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    }

    private static final class Waiter {
        final int address;
        boolean woken;

        Waiter(int address) {
            this.address = address;
        }
    }

    public SharedMemory(MemoryLimits limits) {
        this.memory = new ByteArrayMemory(limits);
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
    }

    /** The memory that holds the bytes. */
    ByteArrayMemory storage() {
        return memory;
    }

    private Stripe stripe(int address) {
        int h = address * 0x9E3779B9; // addresses are 4- or 8-aligned: mix the low bits in
        return stripes[(h >>> 16 ^ h) & (STRIPES - 1)];
    }

    // ------------------------------------------------------------------ wait and notify

    @Override
    public int waitOn(int address, int expected, long timeout) {
        return await(address, false, expected, timeout);
    }

    @Override
    public int waitOn(int address, long expected, long timeout) {
        return await(address, true, expected, timeout);
    }

    @Override
    public int atomicWait(int address, int expected, long timeout) {
        return await(address, false, expected, timeout);
    }

    @Override
    public int atomicWait(int address, long expected, long timeout) {
        return await(address, true, expected, timeout);
    }

    /**
     * Waits while the value at {@code address} is {@code expected}: 0 woken, 1 not equal, 2 timed out (a
     * negative timeout is none). An interrupt ends the wait with {@link ChicoryInterruptedException}, as
     * Chicory's own memory does, the thread's interrupt flag set again.
     */
    private int await(int address, boolean wide, long expected, long timeout) {
        if (!shared()) {
            throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
        }
        long deadline = timeout < 0 ? Long.MAX_VALUE : System.nanoTime() + timeout;
        Stripe s = stripe(address);
        synchronized (s) {
            // Read under the stripe's monitor, which notify takes too: a store and notify that come after this
            // read find this waiter queued.
            long now = wide ? memory.atomicReadLong(address) : memory.atomicReadInt(address);
            if (now != (wide ? expected : (int) expected)) {
                return 1;
            }
            Waiter w = new Waiter(address);
            s.waiters.addLast(w);
            try {
                while (!w.woken) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        s.waiters.remove(w);
                        return 2;
                    }
                    s.wait(left / 1_000_000L, (int) (left % 1_000_000L));
                }
                return 0;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (w.woken) {
                    return 0; // the wake-up counted: the interrupt is seen at the next check
                }
                s.waiters.remove(w);
                throw new ChicoryInterruptedException("Thread interrupted");
            }
        }
    }

    @Override
    public int notify(int address, int maxThreads) {
        return wake(address, maxThreads);
    }

    @Override
    public int atomicNotify(int address, int maxThreads) {
        return wake(address, maxThreads);
    }

    /** Wakes up to {@code count} (negative: all) of the threads waiting on {@code address} now, oldest first. */
    private int wake(int address, int count) {
        if (!shared() || count == 0) {
            return 0;
        }
        Stripe s = stripe(address);
        synchronized (s) {
            int n = 0;
            for (Iterator<Waiter> it = s.waiters.iterator(); it.hasNext() && (count < 0 || n < count); ) {
                Waiter w = it.next();
                if (w.address == address) {
                    it.remove();
                    w.woken = true;
                    n++;
                }
            }
            if (n > 0) {
                s.notifyAll(); // the woken find their flag set; the others of the stripe wait again
            }
            return n;
        }
    }

    @Override
    public Object lock(int address) {
        return memory.lock(address);
    }

    // ------------------------------------------------------------------ the rest is the wrapped memory's

    @Override
    public int pages() {
        return memory.pages();
    }

    @Override
    public int grow(int size) {
        return memory.grow(size);
    }

    @Override
    public int initialPages() {
        return memory.initialPages();
    }

    @Override
    public int maximumPages() {
        return memory.maximumPages();
    }

    @Override
    public boolean shared() {
        return memory.shared();
    }

    @Override
    public void atomicFence() {
        memory.atomicFence();
    }

    @Override
    public int atomicReadInt(int addr) {
        return memory.atomicReadInt(addr);
    }

    @Override
    public long atomicReadLong(int addr) {
        return memory.atomicReadLong(addr);
    }

    @Override
    public short atomicReadShort(int addr) {
        return memory.atomicReadShort(addr);
    }

    @Override
    public byte atomicReadByte(int addr) {
        return memory.atomicReadByte(addr);
    }

    @Override
    public void atomicWriteInt(int addr, int value) {
        memory.atomicWriteInt(addr, value);
    }

    @Override
    public void atomicWriteLong(int addr, long value) {
        memory.atomicWriteLong(addr, value);
    }

    @Override
    public void atomicWriteShort(int addr, short value) {
        memory.atomicWriteShort(addr, value);
    }

    @Override
    public void atomicWriteByte(int addr, byte value) {
        memory.atomicWriteByte(addr, value);
    }

    @Override
    public int atomicAddInt(int addr, int delta) {
        return memory.atomicAddInt(addr, delta);
    }

    @Override
    public int atomicAndInt(int addr, int mask) {
        return memory.atomicAndInt(addr, mask);
    }

    @Override
    public int atomicOrInt(int addr, int mask) {
        return memory.atomicOrInt(addr, mask);
    }

    @Override
    public int atomicXorInt(int addr, int mask) {
        return memory.atomicXorInt(addr, mask);
    }

    @Override
    public int atomicXchgInt(int addr, int value) {
        return memory.atomicXchgInt(addr, value);
    }

    @Override
    public int atomicCmpxchgInt(int addr, int expected, int replacement) {
        return memory.atomicCmpxchgInt(addr, expected, replacement);
    }

    @Override
    public long atomicAddLong(int addr, long delta) {
        return memory.atomicAddLong(addr, delta);
    }

    @Override
    public long atomicAndLong(int addr, long mask) {
        return memory.atomicAndLong(addr, mask);
    }

    @Override
    public long atomicOrLong(int addr, long mask) {
        return memory.atomicOrLong(addr, mask);
    }

    @Override
    public long atomicXorLong(int addr, long mask) {
        return memory.atomicXorLong(addr, mask);
    }

    @Override
    public long atomicXchgLong(int addr, long value) {
        return memory.atomicXchgLong(addr, value);
    }

    @Override
    public long atomicCmpxchgLong(int addr, long expected, long replacement) {
        return memory.atomicCmpxchgLong(addr, expected, replacement);
    }

    @Override
    public short atomicAddShort(int addr, short delta) {
        return memory.atomicAddShort(addr, delta);
    }

    @Override
    public short atomicAndShort(int addr, short mask) {
        return memory.atomicAndShort(addr, mask);
    }

    @Override
    public short atomicOrShort(int addr, short mask) {
        return memory.atomicOrShort(addr, mask);
    }

    @Override
    public short atomicXorShort(int addr, short mask) {
        return memory.atomicXorShort(addr, mask);
    }

    @Override
    public short atomicXchgShort(int addr, short value) {
        return memory.atomicXchgShort(addr, value);
    }

    @Override
    public short atomicCmpxchgShort(int addr, short expected, short replacement) {
        return memory.atomicCmpxchgShort(addr, expected, replacement);
    }

    @Override
    public byte atomicAddByte(int addr, byte delta) {
        return memory.atomicAddByte(addr, delta);
    }

    @Override
    public byte atomicAndByte(int addr, byte mask) {
        return memory.atomicAndByte(addr, mask);
    }

    @Override
    public byte atomicOrByte(int addr, byte mask) {
        return memory.atomicOrByte(addr, mask);
    }

    @Override
    public byte atomicXorByte(int addr, byte mask) {
        return memory.atomicXorByte(addr, mask);
    }

    @Override
    public byte atomicXchgByte(int addr, byte value) {
        return memory.atomicXchgByte(addr, value);
    }

    @Override
    public byte atomicCmpxchgByte(int addr, byte expected, byte replacement) {
        return memory.atomicCmpxchgByte(addr, expected, replacement);
    }

    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments) {
        memory.initialize(instance, dataSegments);
    }

    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments, int memoryIndex) {
        memory.initialize(instance, dataSegments, memoryIndex);
    }

    @Override
    public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
        memory.initPassiveSegment(segmentId, dest, offset, size);
    }

    @Override
    public void write(int addr, byte[] data, int offset, int size) {
        memory.write(addr, data, offset, size);
    }

    @Override
    public byte read(int addr) {
        return memory.read(addr);
    }

    @Override
    public byte[] readBytes(int addr, int len) {
        return memory.readBytes(addr, len);
    }

    @Override
    public void writeI32(int addr, int data) {
        memory.writeI32(addr, data);
    }

    @Override
    public int readInt(int addr) {
        return memory.readInt(addr);
    }

    @Override
    public void writeLong(int addr, long data) {
        memory.writeLong(addr, data);
    }

    @Override
    public long readLong(int addr) {
        return memory.readLong(addr);
    }

    @Override
    public void writeShort(int addr, short data) {
        memory.writeShort(addr, data);
    }

    @Override
    public short readShort(int addr) {
        return memory.readShort(addr);
    }

    @Override
    public long readU16(int addr) {
        return memory.readU16(addr);
    }

    @Override
    public void writeByte(int addr, byte data) {
        memory.writeByte(addr, data);
    }

    @Override
    public void writeF32(int addr, float data) {
        memory.writeF32(addr, data);
    }

    @Override
    public long readF32(int addr) {
        return memory.readF32(addr);
    }

    @Override
    public float readFloat(int addr) {
        return memory.readFloat(addr);
    }

    @Override
    public void writeF64(int addr, double data) {
        memory.writeF64(addr, data);
    }

    @Override
    public double readDouble(int addr) {
        return memory.readDouble(addr);
    }

    @Override
    public long readF64(int addr) {
        return memory.readF64(addr);
    }

    @Override
    public void zero() {
        memory.zero();
    }

    @Override
    public void fill(byte value, int fromIndex, int toIndex) {
        memory.fill(value, fromIndex, toIndex);
    }

    @Override
    public void copy(int dest, int src, int size) {
        memory.copy(dest, src, size);
    }

    @Override
    public void drop(int segment) {
        memory.drop(segment);
    }
}

package io.wasix.host.abi;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.runtime.TrapException;
import io.wasix.host.metrics.LimitCounters;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.locks.LockSupport;

/**
 * A shared memory: Chicory's byte[]-per-page {@link ByteArrayMemory} for the bytes, with atomics and wait queues
 * of our own for the threads proposal (the host's futex calls use the same queues as
 * {@code memory.atomic.wait/notify}). Chicory 1.7.5's atomics are a slow and leaking fallback on JDK 25 (see
 * "atomics" below), and its wait/notify loses wake-ups. Chicory 1.7.5's own counts pending wake-ups per address, and a thread that starts waiting after a
 * notify takes the wake-up meant for one already waiting, which stays asleep: a condition variable's signal is
 * then lost and both threads wait for ever (ThreadsTest's ping-pong showed it). Here each waiter has its own
 * entry, in arrival order, and a notify wakes only entries already queued, as the threads proposal says.
 *
 * <p>Every other method (plain loads and stores, bulk copies, growth) is the wrapped memory's; growth is
 * bounded as {@link BoundedMemory}'s when built with a limit (--max-memory). {@link MemoryPages} reaches its pages through
 * {@link #storage()}.
 *
 * <p>A waiter parks (LockSupport) and its waker unparks it, after marking it woken: the woken thread runs on
 * at once, with no monitor to take back first (an Object.wait/notify hand-off costs a futex round trip of its
 * own, which showed in bench/futex's ping-pong).
 *
 * <p>Threading: any thread, as guest threads share it. The wait queues are striped by address; each stripe's
 * queue is guarded by its monitor, held only to queue, dequeue and mark. {@link Waiter#woken} is volatile:
 * set under the monitor, read by the parked thread without it.
 */
@SuppressWarnings("removal") // Memory's waitOn/notify/lock are deprecated for removal, and still what the runtime calls
public final class SharedMemory implements Memory {
    private static final int STRIPES = 64; // a power of two

    private final ByteArrayMemory memory;
    /** How memory.grow is bounded; null: only by the declared maximum. */
    private final GrowLimit limit;
    private final Stripe[] stripes = new Stripe[STRIPES];

    /** The waiters on addresses that hash here, oldest first. */
    private static final class Stripe {
        final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    }

    private static final class Waiter {
        final int address;
        final Thread thread = Thread.currentThread();
        volatile boolean woken;

        Waiter(int address) {
            this.address = address;
        }
    }

    public SharedMemory(MemoryLimits limits) {
        this(limits, null);
    }

    /**
     * A shared memory whose growth is bounded as {@link BoundedMemory}'s ({@link GrowLimit}).
     *
     * @param maxPages the guest's limit in pages: the declared maximum is lowered to it
     * @throws IllegalArgumentException when the memory starts above the limit
     */
    public SharedMemory(MemoryLimits limits, int maxPages, HeapReserve heap, LimitCounters counters) {
        this(GrowLimit.lowered(limits, maxPages), new GrowLimit(heap, counters));
    }

    private SharedMemory(MemoryLimits limits, GrowLimit limit) {
        this.memory = new ByteArrayMemory(limits);
        this.limit = limit;
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

    /** What {@link #waitUnless} answers when {@code cancelled} ended the wait. */
    public static final int CANCELLED = 3;

    /**
     * memory.atomic.wait32's wait (0 woken, 1 not equal, 2 timed out), which also ends, answering
     * {@link #CANCELLED}, once {@code cancelled} holds: it is checked before the wait and whenever the thread
     * is unparked, so whoever makes it true unparks the waiting thread (LockSupport.unpark) to end the wait.
     * The futex calls use it so that a signal reaches a thread in futex_wait.
     */
    public int waitUnless(int address, int expected, long timeout, java.util.function.BooleanSupplier cancelled) {
        return await(address, false, expected, timeout, cancelled);
    }

    private int await(int address, boolean wide, long expected, long timeout) {
        return await(address, wide, expected, timeout, null);
    }

    /**
     * Waits while the value at {@code address} is {@code expected}: 0 woken, 1 not equal, 2 timed out (a
     * negative timeout is none), {@link #CANCELLED} when {@code cancelled} (if not null) came to hold. An
     * interrupt ends the wait with {@link ChicoryInterruptedException}, as Chicory's own memory does, the
     * thread's interrupt flag set again.
     */
    private int await(int address, boolean wide, long expected, long timeout,
            java.util.function.BooleanSupplier cancelled) {
        if (!shared()) {
            throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
        }
        long deadline = timeout < 0 ? Long.MAX_VALUE : System.nanoTime() + timeout;
        Stripe s = stripe(address);
        Waiter w = new Waiter(address);
        synchronized (s) {
            // Read under the stripe's monitor, which a notify takes too: a store and notify that come after this
            // read find this waiter queued.
            long now = wide ? atomicReadLong(address) : atomicReadInt(address); // ours, not the delegate's
            if (now != (wide ? expected : (int) expected)) {
                return 1;
            }
            s.waiters.addLast(w);
        }
        while (!w.woken) {
            if (cancelled != null && cancelled.getAsBoolean()) {
                return leave(s, w) ? CANCELLED : 0;
            }
            if (Thread.interrupted()) {
                if (leave(s, w)) {
                    Thread.currentThread().interrupt();
                    throw new ChicoryInterruptedException("Thread interrupted");
                }
                Thread.currentThread().interrupt(); // woken all the same: the interrupt is seen at the next check
                return 0;
            }
            if (timeout < 0) {
                LockSupport.park(this);
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return leave(s, w) ? 2 : 0;
                }
                LockSupport.parkNanos(this, left);
            }
        }
        return 0;
    }

    /** Takes {@code w} off its queue unless a notify already has: whether it was still waiting. */
    private static boolean leave(Stripe s, Waiter w) {
        synchronized (s) {
            if (w.woken) {
                return false;
            }
            s.waiters.remove(w);
            return true;
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
        Waiter single = null;
        java.util.List<Waiter> more = null;
        int n = 0;
        synchronized (s) {
            for (Iterator<Waiter> it = s.waiters.iterator(); it.hasNext() && (count < 0 || n < count); ) {
                Waiter w = it.next();
                if (w.address == address) {
                    it.remove();
                    w.woken = true;
                    if (single == null) {
                        single = w;
                    } else {
                        if (more == null) {
                            more = new java.util.ArrayList<>();
                        }
                        more.add(w);
                    }
                    n++;
                }
            }
        }
        // Unparked outside the monitor, so a woken thread never blocks on it at once.
        if (single != null) {
            LockSupport.unpark(single.thread);
        }
        if (more != null) {
            for (Waiter w : more) {
                LockSupport.unpark(w.thread);
            }
        }
        return n;
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
        return limit == null ? memory.grow(size) : limit.grow(memory, size);
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

    // ------------------------------------------------------------------ atomics

    /*
     * On JDK 25, byteArrayViewVarHandle supports no atomic access mode (byte[] elements need not be aligned), and
     * ByteArrayMemory then takes its fallback: a monitor per address from a map that only grows, after a
     * VarHandle.isAccessModeSupported call that throws and catches a NoSuchMethodError inside the JDK on every
     * atomic read or write (a futex round trip spent most of its CPU there). Here each atomic operation holds
     * the monitor of a stripe chosen by its 8-byte word, so operations of any width on the same bytes exclude
     * one another, and the monitor's enter and exit give the ordering wasm's atomics need on this memory.
     */

    private static final int ATOMIC_STRIPES = 256; // a power of two
    private final Object[] atomicLocks = newLocks();

    private static Object[] newLocks() {
        Object[] locks = new Object[ATOMIC_STRIPES];
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new Object();
        }
        return locks;
    }

    private Object atomic(int addr, int size) {
        if ((addr & (size - 1)) != 0) {
            throw new TrapException("unaligned atomic"); // as wasm requires of every atomic access
        }
        int word = addr >>> 3;
        return atomicLocks[(word ^ word >>> 8) & (ATOMIC_STRIPES - 1)];
    }

    @Override
    public void atomicFence() {
        VarHandle.fullFence();
    }

    @Override
    public int atomicReadInt(int addr) {
        synchronized (atomic(addr, 4)) {
            return memory.readInt(addr);
        }
    }

    @Override
    public long atomicReadLong(int addr) {
        synchronized (atomic(addr, 8)) {
            return memory.readLong(addr);
        }
    }

    @Override
    public short atomicReadShort(int addr) {
        synchronized (atomic(addr, 2)) {
            return memory.readShort(addr);
        }
    }

    @Override
    public byte atomicReadByte(int addr) {
        synchronized (atomic(addr, 1)) {
            return memory.read(addr);
        }
    }

    @Override
    public void atomicWriteInt(int addr, int value) {
        synchronized (atomic(addr, 4)) {
            memory.writeI32(addr, value);
        }
    }

    @Override
    public void atomicWriteLong(int addr, long value) {
        synchronized (atomic(addr, 8)) {
            memory.writeLong(addr, value);
        }
    }

    @Override
    public void atomicWriteShort(int addr, short value) {
        synchronized (atomic(addr, 2)) {
            memory.writeShort(addr, value);
        }
    }

    @Override
    public void atomicWriteByte(int addr, byte value) {
        synchronized (atomic(addr, 1)) {
            memory.writeByte(addr, value);
        }
    }

    @Override
    public int atomicAddInt(int addr, int delta) {
        synchronized (atomic(addr, 4)) {
            int old = memory.readInt(addr);
            memory.writeI32(addr, old + delta);
            return old;
        }
    }

    @Override
    public int atomicAndInt(int addr, int mask) {
        synchronized (atomic(addr, 4)) {
            int old = memory.readInt(addr);
            memory.writeI32(addr, old & mask);
            return old;
        }
    }

    @Override
    public int atomicOrInt(int addr, int mask) {
        synchronized (atomic(addr, 4)) {
            int old = memory.readInt(addr);
            memory.writeI32(addr, old | mask);
            return old;
        }
    }

    @Override
    public int atomicXorInt(int addr, int mask) {
        synchronized (atomic(addr, 4)) {
            int old = memory.readInt(addr);
            memory.writeI32(addr, old ^ mask);
            return old;
        }
    }

    @Override
    public int atomicXchgInt(int addr, int value) {
        synchronized (atomic(addr, 4)) {
            int old = memory.readInt(addr);
            memory.writeI32(addr, value);
            return old;
        }
    }

    @Override
    public int atomicCmpxchgInt(int addr, int expected, int replacement) {
        synchronized (atomic(addr, 4)) {
            int old = memory.readInt(addr);
            if (old == expected) {
                memory.writeI32(addr, replacement);
            }
            return old;
        }
    }

    @Override
    public long atomicAddLong(int addr, long delta) {
        synchronized (atomic(addr, 8)) {
            long old = memory.readLong(addr);
            memory.writeLong(addr, old + delta);
            return old;
        }
    }

    @Override
    public long atomicAndLong(int addr, long mask) {
        synchronized (atomic(addr, 8)) {
            long old = memory.readLong(addr);
            memory.writeLong(addr, old & mask);
            return old;
        }
    }

    @Override
    public long atomicOrLong(int addr, long mask) {
        synchronized (atomic(addr, 8)) {
            long old = memory.readLong(addr);
            memory.writeLong(addr, old | mask);
            return old;
        }
    }

    @Override
    public long atomicXorLong(int addr, long mask) {
        synchronized (atomic(addr, 8)) {
            long old = memory.readLong(addr);
            memory.writeLong(addr, old ^ mask);
            return old;
        }
    }

    @Override
    public long atomicXchgLong(int addr, long value) {
        synchronized (atomic(addr, 8)) {
            long old = memory.readLong(addr);
            memory.writeLong(addr, value);
            return old;
        }
    }

    @Override
    public long atomicCmpxchgLong(int addr, long expected, long replacement) {
        synchronized (atomic(addr, 8)) {
            long old = memory.readLong(addr);
            if (old == expected) {
                memory.writeLong(addr, replacement);
            }
            return old;
        }
    }

    @Override
    public short atomicAddShort(int addr, short delta) {
        synchronized (atomic(addr, 2)) {
            short old = memory.readShort(addr);
            memory.writeShort(addr, (short) (old + delta));
            return old;
        }
    }

    @Override
    public short atomicAndShort(int addr, short mask) {
        synchronized (atomic(addr, 2)) {
            short old = memory.readShort(addr);
            memory.writeShort(addr, (short) (old & mask));
            return old;
        }
    }

    @Override
    public short atomicOrShort(int addr, short mask) {
        synchronized (atomic(addr, 2)) {
            short old = memory.readShort(addr);
            memory.writeShort(addr, (short) (old | mask));
            return old;
        }
    }

    @Override
    public short atomicXorShort(int addr, short mask) {
        synchronized (atomic(addr, 2)) {
            short old = memory.readShort(addr);
            memory.writeShort(addr, (short) (old ^ mask));
            return old;
        }
    }

    @Override
    public short atomicXchgShort(int addr, short value) {
        synchronized (atomic(addr, 2)) {
            short old = memory.readShort(addr);
            memory.writeShort(addr, value);
            return old;
        }
    }

    @Override
    public short atomicCmpxchgShort(int addr, short expected, short replacement) {
        synchronized (atomic(addr, 2)) {
            short old = memory.readShort(addr);
            if (old == expected) {
                memory.writeShort(addr, replacement);
            }
            return old;
        }
    }

    @Override
    public byte atomicAddByte(int addr, byte delta) {
        synchronized (atomic(addr, 1)) {
            byte old = memory.read(addr);
            memory.writeByte(addr, (byte) (old + delta));
            return old;
        }
    }

    @Override
    public byte atomicAndByte(int addr, byte mask) {
        synchronized (atomic(addr, 1)) {
            byte old = memory.read(addr);
            memory.writeByte(addr, (byte) (old & mask));
            return old;
        }
    }

    @Override
    public byte atomicOrByte(int addr, byte mask) {
        synchronized (atomic(addr, 1)) {
            byte old = memory.read(addr);
            memory.writeByte(addr, (byte) (old | mask));
            return old;
        }
    }

    @Override
    public byte atomicXorByte(int addr, byte mask) {
        synchronized (atomic(addr, 1)) {
            byte old = memory.read(addr);
            memory.writeByte(addr, (byte) (old ^ mask));
            return old;
        }
    }

    @Override
    public byte atomicXchgByte(int addr, byte value) {
        synchronized (atomic(addr, 1)) {
            byte old = memory.read(addr);
            memory.writeByte(addr, value);
            return old;
        }
    }

    @Override
    public byte atomicCmpxchgByte(int addr, byte expected, byte replacement) {
        synchronized (atomic(addr, 1)) {
            byte old = memory.read(addr);
            if (old == expected) {
                memory.writeByte(addr, replacement);
            }
            return old;
        }
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

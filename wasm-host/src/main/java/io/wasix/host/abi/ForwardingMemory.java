package io.wasix.host.abi;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.nio.charset.Charset;

/**
 * A guest's linear memory kept in Chicory's {@link ByteArrayMemory} (a final class, so it cannot be extended),
 * with memory.grow bounded by a {@link GrowLimit} (--max-memory) when there is one: the one forwarding layer of
 * {@link BoundedMemory} and {@link SharedMemory}, which differ only in their atomics.
 *
 * <p>Every method of {@link Memory}, defaults included, is forwarded: a default left to the interface would run
 * its own fallback, not the wrapped memory's. Plain loads and stores, bulk copies, strings and growth are
 * final, so that compiled guest code's calls through {@link Memory} reach one method whichever of the two
 * classes a JVM sees, and inline both layers (bench/results/2026-12-05-memory-forwarding.md). The atomics,
 * waits and notifies are the wrapped memory's too unless a subclass answers them itself (SharedMemory does).
 *
 * <p>Threading: as ByteArrayMemory; grow may be called by any of the guest's threads.
 */
@SuppressWarnings("removal") // Memory's waitOn/notify/lock are deprecated for removal, and still what the runtime calls
public abstract sealed class ForwardingMemory implements Memory permits BoundedMemory, SharedMemory {
    /** The pages; subclasses' atomics read and write them directly. */
    final ByteArrayMemory memory;
    /** How memory.grow is bounded; null: only by the declared maximum. */
    private final GrowLimit limit;

    ForwardingMemory(MemoryLimits limits, GrowLimit limit) {
        this.memory = new ByteArrayMemory(limits);
        this.limit = limit;
    }

    /** The ByteArrayMemory holding the pages, for copies that reach its page array (see MemoryPages). */
    final ByteArrayMemory backing() {
        return memory;
    }

    @Override
    public final int grow(int size) {
        return limit == null ? memory.grow(size) : limit.grow(memory, size);
    }

    @Override
    public final int pages() {
        return memory.pages();
    }

    @Override
    public final int initialPages() {
        return memory.initialPages();
    }

    @Override
    public final int maximumPages() {
        return memory.maximumPages();
    }

    @Override
    public final boolean shared() {
        return memory.shared();
    }

    @Override
    public final void initialize(Instance instance, DataSegment[] segments) {
        memory.initialize(instance, segments);
    }

    @Override
    public final void initialize(Instance instance, DataSegment[] segments, int memoryIndex) {
        memory.initialize(instance, segments, memoryIndex);
    }

    @Override
    public final void initPassiveSegment(int segment, int destination, int offset, int size) {
        memory.initPassiveSegment(segment, destination, offset, size);
    }

    @Override
    public final void writeString(int addr, String s, Charset charset) {
        memory.writeString(addr, s, charset);
    }

    @Override
    public final void writeString(int addr, String s) {
        memory.writeString(addr, s);
    }

    @Override
    public final String readString(int addr, int len) {
        return memory.readString(addr, len);
    }

    @Override
    public final String readString(int addr, int len, Charset charset) {
        return memory.readString(addr, len, charset);
    }

    @Override
    public final void writeCString(int addr, String s) {
        memory.writeCString(addr, s);
    }

    @Override
    public final void writeCString(int addr, String s, Charset charset) {
        memory.writeCString(addr, s, charset);
    }

    @Override
    public final String readCString(int addr, Charset charset) {
        return memory.readCString(addr, charset);
    }

    @Override
    public final String readCString(int addr) {
        return memory.readCString(addr);
    }

    @Override
    public final void write(int addr, byte[] data) {
        memory.write(addr, data);
    }

    @Override
    public final void write(int addr, byte[] data, int offset, int size) {
        memory.write(addr, data, offset, size);
    }

    @Override
    public final byte read(int addr) {
        return memory.read(addr);
    }

    @Override
    public final byte[] readBytes(int addr, int len) {
        return memory.readBytes(addr, len);
    }

    @Override
    public final void writeI32(int addr, int value) {
        memory.writeI32(addr, value);
    }

    @Override
    public final int readInt(int addr) {
        return memory.readInt(addr);
    }

    @Override
    public final long readI32(int addr) {
        return memory.readI32(addr);
    }

    @Override
    public final long readU32(int addr) {
        return memory.readU32(addr);
    }

    @Override
    public final void writeLong(int addr, long value) {
        memory.writeLong(addr, value);
    }

    @Override
    public final long readLong(int addr) {
        return memory.readLong(addr);
    }

    @Override
    public final long readI64(int addr) {
        return memory.readI64(addr);
    }

    @Override
    public final void writeShort(int addr, short value) {
        memory.writeShort(addr, value);
    }

    @Override
    public final short readShort(int addr) {
        return memory.readShort(addr);
    }

    @Override
    public final long readI16(int addr) {
        return memory.readI16(addr);
    }

    @Override
    public final long readU16(int addr) {
        return memory.readU16(addr);
    }

    @Override
    public final void writeByte(int addr, byte value) {
        memory.writeByte(addr, value);
    }

    @Override
    public final long readU8(int addr) {
        return memory.readU8(addr);
    }

    @Override
    public final long readI8(int addr) {
        return memory.readI8(addr);
    }

    @Override
    public final void writeF32(int addr, float value) {
        memory.writeF32(addr, value);
    }

    @Override
    public final long readF32(int addr) {
        return memory.readF32(addr);
    }

    @Override
    public final float readFloat(int addr) {
        return memory.readFloat(addr);
    }

    @Override
    public final void writeF64(int addr, double value) {
        memory.writeF64(addr, value);
    }

    @Override
    public final double readDouble(int addr) {
        return memory.readDouble(addr);
    }

    @Override
    public final long readF64(int addr) {
        return memory.readF64(addr);
    }

    @Override
    public final void zero() {
        memory.zero();
    }

    @Override
    public final void fill(byte value, int offset, int size) {
        memory.fill(value, offset, size);
    }

    @Override
    public final void copy(int destination, int source, int size) {
        memory.copy(destination, source, size);
    }

    @Override
    public final void drop(int segment) {
        memory.drop(segment);
    }

    // ------------------------------------------------------------------ atomics, waits and notifies

    @Override
    public Object lock(int addr) {
        return memory.lock(addr);
    }

    @Override
    public int waitOn(int addr, int expected, long timeout) {
        return memory.waitOn(addr, expected, timeout);
    }

    @Override
    public int waitOn(int addr, long expected, long timeout) {
        return memory.waitOn(addr, expected, timeout);
    }

    @Override
    public int notify(int addr, int maxThreads) {
        return memory.notify(addr, maxThreads);
    }

    @Override
    public void atomicFence() {
        memory.atomicFence();
    }

    @Override
    public int atomicWait(int addr, int expected, long timeout) {
        return memory.atomicWait(addr, expected, timeout);
    }

    @Override
    public int atomicWait(int addr, long expected, long timeout) {
        return memory.atomicWait(addr, expected, timeout);
    }

    @Override
    public int atomicNotify(int addr, int maxThreads) {
        return memory.atomicNotify(addr, maxThreads);
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
    public int atomicAddInt(int addr, int value) {
        return memory.atomicAddInt(addr, value);
    }

    @Override
    public int atomicAndInt(int addr, int value) {
        return memory.atomicAndInt(addr, value);
    }

    @Override
    public int atomicOrInt(int addr, int value) {
        return memory.atomicOrInt(addr, value);
    }

    @Override
    public int atomicXorInt(int addr, int value) {
        return memory.atomicXorInt(addr, value);
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
    public long atomicAddLong(int addr, long value) {
        return memory.atomicAddLong(addr, value);
    }

    @Override
    public long atomicAndLong(int addr, long value) {
        return memory.atomicAndLong(addr, value);
    }

    @Override
    public long atomicOrLong(int addr, long value) {
        return memory.atomicOrLong(addr, value);
    }

    @Override
    public long atomicXorLong(int addr, long value) {
        return memory.atomicXorLong(addr, value);
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
    public short atomicAddShort(int addr, short value) {
        return memory.atomicAddShort(addr, value);
    }

    @Override
    public short atomicAndShort(int addr, short value) {
        return memory.atomicAndShort(addr, value);
    }

    @Override
    public short atomicOrShort(int addr, short value) {
        return memory.atomicOrShort(addr, value);
    }

    @Override
    public short atomicXorShort(int addr, short value) {
        return memory.atomicXorShort(addr, value);
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
    public byte atomicAddByte(int addr, byte value) {
        return memory.atomicAddByte(addr, value);
    }

    @Override
    public byte atomicAndByte(int addr, byte value) {
        return memory.atomicAndByte(addr, value);
    }

    @Override
    public byte atomicOrByte(int addr, byte value) {
        return memory.atomicOrByte(addr, value);
    }

    @Override
    public byte atomicXorByte(int addr, byte value) {
        return memory.atomicXorByte(addr, value);
    }

    @Override
    public byte atomicXchgByte(int addr, byte value) {
        return memory.atomicXchgByte(addr, value);
    }

    @Override
    public byte atomicCmpxchgByte(int addr, byte expected, byte replacement) {
        return memory.atomicCmpxchgByte(addr, expected, replacement);
    }
}

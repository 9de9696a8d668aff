package io.wasix.host.abi;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import io.wasix.host.metrics.LimitCounters;
import java.nio.charset.Charset;

/**
 * A guest's linear memory with a bounded memory.grow ({@link GrowLimit}): past the guest's limit (--max-memory)
 * or past what the heap can hold with the host's reserve kept, grow answers -1, and the refusal is counted.
 *
 * <p>Everything else goes straight to Chicory's {@link ByteArrayMemory} (a final class, so it cannot be
 * extended): every method of {@link Memory}, defaults included, is forwarded, so its atomics and waits are
 * ByteArrayMemory's own. The appliance instantiates every guest with this one class, so compiled code's
 * calls through {@link Memory} stay monomorphic and inline both layers (measured: bench/results).
 *
 * <p>Threading: as ByteArrayMemory; grow may be called by any of the guest's threads.
 */
public final class BoundedMemory implements Memory {
    private final ByteArrayMemory memory;
    private final GrowLimit limit;

    /**
     * @param limits the module's declared limits
     * @param maxPages the guest's limit in pages: the declared maximum is lowered to it
     * @throws IllegalArgumentException when the memory starts above the limit
     */
    public BoundedMemory(MemoryLimits limits, int maxPages, HeapReserve heap, LimitCounters counters) {
        this.memory = new ByteArrayMemory(GrowLimit.lowered(limits, maxPages));
        this.limit = new GrowLimit(heap, counters);
    }

    /** The ByteArrayMemory holding the pages, for copies that reach its page array (see MemoryPages). */
    ByteArrayMemory backing() {
        return memory;
    }

    @Override
    public int grow(int size) {
        return limit.grow(memory, size);
    }

    @Override
    public int pages() {
        return memory.pages();
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
    @SuppressWarnings("removal")
    public Object lock(int addr) {
        return memory.lock(addr);
    }

    @Override
    @SuppressWarnings("removal")
    public int waitOn(int addr, int expected, long timeout) {
        return memory.waitOn(addr, expected, timeout);
    }

    @Override
    @SuppressWarnings("removal")
    public int waitOn(int addr, long expected, long timeout) {
        return memory.waitOn(addr, expected, timeout);
    }

    @Override
    @SuppressWarnings("removal")
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

    @Override
    public void initialize(Instance instance, DataSegment[] segments) {
        memory.initialize(instance, segments);
    }

    @Override
    public void initialize(Instance instance, DataSegment[] segments, int memoryIndex) {
        memory.initialize(instance, segments, memoryIndex);
    }

    @Override
    public void initPassiveSegment(int segment, int destination, int offset, int size) {
        memory.initPassiveSegment(segment, destination, offset, size);
    }

    @Override
    public void writeString(int addr, String s, Charset charset) {
        memory.writeString(addr, s, charset);
    }

    @Override
    public void writeString(int addr, String s) {
        memory.writeString(addr, s);
    }

    @Override
    public String readString(int addr, int len) {
        return memory.readString(addr, len);
    }

    @Override
    public String readString(int addr, int len, Charset charset) {
        return memory.readString(addr, len, charset);
    }

    @Override
    public void writeCString(int addr, String s) {
        memory.writeCString(addr, s);
    }

    @Override
    public void writeCString(int addr, String s, Charset charset) {
        memory.writeCString(addr, s, charset);
    }

    @Override
    public String readCString(int addr, Charset charset) {
        return memory.readCString(addr, charset);
    }

    @Override
    public String readCString(int addr) {
        return memory.readCString(addr);
    }

    @Override
    public void write(int addr, byte[] data) {
        memory.write(addr, data);
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
    public void writeI32(int addr, int value) {
        memory.writeI32(addr, value);
    }

    @Override
    public int readInt(int addr) {
        return memory.readInt(addr);
    }

    @Override
    public long readI32(int addr) {
        return memory.readI32(addr);
    }

    @Override
    public long readU32(int addr) {
        return memory.readU32(addr);
    }

    @Override
    public void writeLong(int addr, long value) {
        memory.writeLong(addr, value);
    }

    @Override
    public long readLong(int addr) {
        return memory.readLong(addr);
    }

    @Override
    public long readI64(int addr) {
        return memory.readI64(addr);
    }

    @Override
    public void writeShort(int addr, short value) {
        memory.writeShort(addr, value);
    }

    @Override
    public short readShort(int addr) {
        return memory.readShort(addr);
    }

    @Override
    public long readI16(int addr) {
        return memory.readI16(addr);
    }

    @Override
    public long readU16(int addr) {
        return memory.readU16(addr);
    }

    @Override
    public void writeByte(int addr, byte value) {
        memory.writeByte(addr, value);
    }

    @Override
    public long readU8(int addr) {
        return memory.readU8(addr);
    }

    @Override
    public long readI8(int addr) {
        return memory.readI8(addr);
    }

    @Override
    public void writeF32(int addr, float value) {
        memory.writeF32(addr, value);
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
    public void writeF64(int addr, double value) {
        memory.writeF64(addr, value);
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
    public void fill(byte value, int offset, int size) {
        memory.fill(value, offset, size);
    }

    @Override
    public void copy(int destination, int source, int size) {
        memory.copy(destination, source, size);
    }

    @Override
    public void drop(int segment) {
        memory.drop(segment);
    }
}

package io.wasix.host.abi;

import com.dylibso.chicory.runtime.Memory;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Bounds-checked view of one instance's linear memory. Every pointer and length the guest hands us goes
 * through here, so a bad one becomes EFAULT instead of a host exception. Offsets are unsigned 32-bit and
 * may be unaligned. Owned by the guest thread; in threaded mode, by any guest thread under the shard lock.
 */
public final class GuestMemory {
    private final Memory memory;
    /** Chicory's own pages when it lets us see them, for copies that need no temporary array. */
    private final ByteBuffer[] bufferPages;
    private final byte[][] arrayPages;

    public GuestMemory(Memory memory) {
        this.memory = memory;
        Object pages = MemoryPages.of(memory);
        this.bufferPages = pages instanceof ByteBuffer[] b ? b : null;
        this.arrayPages = pages instanceof byte[][] a ? a : null;
    }

    /** Checks that [addr, addr+len) lies in memory, treating both as unsigned 32-bit values. */
    public void check(int addr, int len) {
        checkEnd(Integer.toUnsignedLong(addr) + Integer.toUnsignedLong(len));
    }

    /**
     * Checks that an array of {@code count} elements of {@code size} bytes at {@code addr} lies in memory, all
     * unsigned and computed in 64 bits: {@code count * size} must not wrap around in 32.
     */
    public void checkArray(int addr, int count, int size) {
        checkEnd(Integer.toUnsignedLong(addr) + Integer.toUnsignedLong(count) * size);
    }

    private void checkEnd(long end) {
        // pages() is re-read each time because the guest may grow its memory between calls.
        if (end > (long) memory.pages() * Memory.PAGE_SIZE) {
            throw Errno.FAULT.fail();
        }
    }

    public int readU8(int addr) {
        check(addr, 1);
        return memory.read(addr) & 0xff;
    }

    public int readU16(int addr) {
        check(addr, 2);
        return memory.readShort(addr) & 0xffff;
    }

    public int readI32(int addr) {
        check(addr, 4);
        return memory.readInt(addr);
    }

    public long readI64(int addr) {
        check(addr, 8);
        return memory.readLong(addr);
    }

    public byte[] readBytes(int addr, int len) {
        check(addr, len);
        return memory.readBytes(addr, len);
    }

    /**
     * Copies guest bytes into {@code dst} without the temporary array {@link #readBytes} makes: straight from
     * Chicory's pages when {@link MemoryPages} can reach them.
     */
    public void readInto(int addr, byte[] dst, int off, int len) {
        check(addr, len);
        Objects.checkFromIndexSize(off, len, dst.length);
        if (bufferPages == null && arrayPages == null) {
            System.arraycopy(memory.readBytes(addr, len), 0, dst, off, len);
            return;
        }
        int at = addr;
        while (len > 0) {
            int page = at >>> MemoryPages.PAGE_SHIFT;
            int in = at & (Memory.PAGE_SIZE - 1);
            int n = Math.min(len, Memory.PAGE_SIZE - in);
            if (bufferPages != null) {
                ByteBuffer b = bufferPages[page];
                if (b.hasArray()) { // a heap page: a plain arraycopy, without the buffer's own checks
                    System.arraycopy(b.array(), b.arrayOffset() + in, dst, off, n);
                } else {
                    b.get(in, dst, off, n);
                }
            } else {
                System.arraycopy(arrayPages[page], in, dst, off, n);
            }
            at += n;
            off += n;
            len -= n;
        }
    }

    /**
     * Appends {@code len} guest bytes from {@code addr} to {@code dst}: one copy, page by page, with no
     * temporary array when the pages can be reached (a socket send's only copy).
     */
    public void readInto(int addr, ByteBuf dst, int len) {
        check(addr, len);
        if (bufferPages == null && arrayPages == null) {
            dst.writeBytes(memory.readBytes(addr, len));
            return;
        }
        int at = addr;
        while (len > 0) {
            int page = at >>> MemoryPages.PAGE_SHIFT;
            int in = at & (Memory.PAGE_SIZE - 1);
            int n = Math.min(len, Memory.PAGE_SIZE - in);
            if (bufferPages != null) {
                ByteBuffer b = bufferPages[page];
                if (b.hasArray()) {
                    dst.writeBytes(b.array(), b.arrayOffset() + in, n);
                } else {
                    dst.writeBytes(b.slice(in, n));
                }
            } else {
                dst.writeBytes(arrayPages[page], in, n);
            }
            at += n;
            len -= n;
        }
    }

    /**
     * Copies {@code len} bytes of {@code src}, from {@code index} (its reader index is left alone), to guest
     * memory at {@code addr}: one copy, page by page (a socket receive's only copy).
     */
    public void writeFrom(int addr, ByteBuf src, int index, int len) {
        check(addr, len);
        if (bufferPages == null && arrayPages == null) {
            byte[] tmp = new byte[len];
            src.getBytes(index, tmp);
            memory.write(addr, tmp);
            return;
        }
        int at = addr;
        while (len > 0) {
            int page = at >>> MemoryPages.PAGE_SHIFT;
            int in = at & (Memory.PAGE_SIZE - 1);
            int n = Math.min(len, Memory.PAGE_SIZE - in);
            if (bufferPages != null) {
                ByteBuffer b = bufferPages[page];
                if (b.hasArray()) {
                    src.getBytes(index, b.array(), b.arrayOffset() + in, n);
                } else {
                    src.getBytes(index, b.slice(in, n));
                }
            } else {
                src.getBytes(index, arrayPages[page], in, n);
            }
            at += n;
            index += n;
            len -= n;
        }
    }

    public void writeU8(int addr, int value) {
        check(addr, 1);
        memory.writeByte(addr, (byte) value);
    }

    public void writeU16(int addr, int value) {
        check(addr, 2);
        memory.writeShort(addr, (short) value);
    }

    public void writeI32(int addr, int value) {
        check(addr, 4);
        memory.writeI32(addr, value);
    }

    public void writeI64(int addr, long value) {
        check(addr, 8);
        memory.writeLong(addr, value);
    }

    public void write(int addr, byte[] data, int offset, int len) {
        check(addr, len);
        if (!writePages(addr, data, offset, len)) {
            memory.write(addr, data, offset, len);
        }
    }

    /**
     * Copies into Chicory's pages with arraycopy when they are heap arrays (its ByteBuffer pages' bulk put
     * costs several times a plain copy); false when they cannot be reached. Bounds already checked.
     */
    private boolean writePages(int addr, byte[] src, int off, int len) {
        if (bufferPages == null && arrayPages == null) {
            return false;
        }
        Objects.checkFromIndexSize(off, len, src.length);
        int at = addr;
        while (len > 0) {
            int page = at >>> MemoryPages.PAGE_SHIFT;
            int in = at & (Memory.PAGE_SIZE - 1);
            int n = Math.min(len, Memory.PAGE_SIZE - in);
            if (bufferPages != null) {
                ByteBuffer b = bufferPages[page];
                if (b.hasArray()) {
                    System.arraycopy(src, off, b.array(), b.arrayOffset() + in, n);
                } else {
                    b.put(in, src, off, n);
                }
            } else {
                System.arraycopy(src, off, arrayPages[page], in, n);
            }
            at += n;
            off += n;
            len -= n;
        }
        return true;
    }

    public void write(int addr, byte[] data) {
        write(addr, data, 0, data.length);
    }

    public void fill(int addr, int len, byte value) {
        check(addr, len);
        memory.fill(value, addr, addr + len);
    }

    /**
     * Reads and checks an iovec array ({u32 ptr, u32 len} pairs). All buffers are validated before any is
     * used, so a bad entry fails the whole call with EFAULT and leaves nothing half done.
     */
    public IoVec[] iovecs(int iovs, int count) {
        if (count < 0) {
            throw Errno.INVAL.fail();
        }
        checkArray(iovs, count, 8); // before allocating: a huge count is EFAULT, not a huge array
        IoVec[] out = new IoVec[count];
        for (int i = 0; i < count; i++) {
            int ptr = memory.readInt(iovs + i * 8);
            int len = memory.readInt(iovs + i * 8 + 4);
            check(ptr, len);
            out[i] = new IoVec(ptr, len);
        }
        return out;
    }

    /** One checked guest buffer. */
    public record IoVec(int ptr, int len) {
        public static long total(IoVec[] iovs) {
            long sum = 0;
            for (IoVec v : iovs) {
                sum += Integer.toUnsignedLong(v.len);
            }
            return sum;
        }
    }
}

package io.wasix.host.syscalls;

import io.netty.buffer.ByteBuf;
import io.wasix.host.abi.GuestMemory;
import io.wasix.host.abi.GuestMemory.IoVec;
import io.wasix.host.net.GuestBuffers;

/**
 * A position in one call's checked iovecs, moving forward as bytes are copied to or from them. One instance
 * per guest, reset by every socket send or receive, so the hot path allocates nothing for it.
 *
 * <p>Threading: one call at a time (host calls do not nest): the guest thread's; in threaded mode each guest
 * thread has its own (GuestState), as a send or receive may wait, the shard lock let go, with it half used.
 */
final class IovecCursor implements GuestBuffers {
    private GuestMemory memory;
    private IoVec[] vecs;
    private long total;
    private int index;  // the iovec the next byte belongs to
    private long offset; // bytes of vecs[index] already used (lengths are unsigned 32-bit)

    IovecCursor reset(GuestMemory memory, IoVec[] vecs) {
        this.memory = memory;
        this.vecs = vecs;
        this.total = IoVec.total(vecs);
        this.index = 0;
        this.offset = 0;
        return this;
    }

    @Override
    public long total() {
        return total;
    }

    @Override
    public void put(ByteBuf src, int srcIndex, int len) {
        while (len > 0) {
            IoVec v = current();
            int n = (int) Math.min(len, Integer.toUnsignedLong(v.len()) - offset);
            memory.writeFrom(v.ptr() + (int) offset, src, srcIndex, n);
            srcIndex += n;
            len -= n;
            offset += n;
        }
    }

    @Override
    public void take(ByteBuf dst, int len) {
        while (len > 0) {
            IoVec v = current();
            int n = (int) Math.min(len, Integer.toUnsignedLong(v.len()) - offset);
            memory.readInto(v.ptr() + (int) offset, dst, n);
            len -= n;
            offset += n;
        }
    }

    /** The iovec the next byte goes to or comes from, skipping used and empty ones. */
    private IoVec current() {
        while (offset >= Integer.toUnsignedLong(vecs[index].len())) {
            index++;
            offset = 0;
        }
        return vecs[index];
    }

    /** Drops the references to the call's memory and iovecs, so they are not kept past the call. */
    void clear() {
        memory = null;
        vecs = null;
    }
}

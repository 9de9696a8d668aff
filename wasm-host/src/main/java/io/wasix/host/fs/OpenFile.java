package io.wasix.host.fs;

import io.wasix.host.abi.GuestMemory;

/**
 * The data of an open regular file, addressed by absolute position (the fd layer keeps the offset).
 * Owned by the guest thread; in threaded mode, by any guest thread under the shard lock.
 */
public interface OpenFile {
    int read(long pos, byte[] buf, int off, int len);

    int write(long pos, byte[] buf, int off, int len);

    /**
     * Writes all of {@code buf}, which the caller hands over: an implementation may keep the array itself
     * instead of copying it (the guest's bytes arrive in a fresh array already).
     */
    default int writeOwned(long pos, byte[] buf) {
        return write(pos, buf, 0, buf.length);
    }

    /**
     * Writes {@code len} guest bytes at {@code addr} (already bounds-checked) at {@code pos}, copying them
     * straight into the file's storage where it has any, so the syscall layer needs no array of its own.
     */
    default int writeFrom(long pos, GuestMemory src, int addr, int len) {
        return write(pos, src.readBytes(addr, len), 0, len);
    }

    /**
     * Reads up to {@code len} bytes at {@code pos} into guest memory at {@code addr} (already bounds-checked),
     * straight from the file's storage where it has any; returns how many.
     */
    default int readTo(long pos, GuestMemory dst, int addr, int len) {
        byte[] tmp = new byte[len];
        int n = read(pos, tmp, 0, len);
        dst.write(addr, tmp, 0, n);
        return n;
    }

    long size();

    void truncate(long size);

    /** Makes sure [offset, offset+len) is backed, growing the file if needed (posix_fallocate). */
    void allocate(long offset, long len);

    void sync();

    void close();
}

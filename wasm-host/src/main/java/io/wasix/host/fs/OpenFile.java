package io.wasix.host.fs;

/**
 * The data of an open regular file, addressed by absolute position (the fd layer keeps the offset).
 * Owned by the guest thread.
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

    long size();

    void truncate(long size);

    /** Makes sure [offset, offset+len) is backed, growing the file if needed (posix_fallocate). */
    void allocate(long offset, long len);

    void sync();

    void close();
}

package io.wasix.host.fs;


/**
 * An open regular file: the open file description that fd_dup'ed fds share, so they share its offset, as on
 * Linux. Owned by the guest thread; in threaded mode, by any guest thread under the shard lock.
 */
public final class FileDescriptor extends FsDescriptor {
    private final OpenFile data;
    private final boolean readable, writable;
    private long position;

    public FileDescriptor(Vnode node, OpenFile data, boolean readable, boolean writable, long base, long inheriting) {
        super(node, base, inheriting);
        this.data = data;
        this.readable = readable;
        this.writable = writable;
    }

    public OpenFile data() {
        return data;
    }

    /** Opened for reading (O_RDONLY or O_RDWR): otherwise fd_read is EBADF, as read(2) on O_WRONLY. */
    public boolean readable() {
        return readable;
    }

    public boolean writable() {
        return writable;
    }

    public long position() {
        return position;
    }

    public void position(long p) {
        position = p;
    }

    @Override
    public FileType fileType() {
        return FileType.REGULAR_FILE;
    }

    @Override
    public int readiness() {
        return IN | OUT; // a regular file is always ready, as poll(2) says
    }

    @Override
    public long readinessSeq() {
        return 0;
    }

    @Override
    public void close() {
        data.close();
    }
}

package io.wasix.host.fs;

import io.wasix.host.fd.Descriptor;

/**
 * An open regular file: the open file description that fd_dup'ed fds share, so they share its offset, as on
 * Linux. Owned by the guest thread.
 */
public final class FileDescriptor implements Descriptor {
    private final Vnode node;
    private final OpenFile data;
    private final boolean readable, writable;
    private long position;
    private long rightsBase, rightsInheriting;

    public FileDescriptor(Vnode node, OpenFile data, boolean readable, boolean writable, long base, long inheriting) {
        this.node = node;
        this.data = data;
        this.readable = readable;
        this.writable = writable;
        this.rightsBase = base;
        this.rightsInheriting = inheriting;
    }

    public Vnode node() {
        return node;
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

    public long rightsBase() {
        return rightsBase;
    }

    public long rightsInheriting() {
        return rightsInheriting;
    }

    public void rights(long base, long inheriting) {
        rightsBase = base;
        rightsInheriting = inheriting;
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

package io.wasix.host.syscalls;

import static io.wasix.host.syscalls.HostFunctions.i32s;

import io.wasix.host.abi.Errno;
import io.wasix.host.abi.GuestMemory;
import io.wasix.host.abi.GuestMemory.IoVec;
import io.wasix.host.fd.Descriptor;
import io.wasix.host.fd.FdTable;
import io.wasix.host.fd.StdioDescriptor;
import io.wasix.host.net.GuestSocket;
import java.io.IOException;

/**
 * The fd calls that sockets and stdio need: fd_close, fd_read, fd_write, fd_fdstat_get/set_flags, and
 * fd_prestat_get (no preopened directories yet, so EBADF, which ends libc's preopen scan). Runs on the guest
 * thread.
 */
final class FdCalls {
    /** All rights: this host does not narrow socket or stdio rights. */
    private static final long ALL_RIGHTS = 0x1FFFFFFFL;

    private final GuestState state;

    FdCalls(GuestState state) {
        this.state = state;
    }

    void register(HostFunctions r) {
        r.preview1("fd_close", i32s(1), (m, a) -> {
            state.fds.close((int) a[0]);
            return 0;
        });
        r.preview1("fd_read", i32s(4), (m, a) -> read(m, (int) a[0], (int) a[1], (int) a[2], (int) a[3]));
        r.preview1("fd_write", i32s(4), (m, a) -> write(m, (int) a[0], (int) a[1], (int) a[2], (int) a[3]));
        r.preview1("fd_fdstat_get", i32s(2), (m, a) -> fdstat(m, (int) a[0], (int) a[1]));
        r.preview1("fd_fdstat_set_flags", i32s(2), (m, a) -> {
            FdTable.Entry e = state.fds.entry((int) a[0]);
            int flags = (int) a[1] & 0xffff;
            // Sockets and stdio only take NONBLOCK here (and APPEND is meaningless for them); the sync flags
            // are file flags, which Linux's F_SETFL ignores too.
            e.setFlags((e.flags() & ~FdTable.FDFLAG_NONBLOCK) | (flags & FdTable.FDFLAG_NONBLOCK));
            return 0;
        });
        r.preview1("fd_prestat_get", i32s(2), (m, a) -> {
            state.fds.get((int) a[0]);
            throw Errno.BADF.fail(); // an open fd that is not a preopened directory
        });
        r.preview1("fd_prestat_dir_name", i32s(3), (m, a) -> {
            state.fds.get((int) a[0]);
            throw Errno.BADF.fail();
        });
    }

    private int read(GuestMemory m, int fd, int iovs, int iovsLen, int retN) {
        m.check(retN, 4);
        IoVec[] vecs = m.iovecs(iovs, iovsLen);
        FdTable.Entry e = state.fds.entry(fd);
        int n = switch (e.descriptor()) {
            case GuestSocket s -> Streams.recvInto(state, m, s, vecs, e.nonBlocking(), false, false);
            case StdioDescriptor io when io.readable() -> readStdio(m, io, vecs);
            case StdioDescriptor io -> throw Errno.BADF.fail();
            default -> throw Errno.INVAL.fail(); // an epoll fd
        };
        m.writeI32(retN, n);
        return 0;
    }

    private static int readStdio(GuestMemory m, StdioDescriptor io, IoVec[] vecs) {
        long total = IoVec.total(vecs);
        byte[] tmp = new byte[(int) Math.min(total, 1 << 16)];
        try {
            int n = tmp.length == 0 ? 0 : io.read(tmp, 0, tmp.length);
            Streams.scatter(m, vecs, tmp, n);
            return n;
        } catch (IOException ex) {
            throw Errno.IO.fail();
        }
    }

    private int write(GuestMemory m, int fd, int iovs, int iovsLen, int retN) {
        m.check(retN, 4);
        IoVec[] vecs = m.iovecs(iovs, iovsLen);
        FdTable.Entry e = state.fds.entry(fd);
        int n = switch (e.descriptor()) {
            case GuestSocket s -> Streams.sendFrom(m, s, vecs, e.nonBlocking());
            case StdioDescriptor io when io.writable() -> writeStdio(m, io, vecs);
            case StdioDescriptor io -> throw Errno.BADF.fail();
            default -> throw Errno.INVAL.fail(); // an epoll fd
        };
        m.writeI32(retN, n);
        return 0;
    }

    private static int writeStdio(GuestMemory m, StdioDescriptor io, IoVec[] vecs) {
        int n = 0;
        try {
            for (IoVec v : vecs) {
                io.write(m.readBytes(v.ptr(), v.len()), 0, v.len());
                n += v.len();
            }
        } catch (IOException ex) {
            throw Errno.IO.fail();
        }
        return n;
    }

    private int fdstat(GuestMemory m, int fd, int ret) {
        m.check(ret, 24);
        FdTable.Entry e = state.fds.entry(fd);
        Descriptor d = e.descriptor();
        m.fill(ret, 24, (byte) 0);
        m.writeU8(ret, d.fileType().ordinal());
        m.writeU16(ret + 2, e.flags());
        m.writeI64(ret + 8, ALL_RIGHTS);
        m.writeI64(ret + 16, ALL_RIGHTS);
        return 0;
    }
}

package io.wasix.host.syscalls;

import static io.wasix.host.syscalls.HostFunctions.i32s;

import io.wasix.host.abi.Errno;
import io.wasix.host.abi.GuestMemory;
import io.wasix.host.abi.GuestMemory.IoVec;
import io.wasix.host.fd.Descriptor;
import io.wasix.host.fd.EventCounter;
import io.wasix.host.fd.FdTable;
import io.wasix.host.fd.PipeEnd;
import io.wasix.host.fd.StdioDescriptor;
import io.wasix.host.fs.DirDescriptor;
import io.wasix.host.fs.FileDescriptor;
import io.wasix.host.fs.FsDescriptor;
import io.wasix.host.fs.Rights;
import io.wasix.host.net.GuestSocket;
import io.wasix.host.net.GuestUdpSocket;
import java.io.IOException;

/**
 * The fd calls every kind of fd takes: fd_close, fd_read, fd_write, fd_fdstat_get/set_flags, and WASIX's
 * fd_dup2 (fcntl's F_DUPFD) and fd_fdflags_get/set (the per-fd CLOEXEC flag). Files go to
 * {@link FileCalls}, pipes to {@link PipeCalls}, event fds to {@link EventCalls}. Runs on the guest thread; in
 * threaded mode, on any guest thread under the shard lock.
 */
final class FdCalls {
    /** All rights: this host does not narrow socket or stdio rights. */
    private static final long ALL_RIGHTS = 0x1FFFFFFFL;

    private final GuestState state;
    private final FileCalls files;

    FdCalls(GuestState state, FileCalls files) {
        this.state = state;
        this.files = files;
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
            // Sockets and stdio only take NONBLOCK here (and APPEND is meaningless for them); files take APPEND
            // too. The sync flags are ignored, as Linux's F_SETFL ignores them.
            int settable = FdTable.FDFLAG_NONBLOCK;
            if (e.descriptor() instanceof FileDescriptor f) {
                FileCalls.need(f.rightsBase(), Rights.FD_FDSTAT_SET_FLAGS);
                settable |= FdTable.FDFLAG_APPEND;
            }
            e.setFlags((e.flags() & ~settable) | (flags & settable));
            return 0;
        });
        r.wasix("fd_dup2", i32s(4), (m, a) -> {
            m.check((int) a[3], 4);
            m.writeI32((int) a[3], state.fds.dupAtLeast((int) a[0], (int) a[1], (int) a[2] != 0));
            return 0;
        });
        r.wasix("fd_fdflags_get", i32s(2), (m, a) -> {
            m.check((int) a[1], 2);
            m.writeU16((int) a[1], state.fds.cloexec((int) a[0]) ? FDFLAGSEXT_CLOEXEC : 0);
            return 0;
        });
        // Other bits are ignored, as F_SETFD ignores them (and wasix-libc's F_SETFD always sends CLOEXEC).
        r.wasix("fd_fdflags_set", i32s(2), (m, a) -> {
            state.fds.setCloexec((int) a[0], ((int) a[1] & FDFLAGSEXT_CLOEXEC) != 0);
            return 0;
        });
    }

    /** WASIX fdflagsext: the fd's close-on-exec flag. */
    static final int FDFLAGSEXT_CLOEXEC = 1;

    private int read(GuestMemory m, int fd, int iovs, int iovsLen, int retN) {
        m.check(retN, 4);
        IoVec[] vecs = m.iovecs(iovs, iovsLen);
        FdTable.Entry e = state.fds.entry(fd);
        int n = switch (e.descriptor()) {
            case GuestSocket s -> Streams.recvInto(state, m, s, vecs, e.nonBlocking(), false, false);
            // read(2) of nothing returns 0 without taking a datagram (sock_read_iter); a recv of nothing takes one
            case GuestUdpSocket u when IoVec.total(vecs) == 0 -> 0;
            case GuestUdpSocket u -> Streams.receiveDatagram(state, m, u, vecs, e.nonBlocking(), false).copied();
            case PipeEnd p -> PipeCalls.read(state, m, p, vecs, e.nonBlocking());
            case EventCounter ev -> EventCalls.read(state, m, ev, vecs, e.nonBlocking());
            case StdioDescriptor io when io.readable() -> readStdio(m, io, vecs, e.nonBlocking());
            case FileDescriptor f -> files.readFile(m, e, f, vecs);
            case DirDescriptor d -> throw Errno.ISDIR.fail();
            case StdioDescriptor io -> throw Errno.BADF.fail();
            default -> throw Errno.INVAL.fail(); // an epoll fd
        };
        m.writeI32(retN, n);
        return 0;
    }

    /**
     * Reads stdin. With NONBLOCK set it answers EAGAIN when no byte is ready, as read(2) on a pipe or tty does;
     * the JDK cannot tell "nothing yet" from end of input without blocking, so at end of input a non-blocking
     * read keeps answering EAGAIN (a blocking read sees the 0). A blocking read blocks the guest thread in the
     * JDK, and with it the guest's socket loop, until a byte or the end comes: stdin is not a Netty channel.
     * In threaded mode only the reading thread waits; the shard lock is let go meanwhile.
     */
    private int readStdio(GuestMemory m, StdioDescriptor io, IoVec[] vecs, boolean nonBlocking) {
        int want = (int) Math.min(IoVec.total(vecs), GuestState.COPY_BUFFER_SIZE);
        if (want == 0) {
            return 0;
        }
        try {
            if (nonBlocking) {
                int ready = io.available();
                if (ready <= 0) {
                    throw Errno.AGAIN.fail();
                }
                want = Math.min(want, ready);
            }
            if (state.threads.threaded()) {
                // The other guest threads go on while this one waits for input: the lock is let go, so the
                // shared scratch buffer is not ours meanwhile.
                byte[] own = new byte[want];
                int want0 = want;
                int n = state.net.loop().lock().outside(() -> readQuietly(io, own, want0));
                Streams.scatter(m, vecs, own, n);
                return n;
            }
            byte[] tmp = state.copyBuffer(want);
            int n = io.read(tmp, 0, want);
            Streams.scatter(m, vecs, tmp, n);
            return n;
        } catch (IOException ex) {
            throw Errno.IO.fail();
        }
    }

    private static int readQuietly(StdioDescriptor io, byte[] buf, int len) {
        try {
            return io.read(buf, 0, len);
        } catch (IOException e) {
            throw Errno.IO.fail();
        }
    }

    private int write(GuestMemory m, int fd, int iovs, int iovsLen, int retN) {
        m.check(retN, 4);
        IoVec[] vecs = m.iovecs(iovs, iovsLen);
        FdTable.Entry e = state.fds.entry(fd);
        int n = switch (e.descriptor()) {
            case GuestSocket s -> Streams.sendFrom(state, m, s, vecs, e.nonBlocking());
            case GuestUdpSocket u -> Streams.sendDatagram(state, m, u, vecs, null, e.nonBlocking());
            case PipeEnd p -> PipeCalls.write(state, m, p, vecs, e.nonBlocking());
            case EventCounter ev -> EventCalls.write(state, m, ev, vecs, e.nonBlocking());
            case StdioDescriptor io when io.writable() -> writeStdio(m, io, vecs);
            case FileDescriptor f -> files.writeFile(m, e, f, vecs);
            case DirDescriptor d -> throw Errno.BADF.fail();
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
        long base = ALL_RIGHTS, inheriting = ALL_RIGHTS;
        if (d instanceof FsDescriptor f) {
            base = f.rightsBase();
            inheriting = f.rightsInheriting();
        }
        m.writeI64(ret + 8, base);
        m.writeI64(ret + 16, inheriting);
        return 0;
    }
}

package io.wasix.host.syscalls;

import static com.dylibso.chicory.wasm.types.ValType.I32;
import static com.dylibso.chicory.wasm.types.ValType.I64;
import static io.wasix.host.syscalls.HostFunctions.i32s;

import io.wasix.host.abi.Errno;
import io.wasix.host.abi.GuestMemory;
import io.wasix.host.abi.GuestMemory.IoVec;
import io.wasix.host.fd.Descriptor;
import io.wasix.host.fd.FdTable;
import io.wasix.host.fs.DirDescriptor;
import io.wasix.host.fs.FileDescriptor;
import io.wasix.host.fs.FsDescriptor;
import io.wasix.host.fs.Rights;
import io.wasix.host.fs.Stat;
import io.wasix.host.fs.Times;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The preview1 fd_* calls on files and directories (pread/pwrite, seek/tell, filestat, advise, allocate,
 * sync, renumber, prestat, rights) and WASIX fd_dup. fd_read/fd_write/fd_close/fd_fdstat_* are in
 * {@link FdCalls}, which hands files to {@link #readFile} and {@link #writeFile}. Runs on the guest thread; in
 * threaded mode, on any guest thread under the shard lock.
 */
final class FileCalls extends FsCalls {
    FileCalls(GuestState state) {
        super(state);
    }

    void register(HostFunctions r) {
        r.preview1("fd_pread", List.of(I32, I32, I32, I64, I32), (m, a) -> {
            m.check((int) a[4], 4);
            FileDescriptor f = file((int) a[0], Rights.FD_READ | Rights.FD_SEEK);
            m.writeI32((int) a[4], readAt(m, f, m.iovecs((int) a[1], (int) a[2]), offset(a[3])));
            return 0;
        });
        r.preview1("fd_pwrite", List.of(I32, I32, I32, I64, I32), (m, a) -> {
            m.check((int) a[4], 4);
            FdTable.Entry e = state.fds.entry((int) a[0]);
            FileDescriptor f = file((int) a[0], Rights.FD_WRITE | Rights.FD_SEEK);
            if (!f.writable()) {
                throw Errno.BADF.fail();
            }
            IoVec[] vecs = m.iovecs((int) a[1], (int) a[2]);
            // Linux appends a pwrite on an O_APPEND fd, whatever its offset says.
            long pos = (e.flags() & FdTable.FDFLAG_APPEND) != 0 ? f.data().size() : offset(a[3]);
            if (vecs.length == 1) {
                m.writeI32((int) a[4], f.data().writeFrom(pos, m, vecs[0].ptr(), vecs[0].len()));
            } else {
                byte[] data = gather(m, vecs);
                m.writeI32((int) a[4], f.data().write(pos, data, 0, data.length));
            }
            return 0;
        });
        r.preview1("fd_seek", List.of(I32, I64, I32, I32), (m, a) -> seek(m, (int) a[0], a[1], (int) a[2], (int) a[3]));
        r.preview0("fd_seek", List.of(I32, I64, I32, I32),
                (m, a) -> seek(m, (int) a[0], a[1], preview0Whence((int) a[2]), (int) a[3]));
        r.preview1("fd_tell", i32s(2), (m, a) -> {
            m.check((int) a[1], 8);
            FileDescriptor f = file((int) a[0], Rights.FD_TELL);
            m.writeI64((int) a[1], f.position());
            return 0;
        });
        r.preview1("fd_filestat_get", i32s(2), (m, a) -> fdFilestat(m, (int) a[0], (int) a[1], false));
        r.preview0("fd_filestat_get", i32s(2), (m, a) -> fdFilestat(m, (int) a[0], (int) a[1], true));
        r.preview1("fd_filestat_set_size", List.of(I32, I64), (m, a) -> {
            FileDescriptor f = file((int) a[0], Rights.FD_FILESTAT_SET_SIZE);
            if (!f.writable()) {
                throw Errno.INVAL.fail(); // ftruncate on an fd not open for writing
            }
            f.data().truncate(offset(a[1]));
            return 0;
        });
        r.preview1("fd_filestat_set_times", List.of(I32, I64, I64, I32), (m, a) -> {
            Times t = times(a[1], a[2], (int) a[3]);
            nodeOf((int) a[0], Rights.FD_FILESTAT_SET_TIMES).setTimes(t);
            return 0;
        });
        r.preview1("fd_advise", List.of(I32, I64, I64, I32), (m, a) -> {
            Descriptor d = state.fds.get((int) a[0]);
            if ((int) a[3] < 0 || (int) a[3] > 5) {
                throw Errno.INVAL.fail();
            }
            if (!(d instanceof FileDescriptor f)) {
                throw d instanceof DirDescriptor ? Errno.BADF.fail() : Errno.SPIPE.fail();
            }
            need(f.rightsBase(), Rights.FD_ADVISE);
            if (a[1] < 0 || a[2] < 0) {
                throw Errno.INVAL.fail();
            }
            return 0; // advice only: memory and the host's page cache need none
        });
        r.preview1("fd_allocate", List.of(I32, I64, I64), (m, a) -> {
            FileDescriptor f = file((int) a[0], Rights.FD_ALLOCATE);
            if (a[1] < 0 || a[2] <= 0) {
                throw Errno.INVAL.fail();
            }
            if (!f.writable()) {
                throw Errno.BADF.fail();
            }
            f.data().allocate(a[1], a[2]);
            return 0;
        });
        r.preview1("fd_sync", i32s(1), (m, a) -> sync((int) a[0], Rights.FD_SYNC));
        r.preview1("fd_datasync", i32s(1), (m, a) -> sync((int) a[0], Rights.FD_DATASYNC));
        r.preview1("fd_renumber", i32s(2), (m, a) -> {
            if (state.renumberKeepsSource) {
                state.fds.duplicateOnto((int) a[0], (int) a[1]); // wasix-libc's dup2 and dup3
            } else {
                state.fds.renumber((int) a[0], (int) a[1]);
            }
            return 0;
        });
        r.preview1("fd_prestat_get", i32s(2), (m, a) -> {
            m.check((int) a[1], 8);
            String name = preopenName((int) a[0]);
            m.fill((int) a[1], 8, (byte) 0);
            m.writeI32((int) a[1] + 4, name.getBytes(StandardCharsets.UTF_8).length); // tag 0: a directory
            return 0;
        });
        r.preview1("fd_prestat_dir_name", i32s(3), (m, a) -> {
            byte[] name = preopenName((int) a[0]).getBytes(StandardCharsets.UTF_8);
            if (Integer.toUnsignedLong((int) a[2]) < name.length) {
                throw Errno.NAMETOOLONG.fail();
            }
            m.write((int) a[1], name);
            return 0;
        });
        r.preview1("fd_fdstat_set_rights", List.of(I32, I64, I64), (m, a) -> {
            if (!(state.fds.get((int) a[0]) instanceof FsDescriptor d)) {
                throw Errno.NOTSUP.fail(); // sockets and stdio keep all their rights
            }
            d.rights(narrow(d.rightsBase(), a[1]), narrow(d.rightsInheriting(), a[2]));
            return 0;
        });
        r.wasix("fd_dup", i32s(2), (m, a) -> {
            m.check((int) a[1], 4);
            m.writeI32((int) a[1], state.fds.dup((int) a[0]));
            return 0;
        });
    }

    // ---- fd_read / fd_write on files, for FdCalls -----------------------------------------------
    /** The most one fd_read or fd_pread returns; the guest reads again for more, as after any short read. */
    static final int MAX_READ = 16 << 20;

    int readFile(GuestMemory m, FdTable.Entry e, FileDescriptor f, IoVec[] vecs) {
        need(f.rightsBase(), Rights.FD_READ);
        if (!f.readable()) {
            throw Errno.BADF.fail();
        }
        int n = readAt(m, f, vecs, f.position());
        f.position(f.position() + n);
        return n;
    }

    int writeFile(GuestMemory m, FdTable.Entry e, FileDescriptor f, IoVec[] vecs) {
        need(f.rightsBase(), Rights.FD_WRITE);
        if (!f.writable()) {
            throw Errno.BADF.fail();
        }
        long pos = (e.flags() & FdTable.FDFLAG_APPEND) != 0 ? f.data().size() : f.position();
        int n;
        if (vecs.length == 1) { // the common case: straight from guest memory into the file, no array between
            n = f.data().writeFrom(pos, m, vecs[0].ptr(), vecs[0].len());
        } else { // one write of all the iovecs' bytes, so that a refused quota leaves nothing half written
            n = f.data().writeOwned(pos, gather(m, vecs));
        }
        f.position(pos + n);
        return n;
    }

    private static int readAt(GuestMemory m, FileDescriptor f, IoVec[] vecs, long pos) {
        if (!f.readable()) {
            throw Errno.BADF.fail();
        }
        long avail = Math.max(0, f.data().size() - pos);
        // A short read is allowed, and bounds the host's copy buffer whatever size the guest asks for.
        int want = (int) Math.min(Math.min(IoVec.total(vecs), avail), MAX_READ);
        if (want == 0) {
            return 0;
        }
        if (vecs.length == 1) { // straight from the file into guest memory
            return f.data().readTo(pos, m, vecs[0].ptr(), want);
        }
        byte[] tmp = new byte[want];
        int n = f.data().read(pos, tmp, 0, want);
        Streams.scatter(m, vecs, tmp, n);
        return n;
    }

    /** The iovecs' bytes in one fresh array, which the caller owns. */
    private static byte[] gather(GuestMemory m, IoVec[] vecs) {
        long total = IoVec.total(vecs);
        if (total > Integer.MAX_VALUE - 16) {
            throw Errno.INVAL.fail();
        }
        if (vecs.length == 1) {
            return m.readBytes(vecs[0].ptr(), vecs[0].len());
        }
        byte[] data = new byte[(int) total];
        int off = 0;
        for (IoVec v : vecs) {
            m.readInto(v.ptr(), data, off, v.len());
            off += v.len();
        }
        return data;
    }

    private int fdFilestat(GuestMemory m, int fd, int ret, boolean preview0) {
        int size = preview0 ? FILESTAT0_SIZE : FILESTAT_SIZE;
        m.check(ret, size);
        Stat st = fdStat(fd);
        if (st == null) { // stdio, sockets, pipes, epoll: all zero but the type, as wasmtime reports them
            m.fill(ret, size, (byte) 0);
            m.writeU8(ret + 16, state.fds.get(fd).fileType().ordinal());
        } else if (preview0) {
            writeStat0(m, ret, st);
        } else {
            writeStat(m, ret, st);
        }
        return 0;
    }

    /** Preview 0 numbers whence CUR 0, END 1, SET 2; preview 1 SET 0, CUR 1, END 2. */
    private static int preview0Whence(int whence) {
        return switch (whence & 0xff) {
            case 0 -> WHENCE_CUR;
            case 1 -> WHENCE_END;
            case 2 -> WHENCE_SET;
            default -> throw Errno.INVAL.fail();
        };
    }

    private int seek(GuestMemory m, int fd, long offset, int whence, int ret) {
        m.check(ret, 8);
        long rights = offset == 0 && whence == WHENCE_CUR ? Rights.FD_TELL : Rights.FD_SEEK;
        FileDescriptor f = file(fd, rights);
        long base = switch (whence & 0xff) {
            case WHENCE_SET -> 0;
            case WHENCE_CUR -> f.position();
            case WHENCE_END -> f.data().size();
            default -> throw Errno.INVAL.fail();
        };
        long to = base + offset;
        if (to < 0 || (offset > 0 && to < base)) {
            throw Errno.INVAL.fail();
        }
        f.position(to);
        m.writeI64(ret, to);
        return 0;
    }

    private int sync(int fd, long right) {
        switch (state.fds.get(fd)) {
            case FileDescriptor f -> {
                need(f.rightsBase(), right);
                f.data().sync();
            }
            case DirDescriptor d -> {
                // directory metadata changes are made at once; nothing is pending
            }
            default -> throw Errno.INVAL.fail(); // fsync(2) on a socket
        }
        return 0;
    }

    private String preopenName(int fd) {
        if (state.fds.get(fd) instanceof DirDescriptor d && d.preopenName() != null) {
            return d.preopenName();
        }
        throw Errno.BADF.fail();
    }
}

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
import io.wasix.host.fs.DirEntry;
import io.wasix.host.fs.FileDescriptor;
import io.wasix.host.fs.Kind;
import io.wasix.host.fs.PathWalker;
import io.wasix.host.fs.PathWalker.Walk;
import io.wasix.host.fs.Rights;
import io.wasix.host.fs.Stat;
import io.wasix.host.fs.Times;
import io.wasix.host.fs.Vnode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The preview1 file and directory calls (path_*, fd_* on files and directories), plus WASIX fd_dup,
 * getcwd and chdir. fd_read/fd_write/fd_close/fd_fdstat_* are in {@link FdCalls}, which hands files to
 * {@link #readFile} and {@link #writeFile}. Runs on the guest thread.
 */
final class FileCalls {
    static final int OFLAG_CREAT = 1, OFLAG_DIRECTORY = 2, OFLAG_EXCL = 4, OFLAG_TRUNC = 8;
    static final int LOOKUP_SYMLINK_FOLLOW = 1;
    static final int FST_ATIM = 1, FST_ATIM_NOW = 2, FST_MTIM = 4, FST_MTIM_NOW = 8;
    static final int WHENCE_SET = 0, WHENCE_CUR = 1, WHENCE_END = 2;
    private static final int FILESTAT_SIZE = 64, DIRENT_SIZE = 24;
    private static final java.lang.invoke.VarHandle LE_LONG =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final java.lang.invoke.VarHandle LE_INT =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    private final GuestState state;

    FileCalls(GuestState state) {
        this.state = state;
    }

    void register(HostFunctions r) {
        r.preview1("path_open", List.of(I32, I32, I32, I32, I32, I64, I64, I32, I32), (m, a) -> pathOpen(m,
                (int) a[0], (int) a[1], path(m, a[2], a[3]), (int) a[4], a[5], a[6], (int) a[7], (int) a[8]));
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
            byte[] data = gather(m, m.iovecs((int) a[1], (int) a[2]));
            // Linux appends a pwrite on an O_APPEND fd, whatever its offset says.
            long pos = (e.flags() & FdTable.FDFLAG_APPEND) != 0 ? f.data().size() : offset(a[3]);
            m.writeI32((int) a[4], f.data().write(pos, data, 0, data.length));
            return 0;
        });
        r.preview1("fd_seek", List.of(I32, I64, I32, I32), (m, a) -> seek(m, (int) a[0], a[1], (int) a[2], (int) a[3]));
        r.preview1("fd_tell", i32s(2), (m, a) -> {
            m.check((int) a[1], 8);
            FileDescriptor f = file((int) a[0], Rights.FD_TELL);
            m.writeI64((int) a[1], f.position());
            return 0;
        });
        r.preview1("fd_readdir", List.of(I32, I32, I32, I64, I32), (m, a) ->
                readdir(m, (int) a[0], (int) a[1], (int) a[2], a[3], (int) a[4]));
        r.preview1("fd_filestat_get", i32s(2), (m, a) -> {
            m.check((int) a[1], FILESTAT_SIZE);
            Stat st = fdStat((int) a[0]);
            if (st != null) {
                writeStat(m, (int) a[1], st);
            } else { // stdio, sockets, epoll: all zero but the type, as wasmtime reports them
                m.fill((int) a[1], FILESTAT_SIZE, (byte) 0);
                m.writeU8((int) a[1] + 16, state.fds.get((int) a[0]).fileType().ordinal());
            }
            return 0;
        });
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
        r.preview1("path_filestat_get", List.of(I32, I32, I32, I32, I32), (m, a) -> {
            m.check((int) a[4], FILESTAT_SIZE);
            Vnode n = walk((int) a[0], Rights.PATH_FILESTAT_GET, path(m, a[2], a[3]),
                    ((int) a[1] & LOOKUP_SYMLINK_FOLLOW) != 0).existing();
            writeStat(m, (int) a[4], n.stat());
            return 0;
        });
        r.preview1("path_filestat_set_times", List.of(I32, I32, I32, I32, I64, I64, I32), (m, a) -> {
            Times t = times(a[4], a[5], (int) a[6]);
            walk((int) a[0], Rights.PATH_FILESTAT_SET_TIMES, path(m, a[2], a[3]),
                    ((int) a[1] & LOOKUP_SYMLINK_FOLLOW) != 0).existing().setTimes(t);
            return 0;
        });
        r.preview1("path_create_directory", i32s(3), (m, a) -> {
            Walk w = walk((int) a[0], Rights.PATH_CREATE_DIRECTORY, path(m, a[1], a[2]), false);
            if (w.node() != null) {
                throw Errno.EXIST.fail();
            }
            w.parent().mkdir(w.entryName(Errno.EXIST));
            return 0;
        });
        r.preview1("path_remove_directory", i32s(3), (m, a) -> {
            Walk w = walk((int) a[0], Rights.PATH_REMOVE_DIRECTORY, path(m, a[1], a[2]), false);
            Vnode n = w.existing();
            String name = w.entryName(Errno.INVAL); // rmdir(".") is EINVAL
            if (n.kind() != Kind.DIRECTORY) {
                throw Errno.NOTDIR.fail();
            }
            w.parent().rmdir(name);
            return 0;
        });
        r.preview1("path_unlink_file", i32s(3), (m, a) -> {
            Walk w = walk((int) a[0], Rights.PATH_UNLINK_FILE, path(m, a[1], a[2]), false);
            Vnode n = w.existing();
            String name = w.entryName(Errno.ISDIR);
            if (n.kind() == Kind.DIRECTORY) {
                throw Errno.ISDIR.fail();
            }
            if (w.mustBeDir()) {
                throw Errno.NOTDIR.fail();
            }
            w.parent().unlink(name);
            return 0;
        });
        r.preview1("path_rename", i32s(6), (m, a) -> {
            String from = path(m, a[1], a[2]);
            String to = path(m, a[4], a[5]);
            Walk src = walk((int) a[0], Rights.PATH_RENAME_SOURCE, from, false);
            Walk dst = walk((int) a[3], Rights.PATH_RENAME_TARGET, to, false);
            Vnode n = src.existing();
            String srcName = src.entryName(Errno.BUSY);
            String dstName = dst.entryName(Errno.BUSY);
            if (n.kind() != Kind.DIRECTORY && (src.mustBeDir() || dst.mustBeDir())) {
                throw Errno.NOTDIR.fail();
            }
            if (dst.node() != null && dst.node().kind() == Kind.SYMLINK && dst.mustBeDir()) {
                throw Errno.NOTDIR.fail();
            }
            src.parent().rename(srcName, dst.parent(), dstName);
            return 0;
        });
        r.preview1("path_link", List.of(I32, I32, I32, I32, I32, I32, I32), (m, a) -> {
            Walk src = walk((int) a[0], Rights.PATH_LINK_SOURCE, path(m, a[2], a[3]),
                    ((int) a[1] & LOOKUP_SYMLINK_FOLLOW) != 0);
            Walk dst = walk((int) a[4], Rights.PATH_LINK_TARGET, path(m, a[5], a[6]), false);
            Vnode n = src.existing();
            if (n.kind() == Kind.DIRECTORY) {
                throw Errno.PERM.fail();
            }
            if (src.mustBeDir()) {
                throw Errno.NOTDIR.fail();
            }
            if (dst.node() != null) {
                throw Errno.EXIST.fail();
            }
            if (dst.mustBeDir()) {
                throw Errno.NOENT.fail(); // link(2) to "new/" where new does not exist
            }
            dst.parent().link(dst.entryName(Errno.EXIST), n);
            return 0;
        });
        r.preview1("path_symlink", i32s(5), (m, a) -> {
            String target = path(m, a[0], a[1]);
            Walk w = walk((int) a[2], Rights.PATH_SYMLINK, path(m, a[3], a[4]), false);
            if (w.node() != null) {
                throw Errno.EXIST.fail();
            }
            if (w.mustBeDir()) {
                throw Errno.NOENT.fail(); // symlink(2) to "new/" where new does not exist
            }
            if (target.startsWith("/")) {
                throw Errno.NOTCAPABLE.fail(); // it could only ever point out of the sandbox
            }
            w.parent().symlink(w.entryName(Errno.EXIST), target);
            return 0;
        });
        r.preview1("path_readlink", i32s(6), (m, a) -> {
            m.check((int) a[5], 4);
            m.check((int) a[3], (int) a[4]);
            Vnode n = walk((int) a[0], Rights.PATH_READLINK, path(m, a[1], a[2]), false).existing();
            if (n.kind() != Kind.SYMLINK) {
                throw Errno.INVAL.fail();
            }
            byte[] target = n.readlink().getBytes(StandardCharsets.UTF_8);
            int len = Math.min(target.length, (int) a[4]); // readlink(2) truncates silently
            m.write((int) a[3], target, 0, len);
            m.writeI32((int) a[5], len);
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
            state.fds.renumber((int) a[0], (int) a[1]);
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
            switch (state.fds.get((int) a[0])) {
                case FileDescriptor f -> f.rights(narrow(f.rightsBase(), a[1]), narrow(f.rightsInheriting(), a[2]));
                case DirDescriptor d -> d.rights(narrow(d.rightsBase(), a[1]), narrow(d.rightsInheriting(), a[2]));
                default -> throw Errno.NOTSUP.fail(); // sockets and stdio keep all their rights
            }
            return 0;
        });
        r.wasix("fd_dup", i32s(2), (m, a) -> {
            m.check((int) a[1], 4);
            m.writeI32((int) a[1], state.fds.dup((int) a[0]));
            return 0;
        });
        r.wasix("getcwd", i32s(2), (m, a) -> {
            int max = m.readI32((int) a[1]);
            byte[] cwd = state.cwd.getBytes(StandardCharsets.UTF_8);
            m.writeI32((int) a[1], cwd.length);
            if (Integer.toUnsignedLong(max) < cwd.length + 1L) {
                throw Errno.RANGE.fail();
            }
            m.write((int) a[0], cwd);
            m.writeU8((int) a[0] + cwd.length, 0);
            return 0;
        });
        r.wasix("chdir", i32s(2), (m, a) -> {
            state.cwd = Cwd.change(state, path(m, a[0], a[1]));
            return 0;
        });
    }

    // ---- fd_read / fd_write on files, for FdCalls -----------------------------------------------

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
        byte[] data = gather(m, vecs);
        long pos = (e.flags() & FdTable.FDFLAG_APPEND) != 0 ? f.data().size() : f.position();
        int n = f.data().writeOwned(pos, data);
        f.position(pos + n);
        return n;
    }

    private static int readAt(GuestMemory m, FileDescriptor f, IoVec[] vecs, long pos) {
        if (!f.readable()) {
            throw Errno.BADF.fail();
        }
        long avail = Math.max(0, f.data().size() - pos);
        int want = (int) Math.min(IoVec.total(vecs), avail);
        if (want == 0) {
            return 0;
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
            System.arraycopy(m.readBytes(v.ptr(), v.len()), 0, data, off, v.len());
            off += v.len();
        }
        return data;
    }

    // ---- helpers ----------------------------------------------------------------------------------

    static void need(long have, long rights) {
        if ((have & rights) != rights) {
            throw Errno.NOTCAPABLE.fail();
        }
    }

    private static long narrow(long current, long wanted) {
        if ((wanted & ~current) != 0) {
            throw Errno.NOTCAPABLE.fail(); // rights can only be dropped
        }
        return wanted;
    }

    private static long offset(long v) {
        if (v < 0) {
            throw Errno.INVAL.fail();
        }
        return v;
    }

    /** A guest path: UTF-8 (else EILSEQ). */
    static String path(GuestMemory m, long ptr, long len) {
        byte[] raw = m.readBytes((int) ptr, (int) len);
        boolean ascii = true;
        for (byte b : raw) {
            if (b < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(raw, StandardCharsets.ISO_8859_1); // the common case, without a decoder
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw Errno.ILSEQ.fail();
        }
    }

    private FileDescriptor file(int fd, long rights) {
        return switch (state.fds.get(fd)) {
            case FileDescriptor f -> {
                need(f.rightsBase(), rights);
                yield f;
            }
            case DirDescriptor d -> throw (rights & (Rights.FD_SEEK | Rights.FD_TELL)) != 0
                    ? Errno.NOTCAPABLE.fail() // a directory has no seek right
                    : Errno.ISDIR.fail();
            default -> throw (rights & (Rights.FD_SEEK | Rights.FD_TELL)) != 0 ? Errno.SPIPE.fail() : Errno.INVAL.fail();
        };
    }

    private DirDescriptor dir(int fd, long rights) {
        if (!(state.fds.get(fd) instanceof DirDescriptor d)) {
            throw Errno.NOTDIR.fail();
        }
        need(d.rightsBase(), rights);
        return d;
    }

    private Walk walk(int fd, long rights, String path, boolean follow) {
        return PathWalker.walk(dir(fd, rights).node(), path, follow || path.endsWith("/"));
    }

    private Vnode nodeOf(int fd, long rights) {
        return switch (state.fds.get(fd)) {
            case FileDescriptor f -> {
                need(f.rightsBase(), rights);
                yield f.node();
            }
            case DirDescriptor d -> {
                need(d.rightsBase(), rights);
                yield d.node();
            }
            default -> throw Errno.BADF.fail();
        };
    }

    private Stat fdStat(int fd) {
        Descriptor d = state.fds.get(fd);
        return switch (d) {
            case FileDescriptor f -> {
                need(f.rightsBase(), Rights.FD_FILESTAT_GET);
                yield f.node().stat();
            }
            case DirDescriptor dd -> {
                need(dd.rightsBase(), Rights.FD_FILESTAT_GET);
                yield dd.node().stat();
            }
            default -> null; // stdio, sockets: all zero but the type
        };
    }

    private void writeStat(GuestMemory m, int ptr, Stat s) {
        byte[] b = new byte[FILESTAT_SIZE];
        if (s != null) {
            LE_LONG.set(b, 0, s.dev());
            LE_LONG.set(b, 8, s.ino());
            b[16] = (byte) s.kind().fileType().ordinal();
            LE_LONG.set(b, 24, s.nlink());
            LE_LONG.set(b, 32, s.size());
            LE_LONG.set(b, 40, s.atim());
            LE_LONG.set(b, 48, s.mtim());
            LE_LONG.set(b, 56, s.ctim());
        }
        m.write(ptr, b); // one bounds check and one copy for the whole struct
    }

    private static Times times(long atim, long mtim, int flags) {
        if ((flags & ~0xF) != 0 || (flags & (FST_ATIM | FST_ATIM_NOW)) == (FST_ATIM | FST_ATIM_NOW)
                || (flags & (FST_MTIM | FST_MTIM_NOW)) == (FST_MTIM | FST_MTIM_NOW)) {
            throw Errno.INVAL.fail();
        }
        return new Times((flags & (FST_ATIM | FST_ATIM_NOW)) != 0, (flags & FST_ATIM_NOW) != 0, atim,
                (flags & (FST_MTIM | FST_MTIM_NOW)) != 0, (flags & FST_MTIM_NOW) != 0, mtim);
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

    private int readdir(GuestMemory m, int fd, int buf, int bufLen, long cookie, int retUsed) {
        m.check(retUsed, 4);
        m.check(buf, bufLen);
        DirDescriptor d = dir(fd, Rights.FD_READDIR);
        Vnode dir = d.node();
        Dirents out = new Dirents(m, buf, bufLen, scratch());
        long c = cookie;
        if (c < DirDescriptor.FIRST_NAME_COOKIE) {
            long selfIno = dir.stat().ino();
            // "." and ".." come first, at cookies 0 and 1, as Linux's getdents lists them
            while (c < DirDescriptor.FIRST_NAME_COOKIE && !out.full()) {
                out.add(c + 1, selfIno, Kind.DIRECTORY, c == 0 ? "." : "..");
                c++;
            }
        }
        String after = d.nameForCookie(c);
        while (!out.full()) {
            int batch = Math.max(16, Math.min(1 << 12, out.room() / DIRENT_SIZE + 1));
            List<DirEntry> entries = dir.list(after, batch);
            long id = d.remember(entries);
            for (int i = 0; i < entries.size() && !out.full(); i++) {
                DirEntry e = entries.get(i);
                out.add(DirDescriptor.cookie(id, i), e.ino(), e.kind(), e.name());
                after = e.name();
            }
            if (entries.size() < batch) {
                break;
            }
        }
        m.writeI32(retUsed, out.finish());
        return 0;
    }

    private byte[] scratch;

    /** A staging buffer for dirents, reused across calls (one guest thread). */
    private byte[] scratch() {
        if (scratch == null) {
            scratch = new byte[64 * 1024];
        }
        return scratch;
    }

    private static boolean ascii(String name) {
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /**
     * Lays dirents out in a host buffer and copies them into the guest's in large pieces, not one bounds
     * check and copy per field. The last entry is cut at the guest buffer's end, as preview1 allows.
     */
    private static final class Dirents {
        private final GuestMemory m;
        private final int buf, bufLen;
        private final byte[] stage;
        private int used, pending;

        Dirents(GuestMemory m, int buf, int bufLen, byte[] stage) {
            this.m = m;
            this.buf = buf;
            this.bufLen = bufLen;
            this.stage = stage;
        }

        boolean full() {
            return used >= bufLen;
        }

        int room() {
            return bufLen - used;
        }

        @SuppressWarnings("deprecation") // String.getBytes(int, int, byte[], int): exact for ASCII, no garbage
        void add(long next, long ino, Kind kind, String name) {
            boolean ascii = ascii(name);
            byte[] utf8 = ascii ? null : name.getBytes(StandardCharsets.UTF_8);
            int nameLen = ascii ? name.length() : utf8.length;
            int take = Math.min(DIRENT_SIZE + nameLen, bufLen - used);
            if (pending + DIRENT_SIZE + nameLen > stage.length) {
                flush();
            }
            LE_LONG.set(stage, pending, next);
            LE_LONG.set(stage, pending + 8, ino);
            LE_INT.set(stage, pending + 16, nameLen);
            stage[pending + 20] = (byte) kind.fileType().ordinal();
            stage[pending + 21] = stage[pending + 22] = stage[pending + 23] = 0;
            if (ascii) {
                name.getBytes(0, nameLen, stage, pending + DIRENT_SIZE);
            } else {
                System.arraycopy(utf8, 0, stage, pending + DIRENT_SIZE, nameLen);
            }
            pending += take; // a cut entry contributes only what fits
            used += take;
        }

        private void flush() {
            m.write(buf + used - pending, stage, 0, pending);
            pending = 0;
        }

        int finish() {
            flush();
            return used;
        }
    }

    // ---- path_open ----------------------------------------------------------------------------

    private int pathOpen(GuestMemory m, int dirFd, int dirflags, String path, int oflags, long base, long inheriting,
            int fdflags, int retFd) {
        m.check(retFd, 4);
        DirDescriptor d = dir(dirFd, Rights.PATH_OPEN);
        boolean creat = (oflags & OFLAG_CREAT) != 0;
        boolean trunc = (oflags & OFLAG_TRUNC) != 0;
        if (creat) {
            need(d.rightsBase(), Rights.PATH_CREATE_FILE);
        }
        if (trunc) {
            need(d.rightsBase(), Rights.PATH_FILESTAT_SET_SIZE);
        }
        boolean follow = (dirflags & LOOKUP_SYMLINK_FOLLOW) != 0 && !(creat && (oflags & OFLAG_EXCL) != 0);
        Walk w = PathWalker.walk(d.node(), path, follow || path.endsWith("/"));
        Vnode n = w.node();
        boolean read = (base & (Rights.FD_READ | Rights.FD_READDIR)) != 0;
        boolean write = (base & (Rights.FD_DATASYNC | Rights.FD_WRITE | Rights.FD_ALLOCATE
                | Rights.FD_FILESTAT_SET_SIZE)) != 0 || (fdflags & FdTable.FDFLAG_APPEND) != 0;
        if (n == null) {
            if (!creat) {
                throw Errno.NOENT.fail();
            }
            if ((oflags & OFLAG_DIRECTORY) != 0) {
                throw Errno.INVAL.fail();
            }
            if (w.mustBeDir()) {
                throw Errno.ISDIR.fail();
            }
            n = w.parent().createFile(w.entryName(Errno.EXIST));
        } else if (creat && (oflags & OFLAG_EXCL) != 0) {
            throw Errno.EXIST.fail();
        } else if (creat && n.kind() == Kind.DIRECTORY) {
            throw Errno.ISDIR.fail(); // open(2) with O_CREAT on an existing directory
        }
        long inherit = d.rightsInheriting();
        int fd;
        switch (n.kind()) {
            case SYMLINK -> throw Errno.LOOP.fail(); // O_NOFOLLOW on a symlink
            case DIRECTORY -> {
                if (write || trunc) {
                    throw Errno.ISDIR.fail();
                }
                fd = state.fds.add(new DirDescriptor(n, null, Rights.DIRECTORY & inherit, inherit),
                        fdflags & FdTable.FDFLAG_NONBLOCK);
            }
            default -> {
                if ((oflags & OFLAG_DIRECTORY) != 0 || w.mustBeDir()) {
                    throw Errno.NOTDIR.fail();
                }
                if (!read && !write) {
                    read = true; // O_RDONLY is zero: no rights asked still opens for reading
                }
                var data = n.open(write || trunc);
                if (trunc) {
                    data.truncate(0);
                }
                long rights = Rights.FILE & inherit;
                if (!read) {
                    rights &= ~Rights.FD_READ;
                }
                if (!write) {
                    rights &= ~(Rights.FD_WRITE | Rights.FD_ALLOCATE | Rights.FD_FILESTAT_SET_SIZE | Rights.FD_DATASYNC);
                }
                fd = state.fds.add(new FileDescriptor(n, data, read, write, rights, inherit & Rights.FILE),
                        fdflags & (FdTable.FDFLAG_APPEND | FdTable.FDFLAG_NONBLOCK | 2 | 8 | 16));
            }
        }
        m.writeI32(retFd, fd);
        return 0;
    }
}

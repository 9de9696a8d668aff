package io.wasix.host.syscalls;

import static com.dylibso.chicory.wasm.types.ValType.I32;
import static com.dylibso.chicory.wasm.types.ValType.I64;
import static io.wasix.host.syscalls.HostFunctions.i32s;

import io.wasix.host.abi.Errno;
import io.wasix.host.abi.GuestMemory;
import io.wasix.host.fd.FdTable;
import io.wasix.host.fs.DirDescriptor;
import io.wasix.host.fs.FileDescriptor;
import io.wasix.host.fs.Kind;
import io.wasix.host.fs.PathWalker;
import io.wasix.host.fs.PathWalker.Walk;
import io.wasix.host.fs.Rights;
import io.wasix.host.fs.SymlinkConfinement;
import io.wasix.host.fs.Times;
import io.wasix.host.fs.Vnode;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The preview1 path_* calls (open, stat, set-times, create and remove directories, unlink, rename, link,
 * symlink, readlink) and WASIX getcwd/chdir. Runs on the guest thread; in threaded mode, on any guest thread under
 * the shard lock.
 */
final class PathCalls extends FsCalls {
    PathCalls(GuestState state) {
        super(state);
    }

    void register(HostFunctions r) {
        r.preview1("path_open", List.of(I32, I32, I32, I32, I32, I64, I64, I32, I32), (m, a) -> {
            m.check((int) a[8], 4);
            int fd = pathOpen((int) a[0], (int) a[1], path(m, a[2], a[3]), (int) a[4], a[5], a[6], (int) a[7]);
            m.writeI32((int) a[8], fd);
            return 0;
        });
        // path_open with fdflagsext (CLOEXEC) as a tenth argument: newer wasix-libc opens every file with it.
        r.wasix("path_open2", List.of(I32, I32, I32, I32, I32, I64, I64, I32, I32, I32), (m, a) -> {
            m.check((int) a[9], 4);
            int fd = pathOpen((int) a[0], (int) a[1], path(m, a[2], a[3]), (int) a[4], a[5], a[6], (int) a[7]);
            state.fds.setCloexec(fd, ((int) a[8] & FdCalls.FDFLAGSEXT_CLOEXEC) != 0);
            m.writeI32((int) a[9], fd);
            return 0;
        });
        r.preview1("path_filestat_get", List.of(I32, I32, I32, I32, I32), (m, a) -> pathStat(m, a, false));
        r.preview0("path_filestat_get", List.of(I32, I32, I32, I32, I32), (m, a) -> pathStat(m, a, true));
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
            SymlinkConfinement.checkMove(n, src.parent(), dst.parent());
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
            SymlinkConfinement.checkMove(n, src.parent(), dst.parent());
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
            SymlinkConfinement.checkNewLink(w.parent(), target);
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
        // getcwd(buf, in/out len). The length written back counts the NUL: wasix-libc's getcwd(NULL, 0) takes it
        // from the first call's ERANGE to size the buffer of its second call, which must then fit (wasmer
        // counts no NUL, so that second call fills the buffer without one).
        r.wasix("getcwd", i32s(2), (m, a) -> {
            int buf = (int) a[0];
            long max = Integer.toUnsignedLong(m.readI32((int) a[1]));
            byte[] cwd = state.cwd.getBytes(StandardCharsets.UTF_8);
            m.writeI32((int) a[1], cwd.length + 1);
            if (max < cwd.length + 1L) {
                throw Errno.RANGE.fail();
            }
            if (buf == 0) {
                throw Errno.INVAL.fail();
            }
            m.check(buf, cwd.length + 1);
            m.write(buf, cwd);
            m.writeU8(buf + cwd.length, 0);
            return 0;
        });
        r.wasix("chdir", i32s(2), (m, a) -> {
            state.cwd = Cwd.change(state, path(m, a[0], a[1]));
            return 0;
        });
    }

    // ---- path_open ----------------------------------------------------------------------------

    /** What path_open and path_open2 share: opens, and returns the new fd. */
    private int pathOpen(int dirFd, int dirflags, String path, int oflags, long base, long inheriting, int fdflags) {
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
        return fd;
    }

    /** path_filestat_get, in preview 1's layout or preview 0's. */
    private int pathStat(GuestMemory m, long[] a, boolean preview0) {
        m.check((int) a[4], preview0 ? FILESTAT0_SIZE : FILESTAT_SIZE);
        Vnode n = walk((int) a[0], Rights.PATH_FILESTAT_GET, path(m, a[2], a[3]),
                ((int) a[1] & LOOKUP_SYMLINK_FOLLOW) != 0).existing();
        if (preview0) {
            writeStat0(m, (int) a[4], n.stat());
        } else {
            writeStat(m, (int) a[4], n.stat());
        }
        return 0;
    }
}

package io.wasix.host.syscalls;

import io.wasix.host.abi.Errno;
import io.wasix.host.abi.GuestMemory;
import io.wasix.host.fs.DirDescriptor;
import io.wasix.host.fs.FileDescriptor;
import io.wasix.host.fs.FsDescriptor;
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

/**
 * What the filesystem call groups ({@link PathCalls}, {@link FileCalls}, {@link ReaddirCall}) share: fd
 * lookups that check rights, guest paths, the filestat layout and the WASI flag values. Runs on the guest
 * thread.
 */
abstract sealed class FsCalls permits PathCalls, FileCalls, ReaddirCall {
    static final int OFLAG_CREAT = 1, OFLAG_DIRECTORY = 2, OFLAG_EXCL = 4, OFLAG_TRUNC = 8;
    static final int LOOKUP_SYMLINK_FOLLOW = 1;
    static final int FST_ATIM = 1, FST_ATIM_NOW = 2, FST_MTIM = 4, FST_MTIM_NOW = 8;
    static final int WHENCE_SET = 0, WHENCE_CUR = 1, WHENCE_END = 2;
    static final int FILESTAT_SIZE = 64, DIRENT_SIZE = 24;
    /** Preview 0's filestat: nlink is a u32 at 20, so everything after it sits 8 bytes earlier. */
    static final int FILESTAT0_SIZE = 56;
    static final java.lang.invoke.VarHandle LE_LONG =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    static final java.lang.invoke.VarHandle LE_INT =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    final GuestState state;

    FsCalls(GuestState state) {
        this.state = state;
    }

    // ---- helpers ----------------------------------------------------------------------------------
    static void need(long have, long rights) {
        if ((have & rights) != rights) {
            throw Errno.NOTCAPABLE.fail();
        }
    }

    static long narrow(long current, long wanted) {
        if ((wanted & ~current) != 0) {
            throw Errno.NOTCAPABLE.fail(); // rights can only be dropped
        }
        return wanted;
    }

    static long offset(long v) {
        if (v < 0) {
            throw Errno.INVAL.fail();
        }
        return v;
    }

    /** Where guest paths and filestats are staged, reused by every call (one at a time: a file call never waits). */
    private final byte[] scratch = new byte[PATH_SCRATCH];
    private static final int PATH_SCRATCH = 4096;

    /** A guest path: UTF-8 (else EILSEQ). */
    String path(GuestMemory m, long ptr, long len) {
        int n = (int) len;
        byte[] raw;
        if (Integer.compareUnsigned(n, PATH_SCRATCH) <= 0) {
            raw = scratch; // no array per call: the String below is the only copy kept
            m.readInto((int) ptr, raw, 0, n);
        } else {
            raw = m.readBytes((int) ptr, n); // longer than any path the walker accepts; it will say so
        }
        boolean ascii = true;
        for (int i = 0; i < n; i++) {
            if (raw[i] < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(raw, 0, n, StandardCharsets.ISO_8859_1); // the common case, without a decoder
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw, 0, n)).toString();
        } catch (CharacterCodingException e) {
            throw Errno.ILSEQ.fail();
        }
    }

    FileDescriptor file(int fd, long rights) {
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

    DirDescriptor dir(int fd, long rights) {
        if (!(state.fds.get(fd) instanceof DirDescriptor d)) {
            throw Errno.NOTDIR.fail();
        }
        need(d.rightsBase(), rights);
        return d;
    }

    Walk walk(int fd, long rights, String path, boolean follow) {
        return PathWalker.walk(dir(fd, rights).node(), path, follow || path.endsWith("/"));
    }

    Vnode nodeOf(int fd, long rights) {
        if (!(state.fds.get(fd) instanceof FsDescriptor d)) {
            throw Errno.BADF.fail();
        }
        need(d.rightsBase(), rights);
        return d.node();
    }

    Stat fdStat(int fd) {
        if (!(state.fds.get(fd) instanceof FsDescriptor d)) {
            return null; // stdio, sockets: all zero but the type
        }
        need(d.rightsBase(), Rights.FD_FILESTAT_GET);
        return d.node().stat();
    }

    void writeStat(GuestMemory m, int ptr, Stat s) {
        byte[] b = scratch;
        if (s == null) {
            java.util.Arrays.fill(b, 0, FILESTAT_SIZE, (byte) 0);
        } else { // every byte is stored below, padding included, so the reused array needs no clearing
            LE_LONG.set(b, 0, s.dev());
            LE_LONG.set(b, 8, s.ino());
            LE_LONG.set(b, 16, (long) s.kind().fileType().ordinal()); // filetype, then 7 bytes of padding
            LE_LONG.set(b, 24, s.nlink());
            LE_LONG.set(b, 32, s.size());
            LE_LONG.set(b, 40, s.atim());
            LE_LONG.set(b, 48, s.mtim());
            LE_LONG.set(b, 56, s.ctim());
        }
        m.write(ptr, b, 0, FILESTAT_SIZE); // one bounds check and one copy for the whole struct
    }

    /** Preview 0's filestat: dev, ino, filetype u8 at 16, nlink u32 at 20, size, atim, mtim, ctim. */
    void writeStat0(GuestMemory m, int ptr, Stat s) {
        byte[] b = scratch;
        if (s == null) {
            java.util.Arrays.fill(b, 0, FILESTAT0_SIZE, (byte) 0);
        } else {
            LE_LONG.set(b, 0, s.dev());
            LE_LONG.set(b, 8, s.ino());
            LE_INT.set(b, 16, s.kind().fileType().ordinal()); // filetype, then 3 bytes of padding
            LE_INT.set(b, 20, (int) Math.min(s.nlink(), 0xFFFF_FFFFL));
            LE_LONG.set(b, 24, s.size());
            LE_LONG.set(b, 32, s.atim());
            LE_LONG.set(b, 40, s.mtim());
            LE_LONG.set(b, 48, s.ctim());
        }
        m.write(ptr, b, 0, FILESTAT0_SIZE);
    }

    static Times times(long atim, long mtim, int flags) {
        if ((flags & ~0xF) != 0 || (flags & (FST_ATIM | FST_ATIM_NOW)) == (FST_ATIM | FST_ATIM_NOW)
                || (flags & (FST_MTIM | FST_MTIM_NOW)) == (FST_MTIM | FST_MTIM_NOW)) {
            throw Errno.INVAL.fail();
        }
        return new Times((flags & (FST_ATIM | FST_ATIM_NOW)) != 0, (flags & FST_ATIM_NOW) != 0, atim,
                (flags & (FST_MTIM | FST_MTIM_NOW)) != 0, (flags & FST_MTIM_NOW) != 0, mtim);
    }
}

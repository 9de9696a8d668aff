package io.wasix.host.fs;

import io.wasix.host.abi.Errno;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * A file, directory or symlink of a {@link HostFs}, named by its real path under the mount root. Nothing
 * here follows a symlink: attributes are read with NOFOLLOW_LINKS and files are opened with it. Opening,
 * creating, unlinking and renaming go through {@link SecureDirectoryStream}s opened from the root one
 * component at a time with O_NOFOLLOW (openat, unlinkat, renameat), so a directory swapped for a symlink at
 * any level cannot redirect them. Owned by the guest thread; in threaded mode, by any guest thread under the shard
 * lock.
 */
final class HostNode implements Vnode {
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    private static final String STAT_ATTRS = "unix:ino,nlink,size,lastAccessTime,lastModifiedTime,ctime";

    private final HostFs fs;
    private final Path path;
    private final Kind kind;

    HostNode(HostFs fs, Path path, Kind kind) {
        this.fs = fs;
        this.path = path;
        this.kind = kind;
    }

    Path path() {
        return path;
    }

    static long linkLength(Path p) {
        try {
            return Files.readSymbolicLink(p).toString().length();
        } catch (IOException e) {
            return 0;
        }
    }

    private static Kind kindOf(BasicFileAttributes a) {
        return a.isDirectory() ? Kind.DIRECTORY : a.isSymbolicLink() ? Kind.SYMLINK : Kind.FILE;
    }

    @Override
    public HostFs mount() {
        return fs;
    }

    @Override
    public Kind kind() {
        return kind;
    }

    @Override
    public Stat stat() {
        try {
            Map<String, Object> a = Files.readAttributes(path, STAT_ATTRS, NOFOLLOW);
            return new Stat(fs.dev(), (Long) a.get("ino"), kind, ((Integer) a.get("nlink")).longValue(),
                    (Long) a.get("size"), nanos(a.get("lastAccessTime")), nanos(a.get("lastModifiedTime")),
                    nanos(a.get("ctime")));
        } catch (IOException e) {
            throw IoErrors.of(e);
        }
    }

    private static long nanos(Object t) {
        return ((FileTime) t).to(TimeUnit.NANOSECONDS);
    }

    @Override
    public int depth() {
        Path d = dir();
        return d.equals(fs.rootPath()) ? 0 : fs.rootPath().relativize(d).getNameCount();
    }

    private Path dir() {
        if (kind != Kind.DIRECTORY) {
            throw Errno.NOTDIR.fail();
        }
        return path;
    }

    /** The child path for a mutation: the mount takes writes and this directory is still inside the root. */
    private Path child(String name) {
        Path d = dir();
        fs.checkWritable();
        fs.checkConfined(d);
        return d.resolve(name);
    }

    private static BasicFileAttributes lstat(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw IoErrors.of(e);
        }
    }

    /** Something done with a directory opened as a SecureDirectoryStream. */
    @FunctionalInterface
    private interface InDir<T> {
        T apply(SecureDirectoryStream<Path> dir) throws IOException;
    }

    /**
     * Opens {@code dir} from the mount root one component at a time, each with O_NOFOLLOW|O_DIRECTORY, and
     * runs {@code op} on it. A component that became a symlink or a file is ENOTCAPABLE. Returns null when
     * this platform has no secure directory streams (then callers use paths, re-checked by the mount).
     */
    private <T> T inDir(Path dir, InDir<T> op) {
        SecureDirectoryStream<Path> cur = null;
        try {
            DirectoryStream<Path> top = Files.newDirectoryStream(fs.rootPath());
            if (!(top instanceof SecureDirectoryStream<Path> sds)) {
                top.close();
                return null;
            }
            cur = sds;
            Path rel = fs.rootPath().relativize(dir);
            if (!rel.toString().isEmpty()) {
                for (Path c : rel) {
                    SecureDirectoryStream<Path> next;
                    try {
                        next = cur.newDirectoryStream(c, LinkOption.NOFOLLOW_LINKS);
                    } catch (IOException e) {
                        Errno x = IoErrors.errno(e);
                        throw (x == Errno.LOOP || x == Errno.NOTDIR ? Errno.NOTCAPABLE : x).fail();
                    }
                    cur.close();
                    cur = next;
                }
            }
            return op.apply(cur);
        } catch (IOException e) {
            throw IoErrors.of(e);
        } finally {
            if (cur != null) {
                try {
                    cur.close();
                } catch (IOException e) {
                    // a directory fd we only read through
                }
            }
        }
    }

    private static Path name(Path p) {
        return p.getFileName();
    }

    @Override
    public HostNode lookup(String name) {
        Path p = dir().resolve(name);
        BasicFileAttributes a = lstat(p);
        return a == null ? null : new HostNode(fs, p, kindOf(a));
    }

    @Override
    public HostNode createFile(String name) {
        Path p = child(name);
        fs.charged(0, 1, () -> {
            // O_CREAT|O_EXCL|O_NOFOLLOW: an existing name, symlink or not, is EEXIST
            Object done = inDir(path, d -> {
                d.newByteChannel(name(p), Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS)).close();
                return Boolean.TRUE;
            });
            if (done == null) {
                Files.createFile(p);
            }
        });
        return new HostNode(fs, p, Kind.FILE);
    }

    @Override
    public void mkdir(String name) {
        Path p = child(name);
        fs.charged(0, 1, () -> Files.createDirectory(p));
    }

    @Override
    public void symlink(String name, String target) {
        Path p = child(name);
        fs.charged(target.length(), 1, () -> Files.createSymbolicLink(p, p.getFileSystem().getPath(target)));
    }

    @Override
    public void link(String name, Vnode existing) {
        if (!(existing instanceof HostNode n) || n.fs != fs) {
            throw Errno.XDEV.fail();
        }
        Path p = child(name);
        if (n.kind == Kind.DIRECTORY) {
            throw Errno.PERM.fail();
        }
        fs.checkConfined(n.path.getParent());
        try {
            Files.createLink(p, n.path); // link(2) does not follow a symlink source
        } catch (IOException e) {
            throw IoErrors.of(e);
        }
    }

    @Override
    public void unlink(String name) {
        Path p = child(name);
        Stat s = existing(p, name).stat();
        if (s.kind() == Kind.DIRECTORY) {
            throw Errno.ISDIR.fail();
        }
        delete(p, false);
        if (s.nlink() <= 1) {
            fs.quota().charge(-s.size(), -1);
        }
    }

    private HostNode existing(Path p, String name) {
        BasicFileAttributes a = lstat(p);
        if (a == null) {
            throw Errno.NOENT.fail();
        }
        return new HostNode(fs, p, kindOf(a));
    }

    @Override
    public void rmdir(String name) {
        Path p = child(name);
        if (existing(p, name).kind != Kind.DIRECTORY) {
            throw Errno.NOTDIR.fail();
        }
        delete(p, true);
        fs.quota().charge(0, -1);
    }

    /**
     * Deletes the child {@code p} through this directory's secure stream (unlinkat, with AT_REMOVEDIR for a
     * directory), or by its path where the platform has no such stream.
     */
    private void delete(Path p, boolean directory) {
        Object done = inDir(path, d -> {
            if (directory) {
                d.deleteDirectory(name(p));
            } else {
                d.deleteFile(name(p));
            }
            return Boolean.TRUE;
        });
        if (done == null) {
            try {
                Files.delete(p);
            } catch (IOException e) {
                throw IoErrors.of(e);
            }
        }
    }

    @Override
    public void rename(String name, Vnode toDir, String toName) {
        if (!(toDir instanceof HostNode to) || to.fs != fs) {
            throw Errno.XDEV.fail();
        }
        Path src = child(name);
        Path dst = to.child(toName);
        Stat moved = existing(src, name).stat();
        BasicFileAttributes old = lstat(dst);
        long freedBytes = 0, freedInodes = 0;
        if (old != null) {
            Stat o = new HostNode(fs, dst, kindOf(old)).stat();
            if (o.ino() != moved.ino() && (o.kind() == Kind.DIRECTORY || o.nlink() <= 1)) {
                freedBytes = o.kind() == Kind.DIRECTORY ? 0 : o.size();
                freedInodes = 1;
            }
        }
        Object done = inDir(path, from -> to.inDir(to.path, into -> {
            from.move(name(src), into, name(dst)); // renameat, with rename(2)'s errors
            return Boolean.TRUE;
        }));
        if (done == null) {
            try {
                Files.move(src, dst, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw IoErrors.of(e);
            }
        }
        fs.quota().charge(-freedBytes, -freedInodes);
    }

    @Override
    public List<DirEntry> list(String after, int max) {
        TreeSet<String> names = new TreeSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir())) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (after == null || n.compareTo(after) > 0) {
                    names.add(n);
                }
            }
        } catch (IOException e) {
            throw IoErrors.of(e);
        }
        List<DirEntry> out = new ArrayList<>();
        for (String n : names) {
            if (out.size() >= max) {
                break;
            }
            HostNode c = lookup(n);
            if (c != null) { // gone since the listing: skip it, as a later readdir would
                out.add(new DirEntry(n, c.stat().ino(), c.kind));
            }
        }
        return out;
    }

    @Override
    public String readlink() {
        if (kind != Kind.SYMLINK) {
            throw Errno.INVAL.fail();
        }
        try {
            return Files.readSymbolicLink(path).toString();
        } catch (IOException e) {
            throw IoErrors.of(e);
        }
    }

    @Override
    public void setTimes(Times t) {
        fs.checkWritable();
        fs.checkConfined(path.getParent() == null ? path : path.getParent());
        long now = Nanos.now();
        FileTime atime = t.setAtime() ? FileTime.from(t.atimeOr(now, 0), TimeUnit.NANOSECONDS) : null;
        FileTime mtime = t.setMtime() ? FileTime.from(t.mtimeOr(now, 0), TimeUnit.NANOSECONDS) : null;
        try {
            Files.getFileAttributeView(path, BasicFileAttributeView.class, NOFOLLOW).setTimes(mtime, atime, null);
        } catch (IOException e) {
            throw IoErrors.of(e);
        }
    }

    @Override
    public OpenFile open(boolean write) {
        checkOpenable(write);
        Set<OpenOption> opts = write
                ? Set.of(LinkOption.NOFOLLOW_LINKS, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : Set.of(LinkOption.NOFOLLOW_LINKS, StandardOpenOption.READ);
        FileChannel secure = inDir(path.getParent(), d -> {
            try {
                return (FileChannel) d.newByteChannel(name(path), opts); // openat(O_NOFOLLOW)
            } catch (AccessDeniedException e) {
                if (!write) {
                    throw e;
                }
                return (FileChannel) d.newByteChannel(name(path),
                        Set.of(LinkOption.NOFOLLOW_LINKS, StandardOpenOption.WRITE)); // a write-only file
            }
        });
        if (secure != null) {
            return new HostFile(fs, secure);
        }
        fs.checkConfined(path.getParent());
        try {
            FileChannel ch;
            try {
                ch = write
                        ? FileChannel.open(path, LinkOption.NOFOLLOW_LINKS, StandardOpenOption.READ, StandardOpenOption.WRITE)
                        : FileChannel.open(path, LinkOption.NOFOLLOW_LINKS, StandardOpenOption.READ);
            } catch (AccessDeniedException e) {
                if (!write) {
                    throw e;
                }
                ch = FileChannel.open(path, LinkOption.NOFOLLOW_LINKS, StandardOpenOption.WRITE); // write-only file
            }
            return new HostFile(fs, ch);
        } catch (IOException e) {
            throw IoErrors.of(e);
        }
    }

    /** An open host file: a FileChannel, its growth charged to the mount's quota. */
    private record HostFile(HostFs fs, FileChannel ch) implements OpenFile {
        @Override
        public int read(long pos, byte[] buf, int off, int len) {
            try {
                int n = ch.read(ByteBuffer.wrap(buf, off, len), pos);
                return Math.max(n, 0);
            } catch (IOException e) {
                throw IoErrors.of(e);
            }
        }

        @Override
        public int write(long pos, byte[] buf, int off, int len) {
            fs.checkWritable();
            long growth = Math.max(0, pos + len - size());
            fs.charged(growth, 0, () -> {
                ByteBuffer b = ByteBuffer.wrap(buf, off, len);
                long at = pos;
                while (b.hasRemaining()) {
                    at += ch.write(b, at);
                }
            });
            return len;
        }

        @Override
        public long size() {
            try {
                return ch.size();
            } catch (IOException e) {
                throw IoErrors.of(e);
            }
        }

        @Override
        public void truncate(long size) {
            fs.checkWritable();
            try {
                long old = ch.size();
                if (size > old) {
                    // extend with zeros, as ftruncate does
                    fs.charged(size - old, 0, () -> ch.write(ByteBuffer.wrap(new byte[1]), size - 1));
                } else if (size < old) {
                    ch.truncate(size);
                    fs.quota().charge(size - old, 0);
                }
            } catch (IOException e) {
                throw IoErrors.of(e);
            }
        }

        @Override
        public void allocate(long offset, long len) {
            if (offset + len > size()) {
                truncate(offset + len);
            }
        }

        @Override
        public void sync() {
            try {
                ch.force(true);
            } catch (IOException e) {
                throw IoErrors.of(e);
            }
        }

        @Override
        public void close() {
            try {
                ch.close();
            } catch (IOException e) {
                // nothing the guest could do about it: fd_close has already freed its fd
            }
        }
    }
}

package io.wasix.host.fs;

import io.wasix.host.abi.Errno;
import io.wasix.host.abi.GuestMemory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A node of a {@link MemFs}: a regular file (its bytes), a directory (its names, kept sorted so that a
 * listing can resume after any name however the directory changed meanwhile) or a symlink. A file's bytes
 * and its inode are charged to the quota while it has at least one link; an unlinked file still open
 * costs nothing more and is freed with its last fd. Owned by the guest thread; in threaded mode, by any guest thread
 * under the shard lock.
 */
final class MemNode implements Vnode, OpenFile {
    /** Files stay addressable by int; past this a write is EFBIG. */
    static final long MAX_FILE_SIZE = Integer.MAX_VALUE - 16;

    private final MemFs fs;
    private final Kind kind;
    private final long ino;
    private long nlink;
    private long atim, mtim, ctim;
    // DIRECTORY
    private TreeMap<String, MemNode> children;
    private MemNode parent;
    // FILE
    private byte[] data;
    private long size;
    // SYMLINK
    private String target;

    MemNode(MemFs fs, Kind kind, MemNode parent) {
        this.fs = fs;
        this.kind = kind;
        this.ino = fs.newIno();
        this.parent = parent;
        this.atim = this.mtim = this.ctim = Nanos.now();
        switch (kind) {
            case DIRECTORY -> {
                children = new TreeMap<>();
                nlink = 2;
            }
            case FILE -> {
                data = new byte[0];
                nlink = 1;
            }
            case SYMLINK -> nlink = 1;
        }
    }

    @Override
    public MemFs mount() {
        return fs;
    }

    @Override
    public Kind kind() {
        return kind;
    }

    /** What this node costs in bytes: a file its size, a symlink its target. */
    long chargedBytes() {
        return switch (kind) {
            case FILE -> size;
            case SYMLINK -> target.length();
            case DIRECTORY -> 0;
        };
    }

    @Override
    public int depth() {
        dir();
        int d = 0;
        for (MemNode a = parent; a != null; a = a.parent) {
            d++;
        }
        return d;
    }

    Map<String, MemNode> children() {
        return children;
    }

    @Override
    public Stat stat() {
        return new Stat(fs.dev(), ino, kind, nlink, kind == Kind.SYMLINK ? target.length() : kind == Kind.FILE ? size : 4096,
                atim, mtim, ctim);
    }

    private TreeMap<String, MemNode> dir() {
        if (kind != Kind.DIRECTORY) {
            throw Errno.NOTDIR.fail();
        }
        return children;
    }

    /** The directory's names, for a write into it: only while it is still linked (rmdir'd dirs take none). */
    private TreeMap<String, MemNode> writableDir() {
        TreeMap<String, MemNode> d = dir();
        fs.checkWritable();
        if (nlink == 0) {
            throw Errno.NOENT.fail();
        }
        return d;
    }

    private void touchDir() {
        mtim = ctim = Nanos.now();
    }

    @Override
    public MemNode lookup(String name) {
        return dir().get(name);
    }

    private void addNew(TreeMap<String, MemNode> d, String name, MemNode n, long bytes) {
        fs.quota().charge(bytes, 1);
        d.put(name, n);
        if (n.kind == Kind.DIRECTORY) {
            nlink++;
        }
        touchDir();
    }

    @Override
    public MemNode createFile(String name) {
        TreeMap<String, MemNode> d = writableDir();
        if (d.containsKey(name)) {
            throw Errno.EXIST.fail();
        }
        fs.quota().check(0, 1);
        MemNode n = new MemNode(fs, Kind.FILE, null);
        addNew(d, name, n, 0);
        return n;
    }

    @Override
    public void mkdir(String name) {
        TreeMap<String, MemNode> d = writableDir();
        if (d.containsKey(name)) {
            throw Errno.EXIST.fail();
        }
        fs.quota().check(0, 1);
        addNew(d, name, new MemNode(fs, Kind.DIRECTORY, this), 0);
    }

    @Override
    public void symlink(String name, String target) {
        TreeMap<String, MemNode> d = writableDir();
        if (d.containsKey(name)) {
            throw Errno.EXIST.fail();
        }
        fs.quota().check(target.length(), 1);
        MemNode n = new MemNode(fs, Kind.SYMLINK, null);
        n.target = target;
        addNew(d, name, n, target.length());
    }

    @Override
    public void link(String name, Vnode existing) {
        TreeMap<String, MemNode> d = writableDir();
        if (!(existing instanceof MemNode n) || n.fs != fs) {
            throw Errno.XDEV.fail();
        }
        if (n.kind == Kind.DIRECTORY) {
            throw Errno.PERM.fail(); // Linux refuses hard links to directories with EPERM
        }
        if (d.containsKey(name)) {
            throw Errno.EXIST.fail();
        }
        if (n.nlink == 0) {
            throw Errno.NOENT.fail(); // linkat on an unlinked file, without AT_EMPTY_PATH
        }
        d.put(name, n); // the same inode under a second name costs nothing more
        n.nlink++;
        n.ctim = Nanos.now();
        touchDir();
    }

    @Override
    public void unlink(String name) {
        TreeMap<String, MemNode> d = writableDir();
        MemNode n = d.get(name);
        if (n == null) {
            throw Errno.NOENT.fail();
        }
        if (n.kind == Kind.DIRECTORY) {
            throw Errno.ISDIR.fail();
        }
        d.remove(name);
        n.dropLink();
        touchDir();
    }

    /** One fewer name: the last one gives its bytes and inode back to the quota. */
    private void dropLink() {
        nlink--;
        ctim = Nanos.now();
        if (nlink == 0) {
            fs.quota().charge(-chargedBytes(), -1);
        }
    }

    @Override
    public void rmdir(String name) {
        TreeMap<String, MemNode> d = writableDir();
        MemNode n = d.get(name);
        if (n == null) {
            throw Errno.NOENT.fail();
        }
        if (n.kind != Kind.DIRECTORY) {
            throw Errno.NOTDIR.fail();
        }
        if (!n.children.isEmpty()) {
            throw Errno.NOTEMPTY.fail();
        }
        d.remove(name);
        nlink--;
        n.nlink = 0;
        n.parent = null;
        fs.quota().charge(0, -1);
        touchDir();
    }

    @Override
    public void rename(String name, Vnode toDir, String toName) {
        TreeMap<String, MemNode> from = writableDir();
        if (!(toDir instanceof MemNode to) || to.fs != fs) {
            throw Errno.XDEV.fail();
        }
        TreeMap<String, MemNode> dest = to.writableDir();
        MemNode n = from.get(name);
        if (n == null) {
            throw Errno.NOENT.fail();
        }
        MemNode old = dest.get(toName);
        if (old == n) {
            return; // rename(2): two names of one inode, nothing to do
        }
        if (n.kind == Kind.DIRECTORY) {
            for (MemNode a = to; a != null; a = a.parent) {
                if (a == n) {
                    throw Errno.INVAL.fail(); // a directory moved under itself
                }
            }
        }
        if (old != null) {
            if (n.kind == Kind.DIRECTORY && old.kind != Kind.DIRECTORY) {
                throw Errno.NOTDIR.fail();
            }
            if (n.kind != Kind.DIRECTORY && old.kind == Kind.DIRECTORY) {
                throw Errno.ISDIR.fail();
            }
            if (old.kind == Kind.DIRECTORY && !old.children.isEmpty()) {
                throw Errno.NOTEMPTY.fail();
            }
        }
        // Nothing can fail from here: replacing only frees usage, moving costs nothing.
        if (old != null) {
            dest.remove(toName);
            if (old.kind == Kind.DIRECTORY) {
                to.nlink--;
                old.nlink = 0;
                old.parent = null;
                fs.quota().charge(0, -1);
            } else {
                old.dropLink();
            }
        }
        from.remove(name);
        dest.put(toName, n);
        if (n.kind == Kind.DIRECTORY) {
            nlink--;
            to.nlink++;
            n.parent = to;
        }
        n.ctim = Nanos.now();
        touchDir();
        to.touchDir();
    }

    @Override
    public List<DirEntry> list(String after, int max) {
        TreeMap<String, MemNode> d = dir();
        Map<String, MemNode> tail = after == null ? d : d.tailMap(after, false);
        // not tail.size(): on a tail view that counts every entry, which would make resuming O(n) per call
        List<DirEntry> out = new ArrayList<>(after == null ? Math.min(max, d.size()) : Math.min(max, 64));
        for (Map.Entry<String, MemNode> e : tail.entrySet()) {
            if (out.size() >= max) {
                break;
            }
            out.add(new DirEntry(e.getKey(), e.getValue().ino, e.getValue().kind));
        }
        return out;
    }

    @Override
    public String readlink() {
        if (kind != Kind.SYMLINK) {
            throw Errno.INVAL.fail();
        }
        return target;
    }

    @Override
    public void setTimes(Times t) {
        fs.checkWritable();
        long now = Nanos.now();
        atim = t.atimeOr(now, atim);
        mtim = t.mtimeOr(now, mtim);
        ctim = now;
    }

    @Override
    public OpenFile open(boolean write) {
        checkOpenable(write);
        return this;
    }

    // ---- OpenFile ---------------------------------------------------------------------------

    @Override
    public int read(long pos, byte[] buf, int off, int len) {
        if (pos >= size) {
            return 0;
        }
        int n = (int) Math.min(len, size - pos);
        System.arraycopy(data, (int) pos, buf, off, n);
        atim = Nanos.now();
        return n;
    }

    @Override
    public int write(long pos, byte[] buf, int off, int len) {
        makeRoom(pos, len);
        System.arraycopy(buf, off, data, (int) pos, len);
        mtim = ctim = Nanos.now();
        return len;
    }

    @Override
    public int writeFrom(long pos, GuestMemory src, int addr, int len) {
        makeRoom(pos, len);
        src.readInto(addr, data, (int) pos, len);
        mtim = ctim = Nanos.now();
        return len;
    }

    /** Checks and grows (charging the quota) so that [pos, pos+len) can be written. */
    private void makeRoom(long pos, int len) {
        fs.checkWritable();
        long end = pos + len;
        if (end > MAX_FILE_SIZE) {
            throw Errno.FBIG.fail();
        }
        if (end > size) {
            grow(end);
        }
    }

    @Override
    public int readTo(long pos, GuestMemory dst, int addr, int len) {
        if (pos >= size) {
            return 0;
        }
        int n = (int) Math.min(len, size - pos);
        dst.write(addr, data, (int) pos, n);
        atim = Nanos.now();
        return n;
    }

    @Override
    public int writeOwned(long pos, byte[] buf) {
        if (pos != 0 || size != 0 || buf.length == 0) {
            return write(pos, buf, 0, buf.length);
        }
        // An empty file written from the start (create, or truncate, then write): keep the caller's array.
        fs.checkWritable();
        if (buf.length > MAX_FILE_SIZE) {
            throw Errno.FBIG.fail();
        }
        if (nlink > 0) {
            fs.quota().charge(buf.length, 0);
        }
        data = buf;
        size = buf.length;
        mtim = ctim = Nanos.now();
        return buf.length;
    }

    /** Extends the file to newSize with zeros, charging the growth first. */
    private void grow(long newSize) {
        if (nlink > 0) {
            fs.quota().charge(newSize - size, 0);
        }
        if (newSize > data.length) {
            long cap = Math.max(newSize, Math.min(MAX_FILE_SIZE, (long) data.length * 2));
            data = Arrays.copyOf(data, (int) cap); // the new tail is zero
        } else {
            Arrays.fill(data, (int) size, (int) newSize, (byte) 0); // bytes left over from a shrink
        }
        size = newSize;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void truncate(long newSize) {
        fs.checkWritable();
        if (newSize > MAX_FILE_SIZE) {
            throw Errno.FBIG.fail();
        }
        if (newSize > size) {
            grow(newSize);
        } else if (newSize < size) {
            if (nlink > 0) {
                fs.quota().charge(newSize - size, 0);
            }
            size = newSize;
            if (data.length > 4096 && size < data.length / 4) {
                data = Arrays.copyOf(data, (int) size); // give memory back after a big shrink
            }
        }
        mtim = ctim = Nanos.now();
    }

    @Override
    public void allocate(long offset, long len) {
        fs.checkWritable();
        long end = offset + len;
        if (end > MAX_FILE_SIZE) {
            throw Errno.FBIG.fail();
        }
        if (end > size) {
            grow(end);
            mtim = ctim = Nanos.now();
        }
    }

    @Override
    public void sync() {
        // Memory is as durable as it gets here.
    }

    @Override
    public void close() {
        // The node lives on while a name or another fd holds it; nothing is per-open.
    }
}

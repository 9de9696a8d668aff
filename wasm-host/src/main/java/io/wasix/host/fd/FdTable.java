package io.wasix.host.fd;

import io.wasix.host.abi.Errno;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * One guest instance's file descriptors. New fds take the lowest free number, as POSIX requires and as
 * guests that reuse fds expect. An {@link Entry} is an open file description: fd_dup gives it a second fd,
 * and both then share its flags (NONBLOCK, APPEND) and, for files, its offset, as on Linux; what it names is
 * closed with its last fd. CLOEXEC, by contrast, belongs to the fd itself (F_GETFD/F_SETFD), so it is kept
 * per fd number. Owned by the guest thread; in threaded mode, by any guest thread under the shard lock.
 */
public final class FdTable {
    /** Upper bound on open fds per instance, like RLIMIT_NOFILE: past it, EMFILE. */
    public static final int MAX_FDS = 65536;

    /** NONBLOCK in WASI fdflags. */
    public static final int FDFLAG_APPEND = 1, FDFLAG_NONBLOCK = 4;

    private final List<Entry> entries = new ArrayList<>();
    /** WASIX fdflagsext CLOEXEC, per fd number. Nothing execs yet: it is only kept and reported. */
    private final java.util.BitSet cloexec = new java.util.BitSet();
    private final List<IntConsumer> closeListeners = new ArrayList<>();
    private int lowestFree;

    /** A live fd: what it names and its flags. */
    public static final class Entry {
        private final Descriptor descriptor;
        private int flags;
        private int fds = 1;

        Entry(Descriptor descriptor, int flags) {
            this.descriptor = descriptor;
            this.flags = flags;
        }

        public Descriptor descriptor() {
            return descriptor;
        }

        public int flags() {
            return flags;
        }

        public void setFlags(int flags) {
            this.flags = flags;
        }

        public boolean nonBlocking() {
            return (flags & FDFLAG_NONBLOCK) != 0;
        }
    }

    public int add(Descriptor d, int flags) {
        return place(new Entry(d, flags));
    }

    /** fd_dup: a new fd (the lowest free) for the same open file description. */
    public int dup(int fd) {
        return dupAtLeast(fd, 0, false);
    }

    /**
     * WASIX fd_dup2, which is fcntl's F_DUPFD (F_DUPFD_CLOEXEC with {@code cloexec}): a new fd for the same
     * open file description, the lowest free one not below {@code minFd}. EINVAL for a {@code minFd} out of
     * range, as fcntl answers.
     */
    public int dupAtLeast(int fd, int minFd, boolean cloexec) {
        Entry e = entry(fd);
        if (minFd < 0 || minFd >= MAX_FDS) {
            throw Errno.INVAL.fail();
        }
        int n = place(e, minFd);
        e.fds++;
        this.cloexec.set(n, cloexec);
        return n;
    }

    /**
     * dup2(2): {@code to} names what {@code from} names, and {@code from} stays open; what {@code to} named
     * loses an fd first. {@code to} need not be open. The new fd has no CLOEXEC. EBADF for a {@code to} out
     * of range, as dup2 answers.
     */
    public void duplicateOnto(int from, int to) {
        Entry e = entry(from);
        if (to < 0 || to >= MAX_FDS) {
            throw Errno.BADF.fail();
        }
        if (from == to) {
            return;
        }
        if (peek(to) != null) {
            close(to);
        }
        while (entries.size() <= to) {
            entries.add(null);
        }
        entries.set(to, e);
        e.fds++;
        cloexec.clear(to);
    }

    /** The fd's CLOEXEC flag (EBADF for a closed fd). */
    public boolean cloexec(int fd) {
        entry(fd);
        return cloexec.get(fd);
    }

    public void setCloexec(int fd, boolean on) {
        entry(fd);
        cloexec.set(fd, on);
    }

    /**
     * fd_renumber: {@code to} (which must be open, as WASI requires) now names what {@code from} named, and
     * {@code from} is free. What {@code to} named loses an fd, as with dup2 then close.
     */
    public void renumber(int from, int to) {
        Entry e = entry(from);
        entry(to);
        if (from == to) {
            return;
        }
        close(to);
        entries.set(to, e);
        entries.set(from, null);
        cloexec.clear(from);
        lowestFree = Math.min(lowestFree, from);
        for (IntConsumer l : closeListeners) {
            l.accept(from);
        }
    }

    private int place(Entry entry) {
        return place(entry, 0);
    }

    /**
     * Puts {@code entry} at the lowest free fd not below {@code min}. {@link #lowestFree} is a lower bound on the
     * first free fd (dup2 may fill a hole above it), so the search starts there.
     */
    private int place(Entry entry, int min) {
        int fd = Math.max(lowestFree, min);
        while (fd < entries.size() && entries.get(fd) != null) {
            fd++;
        }
        if (fd >= MAX_FDS) {
            throw Errno.MFILE.fail();
        }
        while (entries.size() < fd) {
            entries.add(null);
        }
        if (fd == entries.size()) {
            entries.add(entry);
        } else {
            entries.set(fd, entry);
        }
        cloexec.clear(fd);
        if (min <= lowestFree) {
            lowestFree = fd + 1;
        }
        return fd;
    }

    /** The entry for fd, or EBADF. */
    public Entry entry(int fd) {
        Entry e = fd >= 0 && fd < entries.size() ? entries.get(fd) : null;
        if (e == null) {
            throw Errno.BADF.fail();
        }
        return e;
    }

    public Descriptor get(int fd) {
        return entry(fd).descriptor;
    }

    /** Descriptor of fd or null, without throwing. */
    public Descriptor peek(int fd) {
        Entry e = fd >= 0 && fd < entries.size() ? entries.get(fd) : null;
        return e == null ? null : e.descriptor;
    }

    /** Frees the fd at once; what it names is closed when this was its last fd. */
    public void close(int fd) {
        Entry e = entry(fd);
        entries.set(fd, null);
        cloexec.clear(fd);
        lowestFree = Math.min(lowestFree, fd);
        for (IntConsumer l : closeListeners) {
            l.accept(fd);
        }
        if (--e.fds == 0) {
            e.descriptor.close();
        }
    }

    /** Told of every fd closed, so epoll sets can drop it as Linux does. */
    public void onClose(IntConsumer listener) {
        closeListeners.add(listener);
    }

    public void removeOnClose(IntConsumer listener) {
        closeListeners.remove(listener);
    }

    /** Closes every fd, at guest exit. */
    public void closeAll() {
        for (int fd = 0; fd < entries.size(); fd++) {
            if (entries.get(fd) != null) {
                close(fd);
            }
        }
    }
}

package io.wasix.host.fd;

import io.wasix.host.abi.Errno;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * One guest instance's file descriptors. New fds take the lowest free number, as POSIX requires and as
 * guests that reuse fds expect. Each entry carries its own fd flags (NONBLOCK, APPEND). Owned by the guest
 * thread.
 */
public final class FdTable {
    /** Upper bound on open fds per instance, like RLIMIT_NOFILE: past it, EMFILE. */
    public static final int MAX_FDS = 65536;

    /** NONBLOCK in WASI fdflags. */
    public static final int FDFLAG_APPEND = 1, FDFLAG_NONBLOCK = 4;

    private final List<Entry> entries = new ArrayList<>();
    private final List<IntConsumer> closeListeners = new ArrayList<>();
    private int lowestFree;

    /** A live fd: what it names and its flags. */
    public static final class Entry {
        private final Descriptor descriptor;
        private int flags;

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
        int fd = lowestFree;
        while (fd < entries.size() && entries.get(fd) != null) {
            fd++;
        }
        if (fd >= MAX_FDS) {
            throw Errno.MFILE.fail();
        }
        if (fd == entries.size()) {
            entries.add(new Entry(d, flags));
        } else {
            entries.set(fd, new Entry(d, flags));
        }
        lowestFree = fd + 1;
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

    /**
     * Frees the fd at once and closes what it names. (Each descriptor has exactly one fd until fd_dup and
     * fd_renumber arrive with the filesystem; they will bring a reference count here.)
     */
    public void close(int fd) {
        Entry e = entry(fd);
        entries.set(fd, null);
        lowestFree = Math.min(lowestFree, fd);
        for (IntConsumer l : closeListeners) {
            l.accept(fd);
        }
        e.descriptor.close();
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

package io.wasix.host.fd;

import io.wasix.host.abi.Errno;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A guest's epoll instance: an interest list over its fds, answered from each descriptor's readiness.
 * Level-triggered by default; EPOLLET reports an fd again only after its readiness sequence moves;
 * EPOLLONESHOT disarms an fd after one report until EPOLL_CTL_MOD. Closed fds leave every set, as on Linux.
 *
 * <p>The op values: the witx's are add 0, mod 1, del 2, but wasix-libc's epoll_ctl (since 2024) passes Linux's
 * EPOLL_CTL_ADD 1, DEL 2, MOD 3 through unchanged. wasmer decodes 1 as its mod, which replaces an interest or
 * adds a missing one, so that is what 1 does here too: libc's ADD works, as does the witx's mod. 3, which
 * only libc's MOD passes, modifies as on Linux (wasmer ignores it and answers success).
 *
 * <p>Owned by the guest thread; in threaded mode, by any guest thread under the shard lock.
 */
public final class EpollSet implements Descriptor {
    /** The witx's add, mod (also wasix-libc's EPOLL_CTL_ADD) and del, and wasix-libc's EPOLL_CTL_MOD. */
    public static final int CTL_ADD = 0, CTL_MOD = 1, CTL_DEL = 2, CTL_LIBC_MOD = 3;
    public static final int EPOLLET = 64, EPOLLONESHOT = 128;
    /** Events always reported, whether asked for or not. */
    private static final int ALWAYS = ERR | HUP;

    /** One watched fd. {@code data} is the guest's 24 opaque bytes, echoed back. */
    private static final class Interest {
        final Descriptor target;
        int events;
        byte[] data;
        long lastSeq = -1;
        boolean disarmed;

        Interest(Descriptor target, int events, byte[] data) {
            this.target = target;
            this.events = events;
            this.data = data;
        }
    }

    /** One ready fd, as epoll_wait reports it. */
    public record Ready(int events, byte[] data) {}

    private final Map<Integer, Interest> interests = new LinkedHashMap<>();
    private final FdTable fds;
    private final java.util.function.IntConsumer forgetClosedFd = fd -> interests.remove(fd);

    public EpollSet(FdTable fds) {
        this.fds = fds;
        fds.onClose(forgetClosedFd);
    }

    public void control(int op, int fd, Descriptor target, int events, byte[] data) {
        if (target == this) {
            throw Errno.INVAL.fail();
        }
        switch (op) {
            case CTL_ADD -> {
                if (interests.containsKey(fd)) {
                    throw Errno.EXIST.fail();
                }
                interests.put(fd, new Interest(target, events, data));
            }
            case CTL_MOD -> {
                if (!interests.containsKey(fd)) {
                    interests.put(fd, new Interest(target, events, data));
                    return;
                }
                modify(interests.get(fd), events, data);
            }
            case CTL_LIBC_MOD -> {
                Interest i = interests.get(fd);
                if (i == null) {
                    throw Errno.NOENT.fail();
                }
                modify(i, events, data);
            }
            case CTL_DEL -> {
                if (interests.remove(fd) == null) {
                    throw Errno.NOENT.fail();
                }
            }
            default -> throw Errno.INVAL.fail();
        }
    }

    private static void modify(Interest i, int events, byte[] data) {
        i.events = events;
        i.data = data;
        i.disarmed = false;
        i.lastSeq = -1;
    }

    /** Whether any watched fd would be reported now. */
    public boolean anyReady() {
        for (Interest i : interests.values()) {
            if (reportable(i) != 0) {
                return true;
            }
        }
        return false;
    }

    /** Collects up to {@code max} ready fds, consuming edges and one-shots. */
    public List<Ready> collect(int max) {
        List<Ready> out = new ArrayList<>();
        for (Interest i : interests.values()) {
            if (out.size() >= max) {
                break;
            }
            int ev = reportable(i);
            if (ev == 0) {
                continue;
            }
            out.add(new Ready(ev, i.data));
            i.lastSeq = i.target.readinessSeq();
            if ((i.events & EPOLLONESHOT) != 0) {
                i.disarmed = true;
            }
        }
        return out;
    }

    private static int reportable(Interest i) {
        if (i.disarmed) {
            return 0;
        }
        if ((i.events & EPOLLET) != 0 && i.target.readinessSeq() == i.lastSeq) {
            return 0;
        }
        return i.target.readiness() & (i.events | ALWAYS);
    }

    @Override
    public FileType fileType() {
        return FileType.UNKNOWN;
    }

    @Override
    public int readiness() {
        return anyReady() ? IN : 0;
    }

    @Override
    public long readinessSeq() {
        return 0;
    }

    @Override
    public void close() {
        fds.removeOnClose(forgetClosedFd);
        interests.clear();
    }
}

package io.wasix.host.syscalls;

import static com.dylibso.chicory.wasm.types.ValType.I32;
import static com.dylibso.chicory.wasm.types.ValType.I64;
import static io.wasix.host.syscalls.HostFunctions.i32s;

import io.wasix.host.abi.Errno;
import io.wasix.host.abi.GuestMemory;
import io.wasix.host.fd.Descriptor;
import io.wasix.host.fd.EpollSet;
import io.wasix.host.net.GuestLoop;
import java.util.List;

/**
 * epoll_create, epoll_ctl and epoll_wait. epoll_wait runs the guest's loop until a watched fd is ready or
 * the timeout passes. Runs on the guest thread; in threaded mode, on any guest thread under the shard lock.
 */
final class EpollCalls {
    /** Size of a WASIX epoll_event: events u32 at 0, 24 bytes of data at 8. */
    private static final int EVENT_SIZE = 32, DATA_OFFSET = 8, DATA_SIZE = 24;

    private final GuestState state;

    EpollCalls(GuestState state) {
        this.state = state;
    }

    void register(HostFunctions r) {
        r.wasix("epoll_create", i32s(1), (m, a) -> {
            m.check((int) a[0], 4);
            int fd = state.fds.add(new EpollSet(state.fds), 0);
            m.writeI32((int) a[0], fd);
            return 0;
        });
        r.wasix("epoll_ctl", i32s(4), (m, a) -> ctl(m, (int) a[0], (int) a[1], (int) a[2], (int) a[3]));
        r.wasix("epoll_wait", List.of(I32, I32, I32, I64, I32),
                (m, a) -> await(m, (int) a[0], (int) a[1], (int) a[2], a[3], (int) a[4]));
    }

    private int ctl(GuestMemory m, int epfd, int op, int fd, int event) {
        EpollSet set = epoll(epfd);
        Descriptor target = state.fds.get(fd);
        int events = 0;
        byte[] data = null;
        if (op != EpollSet.CTL_DEL) {
            events = m.readI32(event);
            data = m.readBytes(event + DATA_OFFSET, DATA_SIZE);
        }
        set.control(op, fd, target, events, data);
        if (op != EpollSet.CTL_DEL && (target.readiness() & (events | Descriptor.ERR | Descriptor.HUP)) != 0) {
            // An epoll_wait in another guest thread now has something to report (a one-shot re-armed on an fd
            // that is ready): wake it. One that is not ready yet will wake it when it becomes so.
            state.net.loop().changed();
        }
        return 0;
    }

    private int await(GuestMemory m, int epfd, int events, int max, long timeoutNanos, int retN) {
        m.check(retN, 4);
        if (max <= 0) {
            throw Errno.INVAL.fail();
        }
        m.checkArray(events, max, EVENT_SIZE);
        EpollSet set = epoll(epfd);
        // libc passes -1 (u64 max) for "wait for ever"; 0 means "just look".
        if (timeoutNanos != 0 && !set.anyReady()) {
            state.net.loop().await(set::anyReady, GuestLoop.deadline(timeoutNanos));
        } else {
            state.net.loop().poll();
        }
        var ready = set.collect(max);
        for (int i = 0; i < ready.size(); i++) {
            int at = events + i * EVENT_SIZE;
            m.writeI32(at, ready.get(i).events());
            m.writeI32(at + 4, 0);
            m.write(at + DATA_OFFSET, ready.get(i).data());
        }
        m.writeI32(retN, ready.size());
        return 0;
    }

    private EpollSet epoll(int fd) {
        if (state.fds.get(fd) instanceof EpollSet s) {
            return s;
        }
        throw Errno.INVAL.fail();
    }
}

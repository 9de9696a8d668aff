package io.wasix.host.syscalls;

import static com.dylibso.chicory.wasm.types.ValType.I32;
import static com.dylibso.chicory.wasm.types.ValType.I64;

import io.wasix.host.abi.Errno;
import io.wasix.host.abi.GuestMemory;
import io.wasix.host.abi.GuestMemory.IoVec;
import io.wasix.host.fd.EventCounter;
import io.wasix.host.fd.FdTable;
import io.wasix.host.net.GuestLoop;
import java.util.List;

/**
 * WASIX fd_event, and fd_read/fd_write on an event fd for {@link FdCalls}, as eventfd(2) does them: 8 bytes,
 * little-endian, each way. A read at 0 and a write that does not fit wait in the shard's loop (which blocks
 * in the kernel, or, with several guest threads, parks the thread); with NONBLOCK they answer EAGAIN.
 * Runs on a guest thread.
 */
final class EventCalls {
    private static final int VALUE_SIZE = 8;

    private final GuestState state;

    EventCalls(GuestState state) {
        this.state = state;
    }

    void register(HostFunctions r) {
        // flags: bit 0 SEMAPHORE. wasix-libc's eventfd passes its flags through, and its EFD_NONBLOCK is
        // O_NONBLOCK, which is fdflags' NONBLOCK (4): honoured, as eventfd(2) does (wasmer ignores it). Its
        // EFD_CLOEXEC does not fit in the u16 and arrives as 0; other bits are ignored, as wasmer does.
        r.wasix("fd_event", List.of(I64, I32, I32), (m, a) -> {
            m.check((int) a[2], 4);
            int flags = (int) a[1];
            EventCounter ev = new EventCounter(a[0], (flags & EventCounter.SEMAPHORE) != 0);
            m.writeI32((int) a[2], state.fds.add(ev, flags & FdTable.FDFLAG_NONBLOCK));
            return 0;
        });
    }

    static int read(GuestState state, GuestMemory m, EventCounter ev, IoVec[] vecs, boolean nonBlocking) {
        if (IoVec.total(vecs) < VALUE_SIZE) {
            throw Errno.INVAL.fail();
        }
        if (!ev.readable() && nonBlocking) {
            throw Errno.AGAIN.fail();
        }
        long taken;
        while ((taken = ev.take()) == 0) { // after each wake: with several guest threads, another may read first
            state.net.loop().await(ev::readable, GuestLoop.NO_DEADLINE);
        }
        state.net.loop().changed(); // room regained: a writer waiting in another guest thread goes on
        byte[] value = new byte[VALUE_SIZE];
        FsCalls.LE_LONG.set(value, 0, taken);
        Streams.scatter(m, vecs, value, VALUE_SIZE);
        return VALUE_SIZE;
    }

    static int write(GuestState state, GuestMemory m, EventCounter ev, IoVec[] vecs, boolean nonBlocking) {
        if (IoVec.total(vecs) < VALUE_SIZE) {
            throw Errno.INVAL.fail();
        }
        byte[] raw = new byte[VALUE_SIZE];
        int off = 0;
        for (IoVec v : vecs) { // the first 8 bytes, wherever the iovecs put them
            int take = (int) Math.min(Integer.toUnsignedLong(v.len()), VALUE_SIZE - off);
            m.readInto(v.ptr(), raw, off, take);
            off += take;
            if (off == VALUE_SIZE) {
                break;
            }
        }
        long value = (long) FsCalls.LE_LONG.get(raw, 0);
        boolean added = ev.add(value);
        if (!added && nonBlocking) {
            throw Errno.AGAIN.fail();
        }
        while (!added) { // after each wake: with several guest threads, another may write first
            state.net.loop().await(() -> ev.writable(value), GuestLoop.NO_DEADLINE);
            added = ev.add(value);
        }
        state.net.loop().changed(); // a reader waiting in another guest thread (or a poller) wakes
        return VALUE_SIZE;
    }
}

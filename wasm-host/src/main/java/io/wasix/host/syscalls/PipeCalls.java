package io.wasix.host.syscalls;

import static io.wasix.host.syscalls.HostFunctions.i32s;

import io.wasix.host.abi.Errno;
import io.wasix.host.abi.GuestMemory;
import io.wasix.host.abi.GuestMemory.IoVec;
import io.wasix.host.abi.WasiException;
import io.wasix.host.fd.PipeEnd;
import io.wasix.host.net.GuestLoop;

/**
 * WASIX fd_pipe, and fd_read/fd_write on a pipe end for {@link FdCalls}. A read of an empty end and a write
 * to a full one wait in the shard's loop (which blocks in the kernel, or, with several guest threads, parks
 * the thread) until the end is ready; with NONBLOCK they answer EAGAIN. Runs on a guest thread.
 */
final class PipeCalls {
    /** The most one read or write moves, as Linux caps read(2) and write(2) (MAX_RW_COUNT). */
    static final long MAX_IO = 0x7FFF_F000L;

    private final GuestState state;

    PipeCalls(GuestState state) {
        this.state = state;
    }

    void register(HostFunctions r) {
        r.wasix("fd_pipe", i32s(2), (m, a) -> {
            m.check((int) a[0], 4);
            m.check((int) a[1], 4);
            PipeEnd[] ends = PipeEnd.pair();
            int fd1 = state.fds.add(ends[0], 0);
            int fd2;
            try {
                fd2 = state.fds.add(ends[1], 0);
            } catch (WasiException e) { // EMFILE for the second: the first must not leak
                state.fds.close(fd1);
                throw e;
            }
            m.writeI32((int) a[0], fd1);
            m.writeI32((int) a[1], fd2);
            return 0;
        });
    }

    /** read(2) on a pipe end: what is queued, up to the iovecs' size; 0 at end of data. */
    static int read(GuestState state, GuestMemory m, PipeEnd p, IoVec[] vecs, boolean nonBlocking) {
        if (IoVec.total(vecs) == 0) {
            return 0;
        }
        if (!p.readable() && nonBlocking) {
            throw Errno.AGAIN.fail();
        }
        while (!p.readable()) { // after each wake: with several guest threads, another may read first
            state.net.loop().await(p::readable, GuestLoop.NO_DEADLINE);
        }
        int got = 0;
        for (IoVec v : vecs) {
            int len = (int) Math.min(Integer.toUnsignedLong(v.len()), MAX_IO - got);
            int n = p.read(m, v.ptr(), len);
            if (n > 0) {
                got += n;
            }
            if (n < len || got >= MAX_IO) {
                break; // drained (or at the end): a short read, as read(2) makes
            }
        }
        state.net.loop().changed(); // room regained: a writer waiting in another guest thread goes on
        return got;
    }

    /**
     * write(2) on a pipe end: at most {@link PipeEnd#ATOMIC_WRITE} bytes go all at once or not at all; more go
     * as room allows. Blocking, it waits until everything is queued; with NONBLOCK it queues what fits now
     * (EAGAIN if nothing does). EPIPE once the other end is closed, unless some bytes already went.
     */
    static int write(GuestState state, GuestMemory m, PipeEnd p, IoVec[] vecs, boolean nonBlocking) {
        long total = Math.min(IoVec.total(vecs), MAX_IO);
        if (total == 0) {
            return 0;
        }
        boolean atomic = total <= PipeEnd.ATOMIC_WRITE;
        long need = atomic ? total : 1;
        long written = 0;
        while (written < total) {
            if (!p.writable(need)) {
                if (nonBlocking) {
                    if (written > 0) {
                        break;
                    }
                    throw Errno.AGAIN.fail();
                }
                try {
                    state.net.loop().await(() -> p.writable(need), GuestLoop.NO_DEADLINE);
                } catch (WasiException e) {
                    if (e.errno() == Errno.INTR && written > 0) {
                        break; // a signal: report what went, as write(2) does
                    }
                    throw e;
                }
            }
            try {
                written += writeFrom(m, p, vecs, written, total);
                state.net.loop().changed(); // a reader waiting in another guest thread (or a poller) wakes
            } catch (WasiException e) {
                if (e.errno() == Errno.PIPE && written > 0) {
                    break; // the reader left mid-write: report what went, as write(2) does
                }
                throw e;
            }
        }
        return (int) written;
    }

    /** Writes what fits of the iovecs' bytes from offset {@code skip} to {@code total}; returns how many. */
    private static int writeFrom(GuestMemory m, PipeEnd p, IoVec[] vecs, long skip, long total) {
        int done = 0;
        long at = 0;
        for (IoVec v : vecs) {
            long len = Integer.toUnsignedLong(v.len());
            if (at + len <= skip) {
                at += len;
                continue;
            }
            int from = (int) Math.max(0, skip - at);
            int want = (int) Math.min(len - from, total - skip - done);
            if (want <= 0) {
                break;
            }
            int n = p.write(m, v.ptr() + from, want, false);
            done += n;
            if (n < want) {
                break; // full
            }
            at += len;
        }
        return done;
    }
}

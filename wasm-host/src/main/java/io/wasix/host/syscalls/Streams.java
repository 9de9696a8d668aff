package io.wasix.host.syscalls;

import io.netty.buffer.ByteBuf;
import io.wasix.host.abi.Errno;
import io.wasix.host.abi.GuestMemory;
import io.wasix.host.abi.GuestMemory.IoVec;
import io.wasix.host.net.GuestSocket;

/**
 * Moves bytes between guest iovecs and a socket; shared by sock_recv/sock_send and fd_read/fd_write, which
 * are the same operation on a socket. Runs on the guest thread.
 */
final class Streams {
    private Streams() {}

    static int recvInto(GuestState state, GuestMemory m, GuestSocket s, IoVec[] vecs, boolean nonBlocking,
            boolean peek, boolean waitAll) {
        long total = IoVec.total(vecs);
        if (total == 0) {
            return 0;
        }
        // Size the copy by what can arrive now, not by the guest's (possibly huge) iovecs; only WAITALL needs
        // room for everything it asked for. The buffer is the instance's reusable one: a fresh array per call
        // was nearly all the host's allocation under load.
        int size = (int) Math.min(waitAll ? total : Math.min(total, Math.max(s.available(), 64 * 1024)),
                Integer.MAX_VALUE - 8);
        byte[] tmp = state.copyBuffer(size);
        int n = s.recv(tmp, size, nonBlocking, peek, waitAll);
        scatter(m, vecs, tmp, n);
        return n;
    }

    static int sendFrom(GuestMemory m, GuestSocket s, IoVec[] vecs, boolean nonBlocking) {
        long total = IoVec.total(vecs);
        if (total > Integer.MAX_VALUE) {
            throw Errno.INVAL.fail();
        }
        ByteBuf buf = s.alloc().buffer((int) total);
        for (IoVec v : vecs) {
            buf.writeBytes(m.readBytes(v.ptr(), v.len()));
        }
        return s.send(buf, nonBlocking);
    }

    /** Spreads the first {@code n} bytes of {@code src} over the iovecs, in order. */
    static void scatter(GuestMemory m, IoVec[] vecs, byte[] src, int n) {
        int off = 0;
        for (IoVec v : vecs) {
            if (off >= n) {
                break;
            }
            int take = Math.min(v.len(), n - off);
            m.write(v.ptr(), src, off, take);
            off += take;
        }
    }
}

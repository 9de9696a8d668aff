package io.wasix.host.syscalls;

import io.wasix.host.abi.GuestMemory;
import io.wasix.host.abi.GuestMemory.IoVec;
import io.wasix.host.net.GuestSocket;
import io.wasix.host.net.GuestUdpSocket;
import java.net.InetSocketAddress;

/**
 * Moves bytes between guest iovecs and a socket; shared by sock_recv/sock_send (and, for UDP, sock_recv_from and
 * sock_send_to) and fd_read/fd_write, which are the same operation on a socket. Runs on the calling guest thread.
 */
final class Streams {
    private Streams() {}

    static int recvInto(GuestState state, GuestMemory m, GuestSocket s, IoVec[] vecs, boolean nonBlocking,
            boolean peek, boolean waitAll) {
        // Straight from the received buffers into the guest's iovecs, as the bytes arrive: no host buffer
        // sized by the guest's request, even for a WAITALL of gigabytes.
        IovecCursor cursor = state.iovecCursor().reset(m, vecs);
        try {
            return cursor.total() == 0 ? 0 : s.recv(cursor, nonBlocking, peek, waitAll);
        } finally {
            cursor.clear();
        }
    }

    static int sendFrom(GuestState state, GuestMemory m, GuestSocket s, IoVec[] vecs, boolean nonBlocking) {
        // The socket takes from the iovecs only what its channel has room for (see GuestSocket#send).
        IovecCursor cursor = state.iovecCursor().reset(m, vecs);
        try {
            return s.send(cursor, nonBlocking);
        } finally {
            cursor.clear();
        }
    }

    /** One datagram into the iovecs (what does not fit is lost, and said so); see {@link GuestUdpSocket#receive}. */
    static GuestUdpSocket.Received receiveDatagram(GuestState state, GuestMemory m, GuestUdpSocket s, IoVec[] vecs,
            boolean nonBlocking, boolean peek) {
        IovecCursor cursor = state.iovecCursor().reset(m, vecs);
        try {
            return s.receive(cursor, nonBlocking, peek);
        } finally {
            cursor.clear();
        }
    }

    /** The iovecs as one datagram, to {@code to} or (null) the connected peer; see {@link GuestUdpSocket#send}. */
    static int sendDatagram(GuestState state, GuestMemory m, GuestUdpSocket s, IoVec[] vecs, InetSocketAddress to,
            boolean nonBlocking) {
        IovecCursor cursor = state.iovecCursor().reset(m, vecs);
        try {
            return s.send(cursor, to, nonBlocking);
        } finally {
            cursor.clear();
        }
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

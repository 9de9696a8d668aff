package io.wasix.host.syscalls;

import static io.wasix.host.syscalls.HostFunctions.i32s;

import io.wasix.host.abi.Errno;
import io.wasix.host.abi.GuestMemory;
import io.wasix.host.abi.SockAddr;
import io.wasix.host.fd.FdTable;
import io.wasix.host.net.GuestSocket;
import io.wasix.host.net.GuestUdpSocket;
import io.wasix.host.net.Membership;

/**
 * The WASIX calls of datagram sockets: sock_send_to, sock_recv_from and the multicast group calls. (sock_send
 * and sock_recv on a UDP socket are {@link SocketCalls}'.) Argument order as wasix-libc's sendto/recvfrom and
 * wasmer read them. Runs on the guest thread; in threaded mode, on any guest thread under the shard lock.
 */
final class DatagramCalls {
    private final GuestState state;

    DatagramCalls(GuestState state) {
        this.state = state;
    }

    void register(HostFunctions r) {
        // (fd, ciovs, ciovs_len, siflags, addr*, ret_nsent*)
        r.wasix("sock_send_to", i32s(6), (m, a) -> sendTo(m, (int) a[0], (int) a[1], (int) a[2], (int) a[3], (int) a[4], (int) a[5]));
        // (fd, iovs, iovs_len, riflags, ret_nread*, ret_roflags* u16, ret_addr*)
        r.wasix("sock_recv_from", i32s(7), (m, a) -> recvFrom(m, (int) a[0], (int) a[1], (int) a[2], (int) a[3], (int) a[4], (int) a[5], (int) a[6]));
        // (fd, multiaddr* ip4, iface* ip4) and (fd, multiaddr* ip6, iface index u32)
        r.wasix("sock_join_multicast_v4", i32s(3), (m, a) -> membershipV4(m, true, (int) a[0], (int) a[1], (int) a[2]));
        r.wasix("sock_leave_multicast_v4", i32s(3), (m, a) -> membershipV4(m, false, (int) a[0], (int) a[1], (int) a[2]));
        r.wasix("sock_join_multicast_v6", i32s(3), (m, a) -> membershipV6(m, true, (int) a[0], (int) a[1], (int) a[2]));
        r.wasix("sock_leave_multicast_v6", i32s(3), (m, a) -> membershipV6(m, false, (int) a[0], (int) a[1], (int) a[2]));
    }

    /**
     * As sendto(2): on a UDP socket, one datagram to {@code addr}; on a TCP socket the address is ignored and it is
     * a send, as Linux does on a connected stream socket (the address is still read: EFAULT if it cannot be).
     */
    private int sendTo(GuestMemory m, int fd, int iovs, int iovsLen, int siflags, int addr, int retN) {
        m.check(retN, 4);
        var vecs = m.iovecs(iovs, iovsLen);
        FdTable.Entry e = state.fds.entry(fd);
        boolean nonBlocking = e.nonBlocking() || (siflags & SocketCalls.SI_DONT_WAIT) != 0;
        int n = switch (SocketCalls.asSocket(e.descriptor())) {
            case GuestSocket s -> {
                m.check(addr, SockAddr.SIZE);
                yield Streams.sendFrom(state, m, s, vecs, nonBlocking);
            }
            case GuestUdpSocket u -> Streams.sendDatagram(state, m, u, vecs,
                    SocketCalls.addressFor(u, m, addr, true), nonBlocking);
        };
        m.writeI32(retN, n);
        return 0;
    }

    /**
     * As recvfrom(2): on a UDP socket, one datagram and its sender (written big-endian, as every address the host
     * writes); on a TCP socket a receive, with an Unspec address, as Linux leaves a stream socket's address empty.
     */
    private int recvFrom(GuestMemory m, int fd, int iovs, int iovsLen, int riflags, int retN, int retFlags, int retAddr) {
        m.check(retN, 4);
        m.check(retFlags, 2);
        m.check(retAddr, SockAddr.SIZE);
        var vecs = m.iovecs(iovs, iovsLen);
        FdTable.Entry e = state.fds.entry(fd);
        boolean nonBlocking = e.nonBlocking() || (riflags & SocketCalls.RI_DONT_WAIT) != 0;
        boolean peek = (riflags & SocketCalls.RI_PEEK) != 0;
        switch (SocketCalls.asSocket(e.descriptor())) {
            case GuestSocket s -> {
                int n = Streams.recvInto(state, m, s, vecs, nonBlocking, peek, (riflags & SocketCalls.RI_WAITALL) != 0);
                m.writeI32(retN, n);
                m.writeU16(retFlags, 0);
                SockAddr.write(m, retAddr, null);
            }
            case GuestUdpSocket u -> {
                GuestUdpSocket.Received got = Streams.receiveDatagram(state, m, u, vecs, nonBlocking, peek);
                writeReceived(m, retN, retFlags, riflags, got);
                SockAddr.write(m, retAddr, got.sender());
            }
        }
        return 0;
    }

    /**
     * A datagram receive's answer: the bytes copied, or with DATA_TRUNCATED among the riflags (MSG_TRUNC) the
     * datagram's real length, as Linux returns it; roflags DATA_TRUNCATED when it did not fit.
     */
    static void writeReceived(GuestMemory m, int retN, int retFlags, int riflags, GuestUdpSocket.Received got) {
        m.writeI32(retN, (riflags & SocketCalls.RI_DATA_TRUNCATED) != 0 ? got.length() : got.copied());
        m.writeU16(retFlags, got.truncated() ? SocketCalls.RO_DATA_TRUNCATED : 0);
    }

    private int membershipV4(GuestMemory m, boolean join, int fd, int group, int iface) {
        var g = SockAddr.readIp4(m, group);
        var i = SockAddr.readIp4(m, iface);
        datagram(fd).membership(join, new Membership(g, i, 0));
        return 0;
    }

    private int membershipV6(GuestMemory m, boolean join, int fd, int group, int ifaceIndex) {
        var g = SockAddr.readIp6(m, group);
        datagram(fd).membership(join, new Membership(g, null, ifaceIndex));
        return 0;
    }

    /** A UDP socket, for the multicast calls: EPROTO for a TCP one, as Linux answers IP_ADD_MEMBERSHIP there. */
    private GuestUdpSocket datagram(int fd) {
        return switch (SocketCalls.asSocket(state.fds.get(fd))) {
            case GuestUdpSocket u -> u;
            case GuestSocket s -> throw Errno.PROTO.fail();
        };
    }
}

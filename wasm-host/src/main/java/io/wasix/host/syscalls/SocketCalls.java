package io.wasix.host.syscalls;

import static com.dylibso.chicory.wasm.types.ValType.I32;
import static com.dylibso.chicory.wasm.types.ValType.I64;
import static io.wasix.host.syscalls.HostFunctions.i32s;

import io.netty.buffer.ByteBuf;
import io.wasix.host.abi.Errno;
import io.wasix.host.abi.GuestMemory;
import io.wasix.host.abi.SockAddr;
import io.wasix.host.fd.Descriptor;
import io.wasix.host.fd.FdTable;
import io.wasix.host.net.GuestSocket;
import io.wasix.host.net.GuestUdpSocket;
import io.wasix.host.net.NetSocket;
import java.util.List;

/**
 * The WASIX socket calls (sock_*) both kinds of socket take. Each decodes its arguments, checks its fd is a
 * socket, and hands the work to {@link GuestSocket} (TCP) or {@link GuestUdpSocket}; the datagram-only calls are
 * {@link DatagramCalls}. Runs on the guest thread; in threaded mode, on any guest thread under the shard lock.
 */
final class SocketCalls {
    // WASIX address families, socket types and protocols
    private static final int AF_INET4 = 1, AF_INET6 = 2;
    private static final int SOCK_STREAM = 1, SOCK_DGRAM = 2;
    private static final int PROTO_DEFAULT = 0, PROTO_TCP = 6, PROTO_UDP = 17;
    // riflags, roflags, siflags
    static final int RI_PEEK = 1, RI_WAITALL = 2, RI_DATA_TRUNCATED = 4, RI_DONT_WAIT = 8, SI_DONT_WAIT = 1;
    static final int RO_DATA_TRUNCATED = 1;

    private final GuestState state;

    SocketCalls(GuestState state) {
        this.state = state;
    }

    void register(HostFunctions r) {
        r.wasix("sock_open", i32s(4), (m, a) -> open(m, (int) a[0], (int) a[1], (int) a[2], (int) a[3]));
        r.wasix("sock_bind", i32s(2), (m, a) -> {
            NetSocket s = socket((int) a[0]);
            s.bind(addressFor(s, m, (int) a[1], false));
            return 0;
        });
        r.wasix("sock_listen", i32s(2), (m, a) -> {
            if ((int) a[1] < 0) {
                throw Errno.INVAL.fail();
            }
            stream(socket((int) a[0])).listen();
            return 0;
        });
        r.wasix("sock_accept_v2", i32s(4), (m, a) -> accept(m, (int) a[0], (int) a[1], (int) a[2], (int) a[3]));
        r.wasix("sock_accept", i32s(4), (m, a) -> accept(m, (int) a[0], (int) a[1], (int) a[2], (int) a[3]));
        r.add(HostFunctions.PREVIEW1, "sock_accept", i32s(3), (m, a) -> accept(m, (int) a[0], (int) a[1], (int) a[2], 0));
        r.wasix("sock_connect", i32s(2), (m, a) -> {
            FdTable.Entry e = state.fds.entry((int) a[0]);
            // No pattern switch over the socket's kind here and in recv/send: see udp().
            NetSocket socket = asSocket(e.descriptor());
            GuestUdpSocket u = udp(socket);
            if (u == null) {
                GuestSocket s = (GuestSocket) socket;
                s.connect(addressFor(s, m, (int) a[1], false), e.nonBlocking());
            } else {
                m.check((int) a[1], SockAddr.SIZE);
                if (m.readU8((int) a[1]) == SockAddr.UNSPEC) {
                    u.disconnect(); // connect(2) with AF_UNSPEC dissolves a datagram socket's association
                } else {
                    u.connect(addressFor(u, m, (int) a[1], true));
                }
            }
            return 0;
        });
        r.preview1("sock_recv", i32s(6), (m, a) -> recv(m, (int) a[0], (int) a[1], (int) a[2], (int) a[3], (int) a[4], (int) a[5]));
        r.preview1("sock_send", i32s(5), (m, a) -> send(m, (int) a[0], (int) a[1], (int) a[2], (int) a[3], (int) a[4]));
        r.preview1("sock_shutdown", i32s(2), (m, a) -> {
            socket((int) a[0]).shutdown((int) a[1]);
            return 0;
        });
        r.wasix("sock_status", i32s(2), (m, a) -> {
            m.check((int) a[1], 1);
            m.writeU8((int) a[1], socket((int) a[0]).status());
            return 0;
        });
        r.wasix("sock_addr_local", i32s(2), (m, a) -> {
            m.check((int) a[1], SockAddr.SIZE);
            SockAddr.write(m, (int) a[1], socket((int) a[0]).localAddress());
            return 0;
        });
        r.wasix("sock_addr_peer", i32s(2), (m, a) -> {
            m.check((int) a[1], SockAddr.SIZE);
            SockAddr.write(m, (int) a[1], socket((int) a[0]).peerAddress());
            return 0;
        });
        r.wasix("sock_set_opt_flag", i32s(3), (m, a) -> {
            NetSocket s = socket((int) a[0]);
            int flag = (int) a[2];
            if (flag != 0 && flag != 1) {
                throw Errno.INVAL.fail();
            }
            s.options().setFlag(s, (int) a[1], flag == 1);
            return 0;
        });
        r.wasix("sock_get_opt_flag", i32s(3), (m, a) -> {
            m.check((int) a[2], 1);
            NetSocket s = socket((int) a[0]);
            m.writeU8((int) a[2], s.options().getFlag(s, (int) a[1]) ? 1 : 0);
            return 0;
        });
        r.wasix("sock_set_opt_size", List.of(I32, I32, I64), (m, a) -> {
            NetSocket s = socket((int) a[0]);
            s.options().setSize(s, (int) a[1], a[2]);
            return 0;
        });
        r.wasix("sock_get_opt_size", i32s(3), (m, a) -> {
            m.check((int) a[2], 8);
            NetSocket s = socket((int) a[0]);
            m.writeI64((int) a[2], s.options().getSize(s, (int) a[1]));
            return 0;
        });
        r.wasix("sock_set_opt_time", i32s(3), (m, a) -> {
            NetSocket s = socket((int) a[0]);
            int ts = (int) a[2];
            m.check(ts, 16); // the whole opt_ts, even when its tag says None and the rest is not read
            int tag = m.readU8(ts);
            long nanos = switch (tag) {
                case 0 -> -1;
                case 1 -> m.readI64(ts + 8);
                default -> throw Errno.INVAL.fail();
            };
            if (tag == 1 && nanos < 0) {
                throw Errno.INVAL.fail(); // u64 beyond what a deadline can hold
            }
            s.options().setTime(s, (int) a[1], nanos);
            return 0;
        });
        r.wasix("sock_get_opt_time", i32s(3), (m, a) -> {
            int ts = (int) a[2];
            m.check(ts, 16);
            long nanos = socket((int) a[0]).options().getTime((int) a[1]);
            m.fill(ts, 16, (byte) 0);
            if (nanos >= 0) {
                m.writeU8(ts, 1);
                m.writeI64(ts + 8, nanos);
            }
            return 0;
        });
    }

    private int open(GuestMemory m, int af, int type, int proto, int retFd) {
        m.check(retFd, 4);
        if (af != AF_INET4 && af != AF_INET6) {
            throw Errno.AFNOSUPPORT.fail();
        }
        boolean protoOk = switch (proto) {
            case PROTO_DEFAULT -> true;
            case PROTO_TCP -> type == SOCK_STREAM;
            case PROTO_UDP -> type == SOCK_DGRAM;
            default -> false;
        };
        if (!protoOk) {
            throw Errno.NOTSUP.fail();
        }
        NetSocket s = switch (type) {
            case SOCK_STREAM -> new GuestSocket(state.net, af == AF_INET6);
            // The channel is made now, as socket(2) makes the socket: EMFILE shows here, as on Linux.
            case SOCK_DGRAM -> new GuestUdpSocket(state.net, af == AF_INET6);
            default -> throw Errno.NOTSUP.fail(); // raw and seqpacket sockets are not served: say so rather than pretend
        };
        int fd;
        try {
            fd = state.fds.add(s, 0);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        m.writeI32(retFd, fd);
        return 0;
    }

    private int accept(GuestMemory m, int fd, int fdflags, int retFd, int retAddr) {
        m.check(retFd, 4);
        if (retAddr != 0) {
            m.check(retAddr, SockAddr.SIZE);
        }
        FdTable.Entry e = state.fds.entry(fd);
        GuestSocket listener = stream(asSocket(e.descriptor()));
        GuestSocket conn = listener.accept(e.nonBlocking(), retAddr != 0);
        // As in wasmer, a non-blocking listener hands out non-blocking connections whatever fdflags says
        // (Linux's accept4 would not): guests written against wasmer read such sockets until EAGAIN.
        int flags = (fdflags & FdTable.FDFLAG_NONBLOCK) | (e.nonBlocking() ? FdTable.FDFLAG_NONBLOCK : 0);
        int newFd;
        try {
            newFd = state.fds.add(conn, flags);
        } catch (RuntimeException ex) {
            conn.close();
            throw ex;
        }
        m.writeI32(retFd, newFd);
        if (retAddr != 0) {
            SockAddr.write(m, retAddr, conn.acceptedPeer());
        }
        return 0;
    }

    private int recv(GuestMemory m, int fd, int iovs, int iovsLen, int riflags, int retN, int retFlags) {
        m.check(retN, 4);
        m.check(retFlags, 2);
        var vecs = m.iovecs(iovs, iovsLen);
        FdTable.Entry e = state.fds.entry(fd);
        boolean nonBlocking = e.nonBlocking() || (riflags & RI_DONT_WAIT) != 0;
        NetSocket socket = asSocket(e.descriptor());
        GuestUdpSocket u = udp(socket);
        if (u == null) {
            int n = Streams.recvInto(state, m, (GuestSocket) socket, vecs, nonBlocking, (riflags & RI_PEEK) != 0,
                    (riflags & RI_WAITALL) != 0);
            m.writeI32(retN, n);
            m.writeU16(retFlags, 0);
        } else {
            DatagramCalls.writeReceived(m, retN, retFlags, riflags,
                    Streams.receiveDatagram(state, m, u, vecs, nonBlocking, (riflags & RI_PEEK) != 0));
        }
        return 0;
    }

    private int send(GuestMemory m, int fd, int iovs, int iovsLen, int siflags, int retN) {
        m.check(retN, 4);
        var vecs = m.iovecs(iovs, iovsLen);
        FdTable.Entry e = state.fds.entry(fd);
        boolean nonBlocking = e.nonBlocking() || (siflags & SI_DONT_WAIT) != 0;
        NetSocket socket = asSocket(e.descriptor());
        GuestUdpSocket u = udp(socket);
        int n = u == null ? Streams.sendFrom(state, m, (GuestSocket) socket, vecs, nonBlocking)
                : Streams.sendDatagram(state, m, u, vecs, null, nonBlocking);
        m.writeI32(retN, n);
        return 0;
    }

    /**
     * The address a bind or connect names, which must be of the socket's family, as Linux requires: an AF_INET
     * socket given an IPv6 address is EAFNOSUPPORT (inet_bind, tcp_v4_connect), and so is an AF_INET6 socket
     * given an IPv4 one (inet6_bind, tcp_v6_connect: for TCP only a v4-mapped IPv6 address reaches IPv4, an
     * AF_INET sockaddr never does). Linux answers EINVAL first when the length is a sockaddr_in's 16 bytes,
     * below SIN6_LEN_RFC2133; a WASIX address has no length, and libc has already checked the caller's. The
     * family is the tag the guest wrote, not the InetAddress Java makes of it (a v4-mapped IPv6 address comes
     * out as an Inet4Address).
     *
     * <p>A UDP socket's peer ({@code peer}: sock_connect, sock_send_to) is the exception Linux makes: an AF_INET6
     * datagram socket takes an AF_INET address there and reaches it as v4-mapped (udpv6_sendmsg,
     * ip6_datagram_connect); its bind still wants AF_INET6.
     */
    static java.net.InetSocketAddress addressFor(NetSocket s, GuestMemory m, int ptr, boolean peer) {
        java.net.InetSocketAddress address = SockAddr.read(m, ptr); // EFAULT for the whole struct first
        boolean v6 = m.readU8(ptr) == SockAddr.INET6;
        boolean v4ToDualStack = peer && !v6 && s.ipv6() && s instanceof GuestUdpSocket;
        if (v6 != s.ipv6() && !v4ToDualStack) {
            throw Errno.AFNOSUPPORT.fail();
        }
        return address;
    }

    private NetSocket socket(int fd) {
        return asSocket(state.fds.get(fd));
    }

    /**
     * The socket as a UDP one, or null for a TCP one ({@link NetSocket} permits no other). connect, recv and send
     * ask this rather than switch over the sealed type: each pattern switch's call site is linked at its first
     * run by spinning a class (SwitchBootstraps.typeSwitch, which the AOT cache does not keep), and recv and
     * send's were ~10 ms of the boot's first response (-Xlog:class+load, boot report).
     */
    private static GuestUdpSocket udp(NetSocket s) {
        return s instanceof GuestUdpSocket u ? u : null;
    }

    static NetSocket asSocket(Descriptor d) {
        if (d instanceof NetSocket s) {
            return s;
        }
        throw Errno.NOTSOCK.fail();
    }

    /** A TCP socket, for the calls only it takes (listen, accept): EOPNOTSUPP for a UDP one, as Linux answers. */
    private static GuestSocket stream(NetSocket s) {
        if (s instanceof GuestSocket t) {
            return t;
        }
        throw Errno.NOTSUP.fail();
    }
}

package io.wasix.host.net;

import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.channel.unix.RawUnixChannelOption;
import io.wasix.host.abi.Errno;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketOption;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The kernel-level options of a UDP channel that Netty has no portable name for: SO_BROADCAST, IP_TTL, the
 * multicast TTL and loop options, and group memberships. On io_uring and epoll each goes to setsockopt by its
 * Linux level and name, so the kernel validates the value and answers with its own errno, exactly as for a
 * native program. NIO can reach only what the JDK names (StandardSocketOptions, DatagramChannel.join), and
 * answers ENOTSUP for the rest (IP_TTL). Option ids are WASIX Sockoption values. Stateless.
 *
 * <p>(Netty's own ChannelOption.IP_MULTICAST_TTL is no substitute: its native transports map it to IP_TTL.)
 */
final class DatagramOptions {
    // Linux's levels and option names (asm-generic/socket.h, uapi/linux/in.h, uapi/linux/in6.h)
    private static final int SOL_SOCKET = 1, SO_BROADCAST = 6;
    private static final int IPPROTO_IP = 0, IP_TTL = 2, IP_MULTICAST_TTL = 33, IP_MULTICAST_LOOP = 34,
            IP_ADD_MEMBERSHIP = 35, IP_DROP_MEMBERSHIP = 36;
    private static final int IPPROTO_IPV6 = 41, IPV6_MULTICAST_LOOP = 19, IPV6_ADD_MEMBERSHIP = 20,
            IPV6_DROP_MEMBERSHIP = 21;

    private DatagramOptions() {}

    /** setsockopt of a flag (0/1) or a TTL, on a channel of the given family. */
    static void set(DatagramChannel ch, Transport t, boolean ipv6, int opt, int value) {
        try {
            if (t.rawSocketOptions()) {
                ch.config().setOption(raw(opt), value);
                return;
            }
            switch (opt) {
                case SocketOptions.MULTICAST_TTL_V4 -> setNio(ch, StandardSocketOptions.IP_MULTICAST_TTL, value);
                case SocketOptions.TTL -> throw Errno.NOTSUP.fail(); // the JDK has no unicast TTL option
                default -> setNio(ch, nioFlag(opt, ipv6, true), value != 0);
            }
        } catch (ChannelException | IllegalArgumentException e) {
            throw NetErrors.errno(e).fail();
        }
    }

    /** getsockopt of a flag (0/1) or a TTL. */
    static int get(DatagramChannel ch, Transport t, boolean ipv6, int opt) {
        try {
            if (t.rawSocketOptions()) {
                return ch.config().getOption(raw(opt));
            }
            return switch (opt) {
                case SocketOptions.MULTICAST_TTL_V4 -> ch.config().getOption(NioChannelOption.of(StandardSocketOptions.IP_MULTICAST_TTL));
                case SocketOptions.TTL -> throw Errno.NOTSUP.fail();
                default -> ch.config().getOption(NioChannelOption.of(nioFlag(opt, ipv6, false))) ? 1 : 0;
            };
        } catch (ChannelException | IllegalArgumentException e) {
            throw NetErrors.errno(e).fail();
        }
    }

    private static IntegerUnixChannelOption raw(int opt) {
        return switch (opt) {
            case SocketOptions.BROADCAST -> new IntegerUnixChannelOption("SO_BROADCAST", SOL_SOCKET, SO_BROADCAST);
            case SocketOptions.TTL -> new IntegerUnixChannelOption("IP_TTL", IPPROTO_IP, IP_TTL);
            case SocketOptions.MULTICAST_TTL_V4 -> new IntegerUnixChannelOption("IP_MULTICAST_TTL", IPPROTO_IP, IP_MULTICAST_TTL);
            case SocketOptions.MCAST_LOOP_V4 -> new IntegerUnixChannelOption("IP_MULTICAST_LOOP", IPPROTO_IP, IP_MULTICAST_LOOP);
            case SocketOptions.MCAST_LOOP_V6 -> new IntegerUnixChannelOption("IPV6_MULTICAST_LOOP", IPPROTO_IPV6, IPV6_MULTICAST_LOOP);
            default -> throw new IllegalArgumentException("not a datagram option: " + opt);
        };
    }

    private static SocketOption<Boolean> nioFlag(int opt, boolean ipv6, boolean set) {
        return switch (opt) {
            case SocketOptions.BROADCAST -> StandardSocketOptions.SO_BROADCAST;
            // The JDK's one loop option is IPV6_MULTICAST_LOOP on an IPv6 channel, IP_MULTICAST_LOOP on an IPv4 one.
            case SocketOptions.MCAST_LOOP_V4 -> StandardSocketOptions.IP_MULTICAST_LOOP;
            case SocketOptions.MCAST_LOOP_V6 -> {
                if (!ipv6) { // Linux's answers to an IPV6_ option on an AF_INET socket (ip_setsockopt, ip_getsockopt)
                    throw (set ? Errno.NOPROTOOPT : Errno.NOTSUP).fail();
                }
                yield StandardSocketOptions.IP_MULTICAST_LOOP;
            }
            default -> throw new IllegalArgumentException("not a datagram flag: " + opt);
        };
    }

    private static <T> void setNio(DatagramChannel ch, SocketOption<T> option, T value) {
        ch.config().setOption(NioChannelOption.of(option), value);
    }

    // ---------------------------------------------------------------- multicast groups

    /** IP_ADD_MEMBERSHIP / IPV6_ADD_MEMBERSHIP, or the DROP ones when {@code join} is false. */
    static void membership(DatagramChannel ch, Transport t, boolean join, Membership m) {
        try {
            if (t.rawSocketOptions()) {
                ch.config().setOption(rawMembership(join, m), membershipRequest(m));
                return;
            }
            NetworkInterface nif = nioInterface(m);
            ChannelFuture done = join ? ch.joinGroup(m.group(), nif, null) : ch.leaveGroup(m.group(), nif, null);
            if (!done.isSuccess()) { // NIO joins and leaves at once, so the future is complete
                throw NetErrors.errno(done.cause()).fail();
            }
        } catch (ChannelException | IllegalArgumentException e) {
            throw NetErrors.errno(e).fail();
        }
    }

    private static RawUnixChannelOption rawMembership(boolean join, Membership m) {
        if (m.v6()) {
            return new RawUnixChannelOption(join ? "IPV6_ADD_MEMBERSHIP" : "IPV6_DROP_MEMBERSHIP", IPPROTO_IPV6,
                    join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP, 20);
        }
        return new RawUnixChannelOption(join ? "IP_ADD_MEMBERSHIP" : "IP_DROP_MEMBERSHIP", IPPROTO_IP,
                join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, 8);
    }

    /** struct ip_mreq {group, interface} or struct ipv6_mreq {group, ifindex (host order)}. */
    private static ByteBuffer membershipRequest(Membership m) {
        if (m.v6()) {
            return ByteBuffer.allocate(20).order(ByteOrder.nativeOrder())
                    .put(m.group().getAddress()).putInt(m.interfaceIndex()).flip();
        }
        return ByteBuffer.allocate(8).put(m.group().getAddress()).put(m.interfaceV4().getAddress()).flip();
    }

    /**
     * The interface a membership names, for the JDK, which wants one where Linux also takes "any" (the
     * interface the group is routed through): that one is found as Linux finds it, by connecting a throwaway
     * datagram socket to the group and asking which local address the route gave it.
     */
    private static NetworkInterface nioInterface(Membership m) {
        try {
            NetworkInterface nif;
            if (m.v6()) {
                nif = m.interfaceIndex() == 0 ? routedInterface(m.group()) : NetworkInterface.getByIndex(m.interfaceIndex());
            } else {
                nif = m.interfaceV4().isAnyLocalAddress() ? routedInterface(m.group())
                        : NetworkInterface.getByInetAddress(m.interfaceV4());
            }
            if (nif == null) {
                throw Errno.NODEV.fail();
            }
            return nif;
        } catch (IOException e) {
            throw NetErrors.errno(e).fail();
        }
    }

    private static NetworkInterface routedInterface(InetAddress group) throws IOException {
        var family = group instanceof Inet4Address ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6;
        try (var probe = java.nio.channels.DatagramChannel.open(family)) {
            probe.connect(new InetSocketAddress(group, 9)); // no datagram is sent: connect only picks the route
            return NetworkInterface.getByInetAddress(((InetSocketAddress) probe.getLocalAddress()).getAddress());
        } catch (java.net.SocketException unroutable) {
            throw Errno.NODEV.fail();
        }
    }
}

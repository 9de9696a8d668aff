package io.wasix.host;

import static io.wasix.host.ShimGuest.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wasix.host.abi.Errno;
import io.wasix.host.net.Transport;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;

/**
 * sock_bind and sock_connect check the address's family against the socket's, answering as Linux does (checked
 * with native sockets on Linux 6.18: an AF_INET socket given an AF_INET6 address, v4-mapped or not, and an
 * AF_INET6 socket given an AF_INET address, of sockaddr_in6 length, are EAFNOSUPPORT for bind and connect;
 * an AF_INET6 socket given a v4-mapped address binds and connects over IPv4). On every transport.
 */
class SocketAddressFamilyTest {

    private static final int AF_INET6 = 2, INET6_TAG = 2;
    private static final byte[] V6_LOOPBACK = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    private static final byte[] V4_MAPPED_LOOPBACK = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 127, 0, 0, 1};

    private static void addr6In(ShimGuest g, byte[] ip, int port) {
        g.zero(ADDR_IN, 20);
        g.putU8(ADDR_IN, INET6_TAG);
        g.putU8(ADDR_IN + 2, port & 0xff);
        g.putU8(ADDR_IN + 3, port >>> 8);
        g.put(ADDR_IN + 4, ip);
    }

    private static int open6(ShimGuest g) {
        g.ok("sock_open", AF_INET6, SOCK_STREAM, 0, RET);
        return g.i32(RET);
    }

    @TransportTest
    void anIpv4SocketRefusesIpv6AddressesInBind(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int fd = g.openStream();
            addr6In(g, V6_LOOPBACK, 0);
            g.expect(Errno.AFNOSUPPORT, "sock_bind", fd, ADDR_IN);
            addr6In(g, V4_MAPPED_LOOPBACK, 0);
            g.expect(Errno.AFNOSUPPORT, "sock_bind", fd, ADDR_IN);
            addr6In(g, new byte[16], 0);
            g.expect(Errno.AFNOSUPPORT, "sock_bind", fd, ADDR_IN);
            // the refusals left it unbound: an IPv4 address still binds
            g.addrIn(ADDR_IN, 0);
            g.ok("sock_bind", fd, ADDR_IN);
            g.close(fd);
        }
    }

    @TransportTest
    void anIpv4SocketRefusesIpv6AddressesInConnect(Transport t) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress()); ShimGuest g = ShimGuest.open(t)) {
            int fd = g.openStream();
            addr6In(g, V6_LOOPBACK, server.getLocalPort());
            g.expect(Errno.AFNOSUPPORT, "sock_connect", fd, ADDR_IN);
            addr6In(g, V4_MAPPED_LOOPBACK, server.getLocalPort());
            g.expect(Errno.AFNOSUPPORT, "sock_connect", fd, ADDR_IN);
            g.ok("sock_status", fd, RET);
            assertEquals(0, g.u8(RET), "the refused connect left the socket fresh");
            g.addrIn(ADDR_IN, server.getLocalPort());
            g.ok("sock_connect", fd, ADDR_IN);
            g.close(fd);
        }
    }

    @TransportTest
    void anIpv6SocketRefusesIpv4AddressesInBindAndConnect(Transport t) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress()); ShimGuest g = ShimGuest.open(t)) {
            int fd = open6(g);
            g.addrIn(ADDR_IN, 0);
            g.expect(Errno.AFNOSUPPORT, "sock_bind", fd, ADDR_IN);
            g.addrIn(ADDR_IN, server.getLocalPort());
            g.expect(Errno.AFNOSUPPORT, "sock_connect", fd, ADDR_IN);
            g.ok("sock_status", fd, RET);
            assertEquals(0, g.u8(RET), "the refusals left the socket fresh");
            g.close(fd);
        }
    }

    @TransportTest
    void anIpv6SocketReachesIpv4ThroughAV4MappedAddress(Transport t) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress()); ShimGuest g = ShimGuest.open(t)) {
            server.setSoTimeout(PEER_TIMEOUT_MS);
            CompletableFuture<Integer> accepted = async(() -> {
                try (Socket s = server.accept()) {
                    return s.getInputStream().read();
                }
            });
            int fd = open6(g);
            addr6In(g, V4_MAPPED_LOOPBACK, server.getLocalPort());
            g.ok("sock_connect", fd, ADDR_IN);
            assertEquals(1, g.send(fd, new byte[] {42}));
            assertEquals(42, g.pumpUntil(accepted), "the byte reached the IPv4 server");
            g.close(fd);

            int lfd = open6(g);
            addr6In(g, V4_MAPPED_LOOPBACK, 0);
            g.ok("sock_bind", lfd, ADDR_IN);
            g.close(lfd);
        }
    }
}

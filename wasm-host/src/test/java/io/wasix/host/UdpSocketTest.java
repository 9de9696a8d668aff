package io.wasix.host;

import static io.wasix.host.ShimGuest.*;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.wasix.host.abi.Errno;
import io.wasix.host.net.Transport;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * UDP sockets through the shim, each call checked against what Linux's UDP answers, on every transport, with
 * java.net.DatagramSocket peers on 127.0.0.1 and ::1.
 */
class UdpSocketTest {
    static final int AF_INET6 = 2, SOCK_DGRAM = 2;
    static final int RI_PEEK = 1, RI_DATA_TRUNCATED = 4, RI_DONT_WAIT = 8, SI_DONT_WAIT = 1, RO_DATA_TRUNCATED = 1;
    static final int OPT_BROADCAST = 6, OPT_MCAST_LOOP_V4 = 7, OPT_MCAST_LOOP_V6 = 8, OPT_TTL = 23, OPT_MULTICAST_TTL_V4 = 24;
    static final InetAddress V4 = InetAddress.getLoopbackAddress();
    static final int N = RET, FLAGS = RET + 4;

    // ------------------------------------------------------------------ helpers

    static int open(ShimGuest g, boolean v6) {
        g.ok("sock_open", v6 ? AF_INET6 : AF_INET4, SOCK_DGRAM, 0, RET);
        return g.i32(RET);
    }

    /** A UDP socket bound to 127.0.0.1 (or ::1) and a kernel-chosen port; returns its fd. */
    static int bound(ShimGuest g, boolean v6) {
        int fd = open(g, v6);
        addrIn(g, ADDR_IN, v6 ? v6Loopback() : V4, 0);
        g.ok("sock_bind", fd, ADDR_IN);
        return fd;
    }

    static InetAddress v6Loopback() {
        try {
            return InetAddress.getByName("::1");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** An input address (bind, connect, send_to): family tag, port little-endian, address bytes. */
    static void addrIn(ShimGuest g, int at, InetAddress ip, int port) {
        g.zero(at, 20);
        g.putU8(at, ip instanceof Inet6Address ? AF_INET6 : AF_INET4);
        g.putU8(at + 2, port & 0xff);
        g.putU8(at + 3, port >>> 8);
        g.put(at + 4, ip.getAddress());
    }

    /** An output address the host wrote: tag 1 or 2 (0: none), port big-endian. */
    static InetSocketAddress addrOut(ShimGuest g, int at) throws IOException {
        int tag = g.u8(at);
        int port = g.u8(at + 2) << 8 | g.u8(at + 3);
        return switch (tag) {
            case 0 -> null;
            case 1 -> new InetSocketAddress(InetAddress.getByAddress(g.bytes(at + 4, 4)), port);
            // Inet6Address.getByAddress keeps a v4-mapped address IPv6, as the tag says it is
            case 2 -> new InetSocketAddress(Inet6Address.getByAddress(null, g.bytes(at + 4, 16), -1), port);
            default -> throw new AssertionError("address tag " + tag);
        };
    }

    static int localPort(ShimGuest g, int fd) throws IOException {
        g.ok("sock_addr_local", fd, ADDR_OUT);
        return addrOut(g, ADDR_OUT).getPort();
    }

    /** sock_send_to of {@code data} (one iovec) to {@code to}; returns the errno (bytes sent at N). */
    static int sendTo(ShimGuest g, int fd, byte[] data, InetSocketAddress to, int siflags) {
        int parts = g.ciovecs(data);
        addrIn(g, ADDR_IN, to.getAddress(), to.getPort());
        g.putI32(N, -1);
        return g.call("sock_send_to", fd, IOVS, parts, siflags, ADDR_IN, N);
    }

    /** sock_recv_from into one buffer of {@code len} bytes at BUF; returns the errno (n at N, roflags at FLAGS). */
    static int recvFrom(ShimGuest g, int fd, int len, int riflags) {
        g.iovec(IOVS, 0, BUF, len);
        g.putI32(N, -1);
        g.putU16(FLAGS, 0xffff);
        g.zero(ADDR_OUT, 20);
        return g.call("sock_recv_from", fd, IOVS, 1, riflags, N, FLAGS, ADDR_OUT);
    }

    static void expect(Errno errno, int got, String what, Transport t) {
        assertEquals(errno.name(), Errno.of(got).name(), what + " on " + t.label());
    }

    static DatagramSocket peer(InetAddress on) throws IOException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(on, 0));
        s.setSoTimeout(PEER_TIMEOUT_MS);
        return s;
    }

    static void send(DatagramSocket from, String text, InetSocketAddress to) throws IOException {
        byte[] b = text.getBytes(US_ASCII);
        from.send(new DatagramPacket(b, b.length, to));
    }

    static String receive(DatagramSocket on) throws IOException {
        DatagramPacket p = new DatagramPacket(new byte[65536], 65536);
        on.receive(p);
        return new String(p.getData(), 0, p.getLength(), US_ASCII);
    }

    // ------------------------------------------------------------------ echo

    @TransportTest
    void echoesADatagramToAJavaPeerOverIpv4(Transport t) throws Exception {
        echo(t, false);
    }

    @TransportTest
    void echoesADatagramToAJavaPeerOverIpv6(Transport t) throws Exception {
        echo(t, true);
    }

    private static void echo(Transport t, boolean v6) throws Exception {
        InetAddress loopback = v6 ? v6Loopback() : V4;
        try (ShimGuest g = ShimGuest.open(t); DatagramSocket peer = peer(loopback)) {
            int fd = bound(g, v6);
            g.ok("sock_status", fd, RET + 8);
            assertEquals(1, g.u8(RET + 8), "a bound UDP socket is Opened");
            int port = localPort(g, fd);
            assertNotEquals(0, port, "bind to port 0 picks an ephemeral port");
            InetSocketAddress guest = new InetSocketAddress(loopback, port);

            send(peer, "ping", guest);
            g.ok("sock_recv_from", fd, iov(g, 100), 1, 0, N, FLAGS, ADDR_OUT);
            assertEquals("ping", new String(g.bytes(BUF, g.i32(N)), US_ASCII));
            assertEquals(0, g.u16(FLAGS), "roflags");
            InetSocketAddress sender = addrOut(g, ADDR_OUT);
            assertEquals(peer.getLocalSocketAddress(), sender, "the sender, port big-endian");

            expect(Errno.SUCCESS, sendTo(g, fd, "pong".getBytes(US_ASCII), sender, 0), "send_to", t);
            assertEquals(4, g.i32(N), "bytes sent");
            DatagramPacket p = new DatagramPacket(new byte[100], 100);
            peer.receive(p);
            assertEquals("pong", new String(p.getData(), 0, p.getLength(), US_ASCII));
            assertEquals(guest, p.getSocketAddress(), "sent from the guest's port");
            g.close(fd);
        }
    }

    /** An iovec at IOVS over BUF, {@code len} bytes; returns IOVS. */
    static int iov(ShimGuest g, int len) {
        g.iovec(IOVS, 0, BUF, len);
        return IOVS;
    }

    @TransportTest
    void aDualStackSocketSeesIpv4PeersAsV4MappedAndAnswersThemEitherWay(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t); DatagramSocket peer = peer(V4)) {
            int fd = open(g, true);
            addrIn(g, ADDR_IN, InetAddress.getByName("::"), 0);
            g.ok("sock_bind", fd, ADDR_IN);
            int port = localPort(g, fd);

            send(peer, "v4", new InetSocketAddress(V4, port));
            expect(Errno.SUCCESS, recvFrom(g, fd, 100, 0), "recv_from", t);
            assertEquals(2, g.u8(ADDR_OUT), "an IPv6 socket reports an IPv6 address, as Linux's recvfrom");
            byte[] mapped = g.bytes(ADDR_OUT + 4, 16);
            byte[] want = new byte[16];
            want[10] = (byte) 0xff;
            want[11] = (byte) 0xff;
            System.arraycopy(V4.getAddress(), 0, want, 12, 4);
            assertArrayEquals(want, mapped, "::ffff:127.0.0.1");
            InetSocketAddress sender = addrOut(g, ADDR_OUT);
            assertEquals(peer.getLocalPort(), sender.getPort());

            // the v4-mapped form as given back, and a plain IPv4 address (AF_INET), which udpv6_sendmsg takes too
            expect(Errno.SUCCESS, sendTo(g, fd, "mapped".getBytes(US_ASCII), sender, 0), "send_to v4-mapped", t);
            assertEquals("mapped", receive(peer));
            expect(Errno.SUCCESS, sendTo(g, fd, "plain".getBytes(US_ASCII), new InetSocketAddress(V4, peer.getLocalPort()), 0),
                    "send_to an AF_INET address", t);
            assertEquals("plain", receive(peer));
            // bind still wants the socket's own family
            int other = open(g, true);
            addrIn(g, ADDR_IN, V4, 0);
            g.expect(Errno.AFNOSUPPORT, "sock_bind", other, ADDR_IN);
            int v4only = open(g, false);
            expect(Errno.AFNOSUPPORT, sendTo(g, v4only, "x".getBytes(US_ASCII), new InetSocketAddress(v6Loopback(), 9), 0),
                    "an AF_INET socket given an IPv6 address", t);
        }
    }

    // ------------------------------------------------------------------ receiving

    @TransportTest
    void aDatagramLargerThanTheBuffersIsTruncatedAndSaidSo(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t); DatagramSocket peer = peer(V4)) {
            int fd = bound(g, false);
            InetSocketAddress guest = new InetSocketAddress(V4, localPort(g, fd));
            byte[] big = new byte[100];
            for (int i = 0; i < big.length; i++) {
                big[i] = (byte) i;
            }
            peer.send(new DatagramPacket(big, big.length, guest));
            peer.send(new DatagramPacket(big, big.length, guest));
            send(peer, "next", guest);

            // scattered over two iovecs, 6 + 4 bytes: the rest of the datagram is lost
            g.iovec(IOVS, 0, BUF, 6);
            g.iovec(IOVS, 1, BUF + 1000, 4);
            g.ok("sock_recv_from", fd, IOVS, 2, 0, N, FLAGS, ADDR_OUT);
            assertEquals(10, g.i32(N), "bytes copied");
            assertEquals(RO_DATA_TRUNCATED, g.u16(FLAGS), "roflags DATA_TRUNCATED, as MSG_TRUNC in msg_flags");
            assertArrayEquals(Arrays.copyOfRange(big, 0, 6), g.bytes(BUF, 6));
            assertArrayEquals(Arrays.copyOfRange(big, 6, 10), g.bytes(BUF + 1000, 4));

            // DATA_TRUNCATED among the riflags (MSG_TRUNC): the datagram's real length, as Linux returns it
            expect(Errno.SUCCESS, recvFrom(g, fd, 8, RI_DATA_TRUNCATED), "recv_from MSG_TRUNC", t);
            assertEquals(100, g.i32(N), "the real length");
            assertEquals(RO_DATA_TRUNCATED, g.u16(FLAGS));

            // each call takes one datagram: the next one is whole
            expect(Errno.SUCCESS, recvFrom(g, fd, 100, 0), "recv_from", t);
            assertEquals("next", new String(g.bytes(BUF, g.i32(N)), US_ASCII));
            assertEquals(0, g.u16(FLAGS));
            expect(Errno.AGAIN, recvFrom(g, fd, 100, RI_DONT_WAIT), "nothing left", t);
        }
    }

    @TransportTest
    void peekLeavesTheDatagramQueued(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t); DatagramSocket peer = peer(V4)) {
            int fd = bound(g, false);
            send(peer, "peekaboo", new InetSocketAddress(V4, localPort(g, fd)));
            expect(Errno.SUCCESS, recvFrom(g, fd, 4, RI_PEEK), "peek", t);
            assertEquals("peek", new String(g.bytes(BUF, g.i32(N)), US_ASCII));
            assertEquals(RO_DATA_TRUNCATED, g.u16(FLAGS), "a peek that does not fit is truncated too");
            assertEquals(peer.getLocalPort(), addrOut(g, ADDR_OUT).getPort());
            expect(Errno.SUCCESS, recvFrom(g, fd, 100, RI_PEEK), "peek again", t);
            assertEquals("peekaboo", new String(g.bytes(BUF, g.i32(N)), US_ASCII));
            expect(Errno.SUCCESS, recvFrom(g, fd, 100, 0), "take it", t);
            assertEquals("peekaboo", new String(g.bytes(BUF, g.i32(N)), US_ASCII));
            expect(Errno.AGAIN, recvFrom(g, fd, 100, RI_DONT_WAIT), "gone", t);
        }
    }

    @TransportTest
    void aNonBlockingReceiveAnswersEagainAndAReceiveTimeoutEndsTheWait(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t); DatagramSocket peer = peer(V4)) {
            int fd = bound(g, false);
            long t0 = System.nanoTime();
            expect(Errno.AGAIN, recvFrom(g, fd, 100, RI_DONT_WAIT), "DONT_WAIT", t);
            g.setFlags(fd, NONBLOCK);
            expect(Errno.AGAIN, recvFrom(g, fd, 100, 0), "an O_NONBLOCK fd", t);
            assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "non-blocking receives do not wait");
            send(peer, "now", new InetSocketAddress(V4, localPort(g, fd)));
            g.pump(20);
            expect(Errno.SUCCESS, recvFrom(g, fd, 100, 0), "a datagram that is there", t);
            g.setFlags(fd, 0);

            g.setTime(fd, OPT_RECV_TIMEOUT, 150_000_000L);
            t0 = System.nanoTime();
            expect(Errno.AGAIN, recvFrom(g, fd, 100, 0), "RecvTimeout", t);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 140, "waited " + ms + " ms for a 150 ms RecvTimeout");
        }
    }

    /** Blocked in a receive, the guest thread sleeps in the kernel: it does not spin. */
    @TransportTest
    void aBlockedReceiveBurnsNoCpu(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int fd = bound(g, false);
            g.setTime(fd, OPT_RECV_TIMEOUT, 500_000_000L);
            var threads = java.lang.management.ManagementFactory.getThreadMXBean();
            long cpu0 = threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            expect(Errno.AGAIN, recvFrom(g, fd, 100, 0), "a receive that times out", t);
            long cpuMs = (threads.getCurrentThreadCpuTime() - cpu0) / 1_000_000;
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 490, "waited " + ms + " ms");
            assertTrue(cpuMs < 100, "the guest thread used " + cpuMs + " ms of CPU in a " + ms + " ms wait on " + t.label());
        }
    }

    /**
     * A graceful stop (SIGTERM) ends a guest waiting for its next datagram at once, as it ends one waiting for its
     * next connection: a UDP socket's next datagram is new work, and it holds no connection the stop should wait for.
     */
    @TransportTest
    void aGracefulStopEndsAWaitForTheNextDatagram(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t); DatagramSocket peer = peer(V4)) {
            int fd = bound(g, false);
            send(peer, "queued", new InetSocketAddress(V4, localPort(g, fd)));
            g.pump(20);
            var stopper = async(() -> {
                Thread.sleep(100);
                g.host.stopGracefully(java.util.concurrent.TimeUnit.SECONDS.toNanos(5));
                return null;
            });
            expect(Errno.SUCCESS, recvFrom(g, fd, 100, 0), "a datagram already queued is still served", t);
            long t0 = System.nanoTime();
            org.junit.jupiter.api.Assertions.assertThrows(GuestStoppedException.class, () -> recvFrom(g, fd, 100, 0));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 2000, "the wait ended " + ms + " ms after it began, not after the 5 s grace");
            stopper.join();
        }
    }

    @TransportTest
    void aBlockedReceiveWakesForADatagramSentLater(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t); DatagramSocket peer = peer(V4)) {
            int fd = bound(g, false);
            InetSocketAddress guest = new InetSocketAddress(V4, localPort(g, fd));
            var sent = async(() -> {
                Thread.sleep(100);
                send(peer, "late", guest);
                return null;
            });
            expect(Errno.SUCCESS, recvFrom(g, fd, 100, 0), "blocking recv_from", t);
            assertEquals("late", new String(g.bytes(BUF, g.i32(N)), US_ASCII));
            sent.join();
        }
    }

    @TransportTest
    void aZeroLengthReceiveTakesADatagramButAZeroLengthReadDoesNot(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t); DatagramSocket peer = peer(V4)) {
            int fd = bound(g, false);
            InetSocketAddress guest = new InetSocketAddress(V4, localPort(g, fd));
            send(peer, "first", guest);
            send(peer, "second", guest);
            g.pump(20);
            g.iovec(IOVS, 0, BUF, 0);
            g.ok("fd_read", fd, IOVS, 1, N);
            assertEquals(0, g.i32(N), "read(2) of nothing returns 0 and takes nothing");
            g.ok("sock_recv", fd, IOVS, 1, 0, N, FLAGS);
            assertEquals(0, g.i32(N));
            assertEquals(RO_DATA_TRUNCATED, g.u16(FLAGS), "recv of nothing takes the datagram, truncated to nothing");
            g.iovec(IOVS, 0, BUF, 100);
            g.ok("fd_read", fd, IOVS, 1, N);
            assertEquals("second", new String(g.bytes(BUF, g.i32(N)), US_ASCII));
        }
    }

    // ------------------------------------------------------------------ connected sockets

    @TransportTest
    void aConnectedSocketTalksToItsPeerOnlyWithFdReadAndFdWrite(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t); DatagramSocket peer = peer(V4); DatagramSocket stranger = peer(V4)) {
            int fd = open(g, false);
            g.ok("sock_status", fd, RET + 8);
            assertEquals(0, g.u8(RET + 8), "an unbound, unconnected UDP socket is Opening");
            g.expect(Errno.NOTCONN, "sock_addr_peer", fd, ADDR_OUT);
            g.expect(Errno.DESTADDRREQ, "sock_send", fd, IOVS, g.ciovecs("x".getBytes(US_ASCII)), 0, RET);

            addrIn(g, ADDR_IN, V4, peer.getLocalPort());
            g.ok("sock_connect", fd, ADDR_IN);
            g.ok("sock_addr_peer", fd, ADDR_OUT);
            assertEquals(peer.getLocalSocketAddress(), addrOut(g, ADDR_OUT));
            int port = localPort(g, fd);
            assertNotEquals(0, port, "connect binds an unbound socket, as Linux's autobind");

            g.ok("fd_write", fd, IOVS, g.ciovecs("via ".getBytes(US_ASCII), "fd_write".getBytes(US_ASCII)), N);
            assertEquals(12, g.i32(N));
            DatagramPacket p = new DatagramPacket(new byte[100], 100);
            peer.receive(p);
            assertEquals("via fd_write", new String(p.getData(), 0, p.getLength(), US_ASCII), "two iovecs, one datagram");

            InetSocketAddress guest = new InetSocketAddress(V4, port);
            send(stranger, "filtered", guest); // not from the peer: the kernel drops it
            send(peer, "reply", guest);
            g.iovec(IOVS, 0, BUF, 100);
            g.ok("fd_read", fd, IOVS, 1, N);
            assertEquals("reply", new String(g.bytes(BUF, g.i32(N)), US_ASCII));
            g.ok("sock_send", fd, IOVS, g.ciovecs("sock_send".getBytes(US_ASCII)), 0, N);
            assertEquals("sock_send", receive(peer));

            // connect(AF_UNSPEC) dissolves the association: anyone may send again, and send needs an address
            g.zero(ADDR_IN, 20);
            g.ok("sock_connect", fd, ADDR_IN);
            g.expect(Errno.NOTCONN, "sock_addr_peer", fd, ADDR_OUT);
            g.expect(Errno.DESTADDRREQ, "sock_send", fd, IOVS, g.ciovecs("x".getBytes(US_ASCII)), 0, RET);
            g.ok("sock_addr_local", fd, ADDR_OUT);
            int after = addrOut(g, ADDR_OUT).getPort();
            if (after != 0) { // Linux lets go of an ephemeral port on disconnect; NIO's JDK keeps it
                send(stranger, "anyone", new InetSocketAddress(V4, after));
                expect(Errno.SUCCESS, recvFrom(g, fd, 100, 0), "recv_from after disconnect", t);
                assertEquals("anyone", new String(g.bytes(BUF, g.i32(N)), US_ASCII));
            }
        }
    }

    @TransportTest
    void connectingAgainChangesThePeer(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t); DatagramSocket a = peer(V4); DatagramSocket b = peer(V4)) {
            int fd = open(g, false);
            addrIn(g, ADDR_IN, V4, a.getLocalPort());
            g.ok("sock_connect", fd, ADDR_IN);
            g.ok("sock_send", fd, IOVS, g.ciovecs("to a".getBytes(US_ASCII)), 0, N);
            assertEquals("to a", receive(a));
            addrIn(g, ADDR_IN, V4, b.getLocalPort());
            g.ok("sock_connect", fd, ADDR_IN);
            g.ok("sock_send", fd, IOVS, g.ciovecs("to b".getBytes(US_ASCII)), 0, N);
            assertEquals("to b", receive(b));
            g.ok("sock_addr_peer", fd, ADDR_OUT);
            assertEquals(b.getLocalSocketAddress(), addrOut(g, ADDR_OUT));
            InetSocketAddress guest = new InetSocketAddress(V4, localPort(g, fd));
            send(a, "from a", guest); // the old peer: filtered out now
            send(b, "from b", guest);
            expect(Errno.SUCCESS, recvFrom(g, fd, 100, 0), "recv_from the new peer", t);
            assertEquals("from b", new String(g.bytes(BUF, g.i32(N)), US_ASCII));
            assertEquals(b.getLocalSocketAddress(), addrOut(g, ADDR_OUT), "the sender is the new peer");
        }
    }

    /**
     * A connect the kernel refuses (EACCES: a broadcast address without Broadcast) leaves the socket as it was:
     * bound where it was, with its options, sending and receiving. (epoll and NIO close a channel whose connect
     * failed; the socket carries on with a new one.)
     */
    @TransportTest
    void aRefusedConnectLeavesTheSocketWorking(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t); DatagramSocket peer = peer(V4)) {
            int fd = bound(g, false);
            int port = localPort(g, fd);
            g.ok("sock_set_opt_size", fd, OPT_MULTICAST_TTL_V4, 9L);
            addrIn(g, ADDR_IN, InetAddress.getByName("127.255.255.255"), 9);
            g.expect(Errno.ACCES, "sock_connect", fd, ADDR_IN);
            assertEquals(port, localPort(g, fd), "still bound where it was");
            g.expect(Errno.NOTCONN, "sock_addr_peer", fd, ADDR_OUT);
            g.ok("sock_get_opt_size", fd, OPT_MULTICAST_TTL_V4, OPT);
            assertEquals(9, g.i64(OPT), "its options kept");
            send(peer, "still here", new InetSocketAddress(V4, port));
            expect(Errno.SUCCESS, recvFrom(g, fd, 100, 0), "recv_from", t);
            assertEquals("still here", new String(g.bytes(BUF, g.i32(N)), US_ASCII));
            expect(Errno.SUCCESS, sendTo(g, fd, "me too".getBytes(US_ASCII), addrOut(g, ADDR_OUT), 0), "send_to", t);
            DatagramPacket p = new DatagramPacket(new byte[100], 100);
            peer.receive(p);
            assertEquals(new InetSocketAddress(V4, port), p.getSocketAddress());
        }
    }

    /**
     * A port nobody listens on answers with ICMP port unreachable; Linux reports it to a connected socket's next
     * call as ECONNREFUSED (once), and never to an unconnected one.
     */
    @TransportTest
    void sendingToAClosedPortIsRefusedOnAConnectedSocketOnly(Transport t) throws Exception {
        int dead;
        try (DatagramSocket gone = peer(V4)) {
            dead = gone.getLocalPort();
        }
        try (ShimGuest g = ShimGuest.open(t)) {
            int fd = open(g, false);
            addrIn(g, ADDR_IN, V4, dead);
            g.ok("sock_connect", fd, ADDR_IN);
            g.ok("sock_send", fd, IOVS, g.ciovecs("anyone?".getBytes(US_ASCII)), 0, N);
            g.setTime(fd, OPT_RECV_TIMEOUT, 2_000_000_000L);
            expect(Errno.CONNREFUSED, recvFrom(g, fd, 100, 0), "the receive after the ICMP error", t);
            expect(Errno.AGAIN, recvFrom(g, fd, 100, RI_DONT_WAIT), "reported once", t);

            int unconnected = open(g, false);
            expect(Errno.SUCCESS, sendTo(g, unconnected, "anyone?".getBytes(US_ASCII), new InetSocketAddress(V4, dead), 0),
                    "send_to a closed port", t);
            g.pump(50);
            expect(Errno.AGAIN, recvFrom(g, unconnected, 100, RI_DONT_WAIT), "no error on an unconnected socket", t);
            g.ok("sock_get_opt_size", unconnected, OPT_LAST_ERROR, OPT);
            assertEquals(0, g.i64(OPT), "SO_ERROR");
        }
    }

    static final int OPT_LAST_ERROR = 11;

    // ------------------------------------------------------------------ sending

    @TransportTest
    void sendsAreWholeDatagramsWithinTheFamilysLimit(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t); DatagramSocket peer = peer(V4)) {
            int fd = open(g, false);
            InetSocketAddress to = new InetSocketAddress(V4, peer.getLocalPort());
            expect(Errno.MSGSIZE, sendTo(g, fd, new byte[65_508], to, 0), "65508 bytes over IPv4", t);
            expect(Errno.SUCCESS, sendTo(g, fd, new byte[65_507], to, 0), "65507 bytes over IPv4", t);
            assertEquals(65_507, g.i32(N));
            DatagramPacket p = new DatagramPacket(new byte[70_000], 70_000);
            peer.receive(p);
            assertEquals(65_507, p.getLength());
            expect(Errno.INVAL, sendTo(g, fd, "x".getBytes(US_ASCII), new InetSocketAddress(V4, 0), 0), "port 0", t);
            g.ok("sock_addr_local", fd, ADDR_OUT);
            assertNotEquals(0, addrOut(g, ADDR_OUT).getPort(), "the first send bound the socket");
            addrIn(g, ADDR_IN, V4, 0);
            g.expect(Errno.INVAL, "sock_bind", fd, ADDR_IN); // bound already, by the send

            int six = open(g, true);
            InetSocketAddress to6 = new InetSocketAddress(v6Loopback(), 9);
            expect(Errno.MSGSIZE, sendTo(g, six, new byte[65_528], to6, 0), "65528 bytes over IPv6", t);
            expect(Errno.SUCCESS, sendTo(g, six, new byte[65_527], to6, 0), "65527 bytes over IPv6", t);
            expect(Errno.MSGSIZE, sendTo(g, six, new byte[65_508], new InetSocketAddress(V4, 9), 0), "IPv4's limit, v4-mapped", t);
        }
    }

    @TransportTest
    void shutdownWorksAsLinuxsOnAUdpSocket(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t); DatagramSocket peer = peer(V4)) {
            int fd = bound(g, false);
            InetSocketAddress guest = new InetSocketAddress(V4, localPort(g, fd));
            g.expect(Errno.INVAL, "sock_shutdown", fd, 0);
            // unconnected: ENOTCONN, yet it takes effect, as inet_shutdown does
            g.expect(Errno.NOTCONN, "sock_shutdown", fd, SHUT_RD);
            send(peer, "still queued", guest);
            g.pump(20);
            expect(Errno.SUCCESS, recvFrom(g, fd, 100, 0), "a datagram that came after shutdown(RD)", t);
            assertEquals("still queued", new String(g.bytes(BUF, g.i32(N)), US_ASCII));
            long t0 = System.nanoTime();
            expect(Errno.SUCCESS, recvFrom(g, fd, 100, 0), "a blocking receive with nothing queued", t);
            assertEquals(0, g.i32(N), "returns 0 at once");
            assertEquals(0, g.u8(ADDR_OUT), "and no sender");
            assertTrue(System.nanoTime() - t0 < 1_000_000_000L);
            expect(Errno.AGAIN, recvFrom(g, fd, 100, RI_DONT_WAIT), "a non-blocking one: EAGAIN, as Linux", t);

            g.expect(Errno.NOTCONN, "sock_shutdown", fd, SHUT_WR);
            expect(Errno.PIPE, sendTo(g, fd, "x".getBytes(US_ASCII), new InetSocketAddress(V4, peer.getLocalPort()), 0),
                    "send after shutdown(WR)", t);

            int c = open(g, false);
            addrIn(g, ADDR_IN, V4, peer.getLocalPort());
            g.ok("sock_connect", c, ADDR_IN);
            g.ok("sock_shutdown", c, 3); // connected: succeeds
            g.expect(Errno.PIPE, "sock_send", c, IOVS, g.ciovecs("x".getBytes(US_ASCII)), 0, N);
        }
    }

    @TransportTest
    void listenAndAcceptAreNotSupportedOnAUdpSocket(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int fd = bound(g, false);
            g.expect(Errno.NOTSUP, "sock_listen", fd, 1);
            g.expect(Errno.NOTSUP, "sock_accept_v2", fd, 0, RET, ADDR_OUT);
            g.expect(Errno.NOTSUP, "sock_accept", fd, 0, RET, ADDR_OUT);
            g.expect(Errno.NOTSUP, "p1_sock_accept", fd, 0, RET);
            g.ok("sock_open", AF_INET4, SOCK_DGRAM, 17, RET);
            g.expect(Errno.NOTSUP, "sock_open", AF_INET4, SOCK_DGRAM, 6, RET);
            g.ok("fd_fdstat_get", fd, EVENTS);
            assertEquals(5, g.u8(EVENTS), "filetype SOCKET_DGRAM");
        }
    }

    // ------------------------------------------------------------------ readiness

    @TransportTest
    void pollReportsADatagramAsReadableAndTheSocketAsWritable(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t); DatagramSocket peer = peer(V4)) {
            int fd = bound(g, false);
            PollTest.fdSub(g, 0, 1, PollTest.FD_READ, fd);
            PollTest.fdSub(g, 1, 2, PollTest.FD_WRITE, fd);
            assertEquals(1, PollTest.poll(g, 2), "only writable with nothing queued");
            assertEquals(2, PollTest.event(g, 0).userdata());

            InetSocketAddress guest = new InetSocketAddress(V4, localPort(g, fd));
            var sent = async(() -> {
                Thread.sleep(50);
                send(peer, "0123456789", guest);
                return null;
            });
            PollTest.fdSub(g, 0, 1, PollTest.FD_READ, fd);
            PollTest.clockSub(g, 1, 3, 1, 5_000_000_000L);
            assertEquals(1, PollTest.poll(g, 2), "the read subscription fires when the datagram comes");
            PollTest.Event e = PollTest.event(g, 0);
            assertEquals(1, e.userdata());
            assertEquals(10, e.nbytes(), "nbytes: the next datagram's size");
            sent.join();
        }
    }

    @TransportTest
    void epollReportsEachDatagramEdgeAndTheConnectedSocketsError(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t); DatagramSocket peer = peer(V4)) {
            int fd = bound(g, false);
            int ep = EpollTest.create(g);
            EpollTest.ctl(g, EpollTest.ADD, ep, fd, EpollTest.IN | EpollTest.OUT | EpollTest.ET, EpollTest.data(7));
            assertEquals(1, EpollTest.await(g, ep, 0));
            assertEquals(EpollTest.OUT, EpollTest.events(g, 0), "a fresh socket: writable only");
            assertEquals(0, EpollTest.await(g, ep, 0), "edge-triggered: once");

            InetSocketAddress guest = new InetSocketAddress(V4, localPort(g, fd));
            send(peer, "one", guest);
            assertEquals(1, EpollTest.await(g, ep, 2000));
            assertEquals(EpollTest.IN | EpollTest.OUT, EpollTest.events(g, 0));
            assertArrayEquals(EpollTest.data(7), EpollTest.dataOf(g, 0));
            assertEquals(0, EpollTest.await(g, ep, 0), "no new edge");
            send(peer, "two", guest);
            assertEquals(1, EpollTest.await(g, ep, 2000), "a second datagram is a new edge");
            expect(Errno.SUCCESS, recvFrom(g, fd, 100, 0), "one", t);
            expect(Errno.SUCCESS, recvFrom(g, fd, 100, 0), "two", t);

            int dead;
            try (DatagramSocket gone = peer(V4)) {
                dead = gone.getLocalPort();
            }
            int c = open(g, false);
            addrIn(g, ADDR_IN, V4, dead);
            g.ok("sock_connect", c, ADDR_IN);
            EpollTest.ctl(g, EpollTest.ADD, ep, c, EpollTest.IN, EpollTest.data(8));
            g.ok("sock_send", c, IOVS, g.ciovecs("?".getBytes(US_ASCII)), 0, N);
            assertEquals(1, EpollTest.await(g, ep, 2000), "the ICMP error wakes epoll");
            assertEquals(EpollTest.ERR, EpollTest.events(g, 0) & EpollTest.ERR, "EPOLLERR, always reported");
            g.expect(Errno.CONNREFUSED, "sock_send", c, IOVS, g.ciovecs("?".getBytes(US_ASCII)), 0, N);
        }
    }

    // ------------------------------------------------------------------ options

    @TransportTest
    void theOptionsUdpServersSetReachTheKernel(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int fd = open(g, false);
            g.ok("sock_get_opt_size", fd, OPT_TYPE, OPT);
            assertEquals(2, g.i64(OPT), "Type: Dgram");
            g.ok("sock_get_opt_size", fd, OPT_PROTO, OPT);
            assertEquals(17, g.i64(OPT), "Proto: UDP");

            // Broadcast: a send to lo's broadcast address is EACCES without it, as Linux's route check says
            InetSocketAddress broadcast = new InetSocketAddress(InetAddress.getByName("127.255.255.255"), 9);
            g.ok("sock_get_opt_flag", fd, OPT_BROADCAST, RET + 8);
            assertEquals(0, g.u8(RET + 8));
            expect(Errno.ACCES, sendTo(g, fd, "b".getBytes(US_ASCII), broadcast, 0), "a broadcast without SO_BROADCAST", t);
            g.ok("sock_set_opt_flag", fd, OPT_BROADCAST, 1);
            g.ok("sock_get_opt_flag", fd, OPT_BROADCAST, RET + 8);
            assertEquals(1, g.u8(RET + 8));
            expect(Errno.SUCCESS, sendTo(g, fd, "b".getBytes(US_ASCII), broadcast, 0), "a broadcast with it", t);

            flag(g, fd, OPT_MCAST_LOOP_V4, 1, 0);
            size(g, fd, OPT_MULTICAST_TTL_V4, 1, 7);
            g.expect(Errno.INVAL, "sock_set_opt_size", fd, OPT_MULTICAST_TTL_V4, 256L);
            if (t == Transport.NIO) {
                g.expect(Errno.NOTSUP, "sock_set_opt_size", fd, OPT_TTL, 5L); // the JDK has no IP_TTL
            } else {
                size(g, fd, OPT_TTL, 64, 5);
                g.expect(Errno.INVAL, "sock_set_opt_size", fd, OPT_TTL, 0L);
            }
            // an IPV6_ option on an AF_INET socket: Linux's two answers
            g.expect(Errno.NOPROTOOPT, "sock_set_opt_flag", fd, OPT_MCAST_LOOP_V6, 0);
            g.expect(Errno.NOTSUP, "sock_get_opt_flag", fd, OPT_MCAST_LOOP_V6, RET + 8);
            int six = open(g, true);
            flag(g, six, OPT_MCAST_LOOP_V6, 1, 0);

            g.ok("sock_set_opt_flag", fd, OPT_REUSE_ADDR, 1);
            g.ok("sock_get_opt_flag", fd, OPT_REUSE_ADDR, RET + 8);
            assertEquals(1, g.u8(RET + 8));
            g.ok("sock_set_opt_size", fd, OPT_RECV_BUF, 65536L);
            g.ok("sock_get_opt_size", fd, OPT_RECV_BUF, OPT);
            // the kernel doubles SO_RCVBUF and says so; the JDK halves its answer again (TCP sockets alike)
            assertEquals(t == Transport.NIO ? 65536 : 131072, g.i64(OPT), "SO_RCVBUF as the transport reports it");
            g.expect(Errno.NOPROTOOPT, "sock_set_opt_flag", fd, OPT_NO_DELAY, 1); // a TCP-level option
            g.ok("sock_set_opt_flag", fd, OPT_KEEP_ALIVE, 1); // SOL_SOCKET: Linux takes it on any socket

            // on a TCP socket this host serves the datagram options for datagrams only
            int tcp = g.openStream();
            g.expect(Errno.NOPROTOOPT, "sock_set_opt_flag", tcp, OPT_BROADCAST, 1);
            g.expect(Errno.NOPROTOOPT, "sock_get_opt_size", tcp, OPT_TTL, OPT);
        }
    }

    /** ReusePort lets two sockets bind one port (each shard's, with --shards); ReuseAddr, OnlyV6 as for TCP. */
    @TransportTest
    void reusePortSharesAPortAndOnlyV6IsAsForTcp(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int first = open(g, false);
            g.ok("sock_set_opt_flag", first, OPT_REUSE_PORT, 1);
            addrIn(g, ADDR_IN, V4, 0);
            g.ok("sock_bind", first, ADDR_IN);
            int port = localPort(g, first);
            int plain = open(g, false);
            addrIn(g, ADDR_IN, V4, port);
            g.expect(Errno.ADDRINUSE, "sock_bind", plain, ADDR_IN);
            int second = open(g, false);
            g.ok("sock_set_opt_flag", second, OPT_REUSE_PORT, 1);
            g.ok("sock_bind", second, ADDR_IN);
            assertEquals(port, localPort(g, second));
            g.ok("sock_get_opt_flag", second, OPT_REUSE_PORT, RET + 8);
            assertEquals(1, g.u8(RET + 8));

            g.ok("sock_set_opt_size", second, OPT_SEND_BUF, 32768L);
            g.ok("sock_get_opt_size", second, OPT_SEND_BUF, OPT);
            assertEquals(t == Transport.NIO ? 32768 : 65536, g.i64(OPT), "SO_SNDBUF as the transport reports it");

            int six = open(g, true);
            g.ok("sock_set_opt_flag", six, OPT_ONLY_V6, 0);
            g.expect(Errno.NOTSUP, "sock_set_opt_flag", six, OPT_ONLY_V6, 1); // dual-stack only, as TCP sockets
            g.expect(Errno.NOPROTOOPT, "sock_set_opt_flag", first, OPT_ONLY_V6, 0);
        }
    }

    static final int OPT_ONLY_V6 = 5;

    private static void flag(ShimGuest g, int fd, int opt, int initially, int set) {
        g.ok("sock_get_opt_flag", fd, opt, RET + 8);
        assertEquals(initially, g.u8(RET + 8), "option " + opt + " before");
        g.ok("sock_set_opt_flag", fd, opt, set);
        g.ok("sock_get_opt_flag", fd, opt, RET + 8);
        assertEquals(set, g.u8(RET + 8), "option " + opt + " after");
    }

    private static void size(ShimGuest g, int fd, int opt, long initially, long set) {
        g.ok("sock_get_opt_size", fd, opt, OPT);
        assertEquals(initially, g.i64(OPT), "option " + opt + " before");
        g.ok("sock_set_opt_size", fd, opt, set);
        g.ok("sock_get_opt_size", fd, opt, OPT);
        assertEquals(set, g.i64(OPT), "option " + opt + " after");
    }

    // ------------------------------------------------------------------ multicast

    @TransportTest
    void aJoinedGroupsDatagramsArriveUntilTheGroupIsLeft(Transport t) throws Exception {
        InetAddress group = InetAddress.getByName("239.255.77.1");
        try (ShimGuest g = ShimGuest.open(t); java.net.MulticastSocket sender = new java.net.MulticastSocket(0);
                DatagramSocket marker = peer(V4)) {
            sender.setNetworkInterface(java.net.NetworkInterface.getByInetAddress(V4));
            int fd = open(g, false);
            addrIn(g, ADDR_IN, InetAddress.getByName("0.0.0.0"), 0);
            g.ok("sock_bind", fd, ADDR_IN);
            int port = localPort(g, fd);
            int multiaddr = ADDR_IN, iface = ADDR_IN + 8;
            g.put(multiaddr, group.getAddress());
            g.put(iface, V4.getAddress());
            g.ok("sock_join_multicast_v4", fd, multiaddr, iface);
            g.expect(Errno.ADDRINUSE, "sock_join_multicast_v4", fd, multiaddr, iface);

            send(sender, "to the group", new InetSocketAddress(group, port));
            expect(Errno.SUCCESS, recvFrom(g, fd, 100, 0), "a group datagram", t);
            assertEquals("to the group", new String(g.bytes(BUF, g.i32(N)), US_ASCII));

            g.ok("sock_leave_multicast_v4", fd, multiaddr, iface);
            g.expect(Errno.ADDRNOTAVAIL, "sock_leave_multicast_v4", fd, multiaddr, iface);
            send(sender, "after leaving", new InetSocketAddress(group, port));
            send(marker, "marker", new InetSocketAddress(V4, port)); // sent after it, so it comes after it
            expect(Errno.SUCCESS, recvFrom(g, fd, 100, 0), "the next datagram", t);
            assertEquals("marker", new String(g.bytes(BUF, g.i32(N)), US_ASCII), "the group's datagram no longer arrives");

            g.put(multiaddr, InetAddress.getByName("10.1.2.3").getAddress());
            g.expect(Errno.INVAL, "sock_join_multicast_v4", fd, multiaddr, iface); // not a multicast group
            g.put(multiaddr, group.getAddress());
            g.put(iface, InetAddress.getByName("192.0.2.254").getAddress());
            g.expect(Errno.NODEV, "sock_join_multicast_v4", fd, multiaddr, iface); // no interface has it

            // IPv6: the group's eight 16-bit segments in the guest's byte order, as wasmer reads them
            int six = open(g, true);
            byte[] ff02 = InetAddress.getByName("ff02::1:3").getAddress();
            for (int i = 0; i < 16; i += 2) {
                g.putU8(multiaddr + i, ff02[i + 1]);
                g.putU8(multiaddr + i + 1, ff02[i]);
            }
            int lo = java.net.NetworkInterface.getByInetAddress(V4).getIndex();
            g.ok("sock_join_multicast_v6", six, multiaddr, lo);
            g.expect(Errno.ADDRINUSE, "sock_join_multicast_v6", six, multiaddr, lo);
            g.ok("sock_leave_multicast_v6", six, multiaddr, lo);
            g.expect(Errno.NOPROTOOPT, "sock_join_multicast_v6", fd, multiaddr, lo); // an IPv6 group on AF_INET
            g.expect(Errno.PROTO, "sock_join_multicast_v4", g.openStream(), multiaddr, iface); // TCP, as Linux
        }
    }

    // ------------------------------------------------------------------ the receive queue's bound

    /**
     * Past the receive buffer's size the host drops datagrams, as the kernel would, and counts them. Whatever the
     * kernel itself dropped before the host read it shows in /proc/net/udp's drops column, so every datagram sent is
     * accounted for: received, dropped by the host, or dropped by the kernel.
     */
    @TransportTest
    void aFullReceiveQueueDropsDatagramsAndCountsThem(Transport t) throws Exception {
        // counted whether or not syscalls are (the appliance's --stats and /metrics read it)
        var metrics = new io.wasix.host.metrics.SyscallMetrics(0, false, null);
        try (ShimGuest g = ShimGuest.open(t, metrics); DatagramSocket peer = peer(V4)) {
            int fd = bound(g, false);
            g.ok("sock_set_opt_size", fd, OPT_RECV_BUF, 8192L); // the kernel makes it 16384
            int port = localPort(g, fd);
            InetSocketAddress guest = new InetSocketAddress(V4, port);
            int sent = 60;
            byte[] payload = new byte[1000];
            var sending = async(() -> {
                for (int i = 0; i < sent; i++) {
                    peer.send(new DatagramPacket(payload, payload.length, guest));
                    Thread.sleep(1);
                }
                return null;
            });
            g.pumpUntil(sending);
            g.pump(50);
            int received = 0;
            while (recvFrom(g, fd, 2000, RI_DONT_WAIT) == 0) {
                received++;
            }
            long hostDropped = g.host.datagramsDropped();
            long kernelDropped = kernelDrops(port);
            assertTrue(hostDropped > 0, "the host dropped some: received " + received + " on " + t.label());
            assertTrue(received <= 16384 / (1000 + 256) + 1, "the queue held no more than its bound: " + received);
            assertEquals(sent, received + hostDropped + kernelDropped,
                    "received " + received + ", host dropped " + hostDropped + ", kernel dropped " + kernelDropped);
            assertEquals(hostDropped, metrics.snapshot().datagramsDropped(), "the shard's metrics say so too");
        }
    }

    /** The drops column of the socket bound to 127.0.0.1:port in /proc/net/udp. */
    static long kernelDrops(int port) throws IOException {
        String local = "0100007F:" + String.format("%04X", port);
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/net/udp"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 12 && f[1].equals(local)) {
                return Long.parseLong(f[f.length - 1]);
            }
        }
        fail("no socket on " + local + " in /proc/net/udp");
        return -1;
    }

    // ------------------------------------------------------------------ bad input, policy

    @TransportTest
    void badPointersAreEfaultAndLoseNoDatagram(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t); DatagramSocket peer = peer(V4)) {
            int fd = bound(g, false);
            send(peer, "keep me", new InetSocketAddress(V4, localPort(g, fd)));
            g.pump(20);
            g.iovec(IOVS, 0, BUF, 100);
            g.expect(Errno.FAULT, "sock_recv_from", fd, IOVS, 1, 0, N, FLAGS, MEMORY_SIZE - 4);
            g.expect(Errno.FAULT, "sock_recv_from", fd, IOVS, 1, 0, N, MEMORY_SIZE, ADDR_OUT);
            g.expect(Errno.FAULT, "sock_send_to", fd, IOVS, 1, 0, MEMORY_SIZE - 10, N);
            g.expect(Errno.FAULT, "sock_join_multicast_v4", fd, MEMORY_SIZE - 2, ADDR_IN);
            g.expect(Errno.BADF, "sock_recv_from", 99, IOVS, 1, 0, N, FLAGS, ADDR_OUT);
            g.expect(Errno.NOTSOCK, "sock_send_to", 1, IOVS, 1, 0, ADDR_IN, N);
            expect(Errno.SUCCESS, recvFrom(g, fd, 100, 0), "the datagram is still there", t);
            assertEquals("keep me", new String(g.bytes(BUF, g.i32(N)), US_ASCII));
        }
    }

    /**
     * Without outbound access (--net), a UDP socket may only answer: send to a peer it has heard from. Anything
     * else, and connect, is EACCES, as TCP's connect is.
     */
    @TransportTest
    void withoutOutboundAccessAUdpSocketOnlyReplies(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t, cfg -> cfg.withAllowOutbound(false)); DatagramSocket peer = peer(V4);
                DatagramSocket other = peer(V4)) {
            int fd = bound(g, false);
            InetSocketAddress client = new InetSocketAddress(V4, peer.getLocalPort());
            expect(Errno.ACCES, sendTo(g, fd, "first".getBytes(US_ASCII), client, 0), "a send to a stranger", t);
            addrIn(g, ADDR_IN, V4, peer.getLocalPort());
            g.expect(Errno.ACCES, "sock_connect", fd, ADDR_IN);

            send(peer, "hello", new InetSocketAddress(V4, localPort(g, fd)));
            expect(Errno.SUCCESS, recvFrom(g, fd, 100, 0), "recv_from", t);
            expect(Errno.SUCCESS, sendTo(g, fd, "reply".getBytes(US_ASCII), addrOut(g, ADDR_OUT), 0), "a reply", t);
            assertEquals("reply", receive(peer));
            expect(Errno.ACCES, sendTo(g, fd, "x".getBytes(US_ASCII), new InetSocketAddress(V4, other.getLocalPort()), 0),
                    "still no send to a stranger", t);
        }
    }

    /** --listen limits a UDP socket's bind as a listener's; the ephemeral port a send binds it to is a client's. */
    @TransportTest
    void listenLimitsAUdpBindButNotAnAutobind(Transport t) throws Exception {
        var metrics = new io.wasix.host.metrics.SyscallMetrics(0, false, null);
        var policy = io.wasix.host.net.policy.NetPolicy.ALLOW_ALL
                .withListen(java.util.List.of(io.wasix.host.net.policy.PortRange.of(1)));
        Transports.require(t);
        try (ShimGuest g = ShimGuest.open(t, metrics, cfg -> cfg.withNet(policy)); DatagramSocket peer = peer(V4)) {
            int fd = open(g, false);
            addrIn(g, ADDR_IN, V4, 0);
            g.expect(Errno.ACCES, "sock_bind", fd, ADDR_IN);
            expect(Errno.SUCCESS, sendTo(g, fd, "x".getBytes(US_ASCII), new InetSocketAddress(V4, peer.getLocalPort()), 0),
                    "a send from an unbound socket", t);
            assertEquals("x", receive(peer));
            assertEquals(1, metrics.snapshot().netPolicyRefusals().of(io.wasix.host.metrics.NetPolicyRefusals.Direction.LISTEN));
        }
    }

    @TransportTest
    void aBlockingSendWaitsForRoomAndANonBlockingOneDoesNot(Transport t) throws Exception {
        // Sends to the peer leave at once on loopback, so the socket is writable: both kinds return at once.
        try (ShimGuest g = ShimGuest.open(t); DatagramSocket peer = peer(V4)) {
            int fd = open(g, false);
            InetSocketAddress to = new InetSocketAddress(V4, peer.getLocalPort());
            for (int i = 0; i < 20; i++) {
                expect(Errno.SUCCESS, sendTo(g, fd, ("d" + i).getBytes(US_ASCII), to, SI_DONT_WAIT), "DONT_WAIT send", t);
            }
            for (int i = 0; i < 20; i++) {
                assertEquals("d" + i, receive(peer));
            }
        }
    }
}

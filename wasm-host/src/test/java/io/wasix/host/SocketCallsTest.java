package io.wasix.host;

import static io.wasix.host.ShimGuest.*;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.wasix.host.abi.Errno;
import io.wasix.host.net.Transport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/** The sock_* calls against real java.net peers over loopback, on every available transport. */
class SocketCallsTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** A port nothing listens on: bound by the kernel's choice, then released. */
    static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            return s.getLocalPort();
        }
    }

    // ------------------------------------------------------------------ bind, listen, accept, addresses

    @TransportTest
    void acceptReportsThePeerBigEndianAndAddressesAgree(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            int port = g.localPort(lfd);
            assertNotEquals(0, port, "sock_addr_local after binding port 0 must give the real port");
            assertEquals(LOOPBACK, g.addrOut(ADDR_OUT).getAddress());

            try (Socket c = client(port)) {
                g.zero(ADDR_OUT, 20);
                int cfd = g.accept(lfd, 0);
                InetSocketAddress peer = g.addrOut(ADDR_OUT);
                assertEquals(new InetSocketAddress(LOOPBACK, c.getLocalPort()), peer,
                        "accept_v2 peer address (port written big-endian)");
                // the raw bytes, so a wrong byte order cannot hide behind a symmetric helper
                assertEquals(c.getLocalPort() >>> 8, g.u8(ADDR_OUT + 2));
                assertEquals(c.getLocalPort() & 0xff, g.u8(ADDR_OUT + 3));

                g.zero(ADDR_OUT, 20);
                g.ok("sock_addr_peer", cfd, ADDR_OUT);
                assertEquals(peer, g.addrOut(ADDR_OUT));
                g.ok("sock_addr_local", cfd, ADDR_OUT);
                assertEquals(new InetSocketAddress(LOOPBACK, port), g.addrOut(ADDR_OUT));

                g.ok("sock_status", cfd, RET);
                assertEquals(1, g.u8(RET), "status of an accepted connection: Opened");
                g.ok("sock_status", lfd, RET);
                assertEquals(1, g.u8(RET), "status of a listener: Opened");
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void statusAndPeerOfAFreshSocket(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int fd = g.openStream();
            g.ok("sock_status", fd, RET);
            assertEquals(0, g.u8(RET), "a fresh socket is Opening");
            g.expect(Errno.NOTCONN, "sock_addr_peer", fd, ADDR_OUT);
            g.close(fd);
        }
    }

    @TransportTest
    void recvAndSendScatterGatherAcrossIovecs(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                c.getOutputStream().write("hello world!".getBytes(US_ASCII));

                // three iovecs: 5 + 3 + 100 bytes, laid out with gaps so each lands where it should
                g.zero(BUF, 1024);
                g.iovec(IOVS, 0, BUF, 5);
                g.iovec(IOVS, 1, BUF + 100, 3);
                g.iovec(IOVS, 2, BUF + 200, 100);
                g.ok("sock_recv", cfd, IOVS, 3, 0, RET, RET + 4);
                assertEquals(12, g.i32(RET), "nread");
                assertEquals(0, g.u16(RET + 4), "roflags");
                assertEquals("hello", new String(g.bytes(BUF, 5), US_ASCII));
                assertEquals(" wo", new String(g.bytes(BUF + 100, 3), US_ASCII));
                assertEquals("rld!", new String(g.bytes(BUF + 200, 4), US_ASCII));
                assertEquals(0, g.u8(BUF + 5), "nothing written past the first iovec");

                assertEquals(9, g.send(cfd, "abc".getBytes(US_ASCII), "defg".getBytes(US_ASCII), "hi".getBytes(US_ASCII)));
                CompletableFuture<byte[]> got = async(() -> c.getInputStream().readNBytes(9));
                assertEquals("abcdefghi", new String(g.pumpUntil(got), US_ASCII));
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void secondBindOfTheSamePortIsAddrInUse(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int first = g.listener();
            int port = g.localPort(first);
            int second = g.openStream();
            g.addrIn(ADDR_IN, port);
            g.expect(Errno.ADDRINUSE, "sock_bind", second, ADDR_IN);
            // also with REUSEADDR set: Linux refuses while the first socket listens
            g.ok("sock_set_opt_flag", second, OPT_REUSE_ADDR, 1);
            g.expect(Errno.ADDRINUSE, "sock_bind", second, ADDR_IN);
            g.close(second);
            g.close(first);
        }
    }

    // ------------------------------------------------------------------ connect

    @TransportTest
    void connectToAClosedPortIsRefused(Transport t) throws Exception {
        int port = closedPort();
        try (ShimGuest g = ShimGuest.open(t)) {
            int fd = g.openStream();
            g.addrIn(ADDR_IN, port);
            g.expect(Errno.CONNREFUSED, "sock_connect", fd, ADDR_IN);
            g.ok("sock_status", fd, RET);
            assertEquals(3, g.u8(RET), "a refused connect leaves the socket Failed");
            g.close(fd);
        }
    }

    @TransportTest
    void connectSendRecvToAJavaServer(Transport t) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 8, LOOPBACK); ShimGuest g = ShimGuest.open(t)) {
            server.setSoTimeout(PEER_TIMEOUT_MS);
            // the java side echoes one line back, upper-cased
            CompletableFuture<Integer> peerPort = async(() -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(PEER_TIMEOUT_MS);
                    byte[] in = s.getInputStream().readNBytes(5);
                    s.getOutputStream().write(new String(in, US_ASCII).toUpperCase().getBytes(US_ASCII));
                    s.shutdownOutput();
                    s.getInputStream().read(); // wait for the guest's close
                    return s.getPort();
                }
            });
            int fd = g.connect(server.getLocalPort());
            g.ok("sock_status", fd, RET);
            assertEquals(1, g.u8(RET), "a connected socket is Opened");
            g.ok("sock_addr_peer", fd, ADDR_OUT);
            assertEquals(new InetSocketAddress(LOOPBACK, server.getLocalPort()), g.addrOut(ADDR_OUT));
            int local = g.localPort(fd);

            assertEquals(5, g.send(fd, "ping\n".getBytes(US_ASCII)));
            assertEquals("PING\n", new String(g.recvExactly(fd, 5), US_ASCII));
            assertEquals(0, g.recv(fd, 100).length, "EOF after the server's shutdownOutput");
            g.close(fd);
            assertEquals(local, g.pumpUntil(peerPort), "sock_addr_local is the port the server saw");
        }
    }

    @TransportTest
    void connectIsDeniedWithoutOutboundPermission(Transport t) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 8, LOOPBACK);
                ShimGuest g = ShimGuest.open(t, cfg -> cfg.withAllowOutbound(false))) {
            int fd = g.openStream();
            g.addrIn(ADDR_IN, server.getLocalPort());
            g.expect(Errno.ACCES, "sock_connect", fd, ADDR_IN);
            g.close(fd);
            // listening stays allowed
            int lfd = g.listener();
            g.close(lfd);
        }
    }

    // ------------------------------------------------------------------ shutdown, half-close, reset

    @TransportTest
    void halfCloseInBothDirections(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                c.getOutputStream().write("abc".getBytes(US_ASCII));
                c.shutdownOutput();

                assertEquals("abc", new String(g.recvExactly(cfd, 3), US_ASCII));
                assertEquals(0, g.recv(cfd, 100).length, "the peer's FIN reads as 0");
                assertEquals(0, g.recv(cfd, 100).length, "and keeps reading as 0");

                // the other direction still works
                assertEquals(3, g.send(cfd, "xyz".getBytes(US_ASCII)));
                g.ok("sock_shutdown", cfd, SHUT_WR);
                CompletableFuture<byte[]> rest = async(() -> c.getInputStream().readAllBytes());
                assertEquals("xyz", new String(g.pumpUntil(rest), US_ASCII),
                        "the java client reads the data, then EOF");
                g.expect(Errno.PIPE, "sock_send", cfd, IOVS, g.ciovecs("late".getBytes(US_ASCII)), 0, RET);
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void shutdownHowMustBeABitmaskOfRdAndWr(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                g.expect(Errno.INVAL, "sock_shutdown", cfd, 0);
                g.expect(Errno.INVAL, "sock_shutdown", cfd, 4);
                g.expect(Errno.INVAL, "sock_shutdown", cfd, -1);
                g.ok("sock_shutdown", cfd, SHUT_RD | SHUT_WR);
                CompletableFuture<Integer> eof = async(() -> c.getInputStream().read());
                assertEquals(-1, g.pumpUntil(eof), "shutdown(RD|WR) sends FIN");
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void peerResetIsConnReset(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            Socket c = client(g.localPort(lfd));
            int cfd = g.accept(lfd, 0);
            c.setSoLinger(true, 0);
            c.close(); // RST
            // Linux: recv on a socket reset by its peer fails with ECONNRESET, once; then reads 0; send is EPIPE
            int errno = g.tryRecv(cfd, 100);
            assertEquals(Errno.CONNRESET.name(), Errno.of(errno).name(),
                    "recv after the peer's RST (nread " + g.i32(RET) + ")");
            assertEquals(0, g.recv(cfd, 100).length, "the reset is reported once, then EOF");
            g.expect(Errno.PIPE, "sock_send", cfd, IOVS, g.ciovecs("x".getBytes(US_ASCII)), 0, RET);
            g.close(cfd);
            g.close(lfd);
        }
    }

    @TransportTest
    void dataBeforeAResetIsStillDelivered(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            Socket c = client(g.localPort(lfd));
            int cfd = g.accept(lfd, 0);
            c.getOutputStream().write("abc".getBytes(US_ASCII));
            g.pump(50); // let "abc" arrive before the RST, as a peer that writes then aborts
            c.setSoLinger(true, 0);
            c.close();
            g.pump(50);
            // Linux (checked with a native socket pair): "abc", then ECONNRESET, then 0
            assertEquals("abc", new String(g.recv(cfd, 100), US_ASCII));
            assertEquals(Errno.CONNRESET, Errno.of(g.tryRecv(cfd, 100)));
            assertEquals(0, g.recv(cfd, 100).length);
            g.close(cfd);
            g.close(lfd);
        }
    }

    @TransportTest
    void lingerZeroCloseResetsThePeer(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                g.setTime(cfd, OPT_LINGER, 0);
                g.close(cfd);
                CompletableFuture<String> outcome = async(() -> {
                    try {
                        return "read " + c.getInputStream().read();
                    } catch (java.net.SocketException e) {
                        return "reset";
                    }
                });
                assertEquals("reset", g.pumpUntil(outcome), "close with SO_LINGER 0 sends RST");
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void callsOnSocketsInTheWrongState(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int fresh = g.openStream();
            int lfd = g.listener();
            // as Linux answers (checked with native sockets)
            g.expect(Errno.NOTCONN, "sock_recv", fresh, IOVS, g.ciovecs(new byte[8]), 0, RET, RET + 4);
            g.expect(Errno.NOTCONN, "sock_recv", lfd, IOVS, g.ciovecs(new byte[8]), 0, RET, RET + 4);
            g.expect(Errno.NOTCONN, "sock_send", lfd, IOVS, g.ciovecs(new byte[8]), 0, RET);
            g.expect(Errno.NOTCONN, "sock_shutdown", fresh, SHUT_WR);
            g.expect(Errno.INVAL, "sock_accept_v2", fresh, 0, RET, ADDR_OUT);
            g.addrIn(ADDR_IN, 0);
            g.expect(Errno.INVAL, "sock_bind", lfd, ADDR_IN);             // already bound
            g.addrIn(ADDR_IN, g.localPort(lfd));
            g.expect(Errno.ISCONN, "sock_connect", lfd, ADDR_IN);         // connect on a listener
            g.close(fresh);
            g.close(lfd);
        }
    }

    @TransportTest
    void anIpv4SocketBoundToTheAnyAddressReportsAnIpv4LocalAddress(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.openStream(); // AF_INET4
            g.addrIn(ADDR_IN, new byte[4], 0);
            g.ok("sock_bind", lfd, ADDR_IN);
            g.ok("sock_listen", lfd, 4);
            g.ok("sock_addr_local", lfd, ADDR_OUT);
            // Linux: getsockname of an AF_INET socket bound to 0.0.0.0 is 0.0.0.0:port, family AF_INET
            assertEquals(AF_INET4, g.u8(ADDR_OUT), "family of the local address of an AF_INET4 socket");
            assertEquals(new InetSocketAddress(InetAddress.getByAddress(new byte[4]), g.addrOut(ADDR_OUT).getPort()),
                    g.addrOut(ADDR_OUT));
            assertNotEquals(0, g.addrOut(ADDR_OUT).getPort());
            g.close(lfd);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @TransportTest
    void anIpv4ListenerOnTheAnyAddressNeverAcceptsIpv6Clients(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.openStream(); // AF_INET4
            g.addrIn(ADDR_IN, new byte[4], 0);
            g.ok("sock_bind", lfd, ADDR_IN);
            g.ok("sock_listen", lfd, 4);
            int port = g.localPort(lfd);
            // Linux: an AF_INET socket bound to 0.0.0.0 refuses connections to [::1]. On io_uring the kernel
            // completes the handshake (Netty's sockets there are dual-stack) and the host resets the peer when
            // the guest's next call runs the loop.
            g.setFlags(lfd, NONBLOCK);
            try (Socket c = new Socket()) {
                c.connect(new InetSocketAddress(InetAddress.getByName("::1"), port), 1000);
                assertEquals(Transport.IO_URING, t, "only io_uring's listeners may complete an IPv6 handshake");
                c.setSoTimeout(50);
                long deadline = System.nanoTime() + 2_000_000_000L;
                boolean reset = false;
                while (!reset && System.nanoTime() < deadline) {
                    g.expect(Errno.AGAIN, "sock_accept_v2", lfd, 0, RET, ADDR_OUT); // the guest never sees it
                    try {
                        assertEquals(-1, c.getInputStream().read(), "no byte comes from the host");
                        reset = true;
                    } catch (java.net.SocketTimeoutException notYet) {
                        // the accept has not reached the host yet
                    } catch (java.net.SocketException e) {
                        reset = true;
                    }
                }
                assertTrue(reset, "the host closes an IPv6 peer of an AF_INET4 listener");
            } catch (java.net.ConnectException refused) {
                // refused, as on Linux (or no IPv6 loopback on this machine)
            }
            g.expect(Errno.AGAIN, "sock_accept_v2", lfd, 0, RET, ADDR_OUT);
            g.setFlags(lfd, 0);
            // An IPv4 client still gets through, and is reported as one.
            try (Socket c = client(port)) {
                int cfd = g.accept(lfd, 0);
                g.ok("sock_addr_peer", cfd, ADDR_OUT);
                assertEquals(AF_INET4, g.u8(ADDR_OUT), "family of an IPv4 peer");
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void socketsStartWithNagleOnAsOnLinux(Transport t) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 8, LOOPBACK); ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                g.ok("sock_get_opt_flag", cfd, OPT_NO_DELAY, RET);
                assertEquals(0, g.u8(RET), "TCP_NODELAY of an accepted socket whose listener did not set it");
                g.close(cfd);
            }
            int out = g.connect(server.getLocalPort());
            g.ok("sock_get_opt_flag", out, OPT_NO_DELAY, RET);
            assertEquals(0, g.u8(RET), "TCP_NODELAY of a connected socket that did not set it");
            g.close(out);
            g.close(lfd);
        }
    }

    // ------------------------------------------------------------------ flags, stream calls on sockets

    @TransportTest
    void peekLeavesTheDataAndWaitAllWaitsForAll(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                c.getOutputStream().write("abcd".getBytes(US_ASCII));
                g.iovec(IOVS, 0, BUF, 100);
                long deadline = System.nanoTime() + 2_000_000_000L;
                do { // peek until all 4 bytes are there
                    g.ok("sock_recv", cfd, IOVS, 1, 1 /* PEEK */, RET, RET + 4);
                } while (g.i32(RET) < 4 && System.nanoTime() < deadline && pause(g));
                assertEquals("abcd", new String(g.bytes(BUF, g.i32(RET)), US_ASCII));
                assertEquals("abcd", new String(g.recv(cfd, 100), US_ASCII), "peeked bytes are still there");

                // WAITALL: 6 bytes asked, 3 now and 3 in 100 ms
                c.getOutputStream().write("123".getBytes(US_ASCII));
                CompletableFuture<Void> later = async(() -> {
                    Thread.sleep(100);
                    c.getOutputStream().write("456".getBytes(US_ASCII));
                    return null;
                });
                g.iovec(IOVS, 0, BUF, 6);
                g.ok("sock_recv", cfd, IOVS, 1, 2 /* WAITALL */, RET, RET + 4);
                assertEquals(6, g.i32(RET));
                assertEquals("123456", new String(g.bytes(BUF, 6), US_ASCII));
                later.join();
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    private static boolean pause(ShimGuest g) {
        g.pump(5);
        return true;
    }

    @TransportTest
    void fdReadAndFdWriteWorkOnSockets(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                c.getOutputStream().write("via fd_read".getBytes(US_ASCII));
                g.iovec(IOVS, 0, BUF, 4);
                g.iovec(IOVS, 1, BUF + 4, 100);
                int got = 0;
                while (got < 11) {
                    g.iovec(IOVS, 0, BUF + got, 100);
                    g.ok("fd_read", cfd, IOVS, 1, RET);
                    assertTrue(g.i32(RET) > 0);
                    got += g.i32(RET);
                }
                assertEquals("via fd_read", new String(g.bytes(BUF, 11), US_ASCII));

                int n = g.ciovecs("via ".getBytes(US_ASCII), "fd_write".getBytes(US_ASCII));
                g.ok("fd_write", cfd, IOVS, n, RET);
                assertEquals(12, g.i32(RET));
                CompletableFuture<byte[]> echoed = async(() -> c.getInputStream().readNBytes(12));
                assertEquals("via fd_write", new String(g.pumpUntil(echoed), US_ASCII));
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void nonBlockingConnectToAClosedPortReportsTheErrorLater(Transport t) throws Exception {
        int port = closedPort();
        try (ShimGuest g = ShimGuest.open(t)) {
            int fd = g.openStream();
            g.setFlags(fd, NONBLOCK);
            g.addrIn(ADDR_IN, port);
            int errno = g.call("sock_connect", fd, ADDR_IN);
            if (errno == Errno.INPROGRESS.code()) {
                // wait for the outcome as libc does: poll for writability, then read SO_ERROR
                g.zero(EVENTS, 96);
                g.putI64(EVENTS, 1);
                g.putU8(EVENTS + 8, 2);           // fd_write
                g.putI32(EVENTS + 16, fd);
                g.putI64(EVENTS + 48, 2);
                g.putU8(EVENTS + 48 + 8, 0);      // clock, 2 s
                g.putI32(EVENTS + 48 + 16, 1);
                g.putI64(EVENTS + 48 + 24, 2_000_000_000L);
                g.ok("poll_oneoff", EVENTS, EVENTS + 256, 2, RET);
                assertEquals(1, g.i64(EVENTS + 256), "the fd_write subscription fired, not the clock");
                g.ok("sock_get_opt_size", fd, 11 /* LastError */, OPT);
                assertEquals(Errno.CONNREFUSED.code(), g.i64(OPT), "SO_ERROR after a refused non-blocking connect");
            } else {
                assertEquals(Errno.CONNREFUSED, Errno.of(errno), "a non-blocking connect either is in progress or fails");
            }
            g.ok("sock_status", fd, RET);
            assertEquals(3, g.u8(RET), "Failed");
            g.close(fd);
        }
    }

    @TransportTest
    void recvRightAfterANonBlockingConnectIsAgain(Transport t) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 8, LOOPBACK); ShimGuest g = ShimGuest.open(t)) {
            int fd = g.openStream();
            g.setFlags(fd, NONBLOCK);
            g.addrIn(ADDR_IN, server.getLocalPort());
            int errno = g.call("sock_connect", fd, ADDR_IN);
            assertTrue(errno == 0 || errno == Errno.INPROGRESS.code(), "non-blocking connect: " + Errno.of(errno));
            // Linux (checked natively): EAGAIN whether the handshake is still in flight or done; never ENOTCONN
            assertEquals(Errno.AGAIN, Errno.of(g.tryRecv(fd, 16)), "recv on a connecting non-blocking socket");
            g.close(fd);
        }
    }

    @TransportTest
    void stopEndsABlockedCall(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            // Whether accept waited for the stop, not a clock: a clock misjudged it on a loaded machine.
            var stopCalled = new AtomicBoolean();
            CompletableFuture<Void> stopper = async(() -> {
                Thread.sleep(100);
                stopCalled.set(true);
                g.host.stop();
                return null;
            });
            assertThrows(GuestStoppedException.class,
                    () -> g.call("sock_accept_v2", lfd, 0, RET, ADDR_OUT));
            assertTrue(stopCalled.get(), "accept ended before stop() was called");
            stopper.join();
            // the next blocking call unwinds at once too: at the host, or before it, in the shim's own code,
            // since stop() interrupted this thread
            Throwable next = assertThrows(RuntimeException.class,
                    () -> g.call("sock_accept_v2", lfd, 0, RET, ADDR_OUT));
            assertTrue(WasixHost.isStop(next), () -> "ended with " + next);
        }
    }

    @TransportTest
    void sendTimeoutWhenThePeerDoesNotRead(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                g.setTime(cfd, OPT_SEND_TIMEOUT, 200_000_000L);
                g.iovec(IOVS, 0, BUF, 64 * 1024);
                long sent = 0;
                int errno = 0;
                long lastCallMs = 0;
                // the java client never reads: kernel buffers and then the host's queue fill up
                while (sent < 256L * 1024 * 1024) {
                    long t0 = System.nanoTime();
                    errno = g.call("sock_send", cfd, IOVS, 1, 0, RET);
                    lastCallMs = (System.nanoTime() - t0) / 1_000_000;
                    if (errno != 0) {
                        break;
                    }
                    sent += g.i32(RET);
                }
                assertEquals(Errno.AGAIN, Errno.of(errno), "send past SO_SNDTIMEO after " + sent + " bytes");
                assertTrue(lastCallMs >= 150 && lastCallMs < 2000, "the failing send waited " + lastCallMs + " ms");

                // and a non-blocking send is EAGAIN at once
                g.setFlags(cfd, NONBLOCK);
                long t0 = System.nanoTime();
                g.expect(Errno.AGAIN, "sock_send", cfd, IOVS, 1, 0, RET);
                assertTrue(System.nanoTime() - t0 < 100_000_000L);
                c.setSoLinger(true, 0);
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    // ------------------------------------------------------------------ non-blocking and timeouts

    @TransportTest
    void recvOnANonBlockingSocketIsAgain(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            int port = g.localPort(lfd);
            try (Socket c1 = client(port); Socket c2 = client(port)) {
                // non-blocking from accept_v2's fdflags
                int a = g.accept(lfd, NONBLOCK);
                g.ok("fd_fdstat_get", a, EVENTS);
                assertEquals(NONBLOCK, g.u16(EVENTS + 2) & NONBLOCK, "accept_v2 fdflags reach the new fd");
                long t0 = System.nanoTime();
                assertEquals(Errno.AGAIN, Errno.of(g.tryRecv(a, 100)));
                assertTrue(System.nanoTime() - t0 < 100_000_000L, "a non-blocking recv does not wait");

                // non-blocking set afterwards with fd_fdstat_set_flags
                int b = g.accept(lfd, 0);
                g.setFlags(b, NONBLOCK);
                assertEquals(Errno.AGAIN, Errno.of(g.tryRecv(b, 100)));

                // data makes it readable (give it time to arrive, polling without blocking)
                c1.getOutputStream().write('x');
                int errno = Errno.AGAIN.code();
                long deadline = System.nanoTime() + 2_000_000_000L;
                while (errno == Errno.AGAIN.code() && System.nanoTime() < deadline) {
                    g.pump(5);
                    errno = g.tryRecv(a, 100);
                }
                assertEquals(Errno.SUCCESS, Errno.of(errno));
                assertEquals(1, g.i32(RET));
                g.close(a);
                g.close(b);
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void acceptOnANonBlockingListenerIsAgain(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            g.setFlags(lfd, NONBLOCK);
            long t0 = System.nanoTime();
            g.expect(Errno.AGAIN, "sock_accept_v2", lfd, 0, RET, ADDR_OUT);
            assertTrue(System.nanoTime() - t0 < 100_000_000L, "a non-blocking accept does not wait");
            g.close(lfd);
        }
    }

    @TransportTest
    void aNonBlockingListenerHandsOutNonBlockingConnectionsAsWasmerDoes(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int blocking = g.accept(lfd, 0);
                g.ok("fd_fdstat_get", blocking, EVENTS);
                assertEquals(0, g.u16(EVENTS + 2), "a blocking listener's connection keeps the fdflags asked for");
                g.close(blocking);
            }
            g.setFlags(lfd, NONBLOCK);
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = -1;
                long deadline = System.nanoTime() + 2_000_000_000L;
                while (cfd < 0 && System.nanoTime() < deadline) {
                    if (g.call("sock_accept_v2", lfd, 0, RET, ADDR_OUT) == 0) {
                        cfd = g.i32(RET);
                    } else {
                        Thread.sleep(5);
                    }
                }
                assertTrue(cfd >= 0, "the connection arrives");
                g.ok("fd_fdstat_get", cfd, EVENTS);
                assertEquals(NONBLOCK, g.u16(EVENTS + 2), "fdflags 0, yet NONBLOCK from the listener");
                g.iovec(IOVS, 0, BUF, 16);
                g.expect(Errno.AGAIN, "sock_recv", cfd, IOVS, 1, 0, RET, RET + 4); // nothing sent yet
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void recvTimeout(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                g.setTime(cfd, OPT_RECV_TIMEOUT, 200_000_000L);
                long t0 = System.nanoTime();
                int errno = g.tryRecv(cfd, 100);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(Errno.AGAIN, Errno.of(errno), "recv past SO_RCVTIMEO is EAGAIN, as on Linux");
                assertTrue(ms >= 150 && ms < 2000, "recv timed out after " + ms + " ms, expected ~200");
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void acceptTimeout(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            g.setTime(lfd, OPT_ACCEPT_TIMEOUT, 200_000_000L);
            long t0 = System.nanoTime();
            int errno = g.call("sock_accept_v2", lfd, 0, RET, ADDR_OUT);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(Errno.AGAIN, Errno.of(errno), "accept past its timeout");
            assertTrue(ms >= 150 && ms < 2000, "accept timed out after " + ms + " ms, expected ~200");
            g.close(lfd);
        }
    }

    // ------------------------------------------------------------------ close delivers everything

    @TransportTest
    void closeRightAfterSendingDeliversEveryByte(Transport t) throws Exception {
        byte[] payload = new byte[1 << 20];
        new Random(42).nextBytes(payload);
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                CompletableFuture<byte[]> received = async(() -> c.getInputStream().readAllBytes());
                sendAll(g, cfd, payload);
                g.close(cfd); // at once: queued bytes must still leave, then FIN
                byte[] got = g.pumpUntil(received);
                assertEquals(payload.length, got.length, "bytes the java client received before EOF");
                assertArrayEquals(payload, got);
            }
            g.close(lfd);
        }
    }

    /**
     * A send the kernel must park (a peer with a small window, a small send buffer), then at once a shutdown,
     * and in alternate rounds the close too (the hand-written server's shape: send, shutdown, close, no read).
     * On io_uring all of it goes into the kernel in one run, and only the link keeps the shutdown from
     * overtaking the parked send (its FIN would cut the response short) and the close from overtaking the
     * shutdown (which would then act on a freed, perhaps reused, fd number).
     */
    @TransportTest
    void shutdownAndCloseRightAfterSendingDeliverEveryByte(Transport t) throws Exception {
        byte[] payload = new byte[60_000]; // under the write high-water mark: the guest's send never waits
        new Random(11).nextBytes(payload);
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            for (int round = 0; round < 4; round++) {
                boolean closeAtOnce = round % 2 == 1;
                try (Socket c = new Socket()) {
                    c.setReceiveBufferSize(2048); // a small window, set before connecting
                    c.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(),
                            g.localPort(lfd)), PEER_TIMEOUT_MS);
                    c.setSoTimeout(PEER_TIMEOUT_MS);
                    int cfd = g.accept(lfd, 0);
                    g.ok("sock_set_opt_size", cfd, OPT_SEND_BUF, 4096L); // and a small send buffer: no autotuning
                    assertEquals(payload.length, g.send(cfd, payload));
                    g.ok("sock_shutdown", cfd, SHUT_WR);
                    if (closeAtOnce) {
                        g.close(cfd);
                    }
                    // the peer reads only now: the kernel cannot have taken everything before the shutdown
                    CompletableFuture<byte[]> received = async(() -> c.getInputStream().readAllBytes());
                    byte[] got = g.pumpUntil(received);
                    assertEquals(payload.length, got.length,
                            "bytes the java client received before EOF, round " + round + (closeAtOnce ? " (closed)" : ""));
                    assertArrayEquals(payload, got);
                    if (!closeAtOnce) {
                        g.close(cfd);
                    }
                }
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void hostCloseRightAfterSendingDeliversEveryByte(Transport t) throws Exception {
        byte[] payload = new byte[1 << 20];
        new Random(7).nextBytes(payload);
        CompletableFuture<byte[]> received;
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            Socket c = client(g.localPort(lfd));
            int cfd = g.accept(lfd, 0);
            received = async(() -> {
                try (c) {
                    return c.getInputStream().readAllBytes();
                }
            });
            sendAll(g, cfd, payload);
            // the guest exits without closing anything: host.close() must flush (bounded) before it tears down
        }
        byte[] got = received.get(PEER_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        assertEquals(payload.length, got.length, "bytes the java client received before EOF");
        assertArrayEquals(payload, got);
    }

    private static void sendAll(ShimGuest g, int fd, byte[] payload) {
        int off = 0;
        int chunk = 60_000;
        while (off < payload.length) {
            int len = Math.min(chunk, payload.length - off);
            g.put(BUF, java.util.Arrays.copyOfRange(payload, off, off + len));
            g.iovec(IOVS, 0, BUF, len);
            g.ok("sock_send", fd, IOVS, 1, 0, RET);
            int n = g.i32(RET);
            assertTrue(n > 0 && n <= len, "sock_send reported " + n);
            off += n;
        }
    }

    @TransportTest
    void aLargeInboundTransferArrivesWhole(Transport t) throws Exception {
        byte[] payload = new byte[4 << 20]; // far past the host's inbound high-water mark: reading pauses and resumes
        new Random(3).nextBytes(payload);
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                CompletableFuture<Void> writer = async(() -> {
                    c.getOutputStream().write(payload);
                    c.shutdownOutput();
                    return null;
                });
                g.pump(100); // let the host's queue fill to its limit before the guest reads anything
                byte[] got = g.recvExactly(cfd, payload.length);
                assertArrayEquals(payload, got);
                assertEquals(0, g.recv(cfd, 100).length, "then EOF");
                writer.join();
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    /**
     * Messages that arrive while the guest reads none of them stay whole and in order: on io_uring each one
     * is received into a buffer that the next receive may reuse only once the guest has read it all.
     */
    @TransportTest
    void messagesQueuedUnreadKeepTheirBytes(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                StringBuilder sent = new StringBuilder();
                for (int i = 0; i < 6; i++) {
                    String m = "message-" + i + ";";
                    c.getOutputStream().write(m.getBytes(US_ASCII));
                    sent.append(m);
                    g.pump(20); // the loop runs: the message is received, queued, and the next receive goes out
                }
                g.iovec(IOVS, 0, BUF, 4); // read part of the first only: the rest of its buffer stays queued
                g.ok("sock_recv", cfd, IOVS, 1, 0, RET, RET + 4);
                c.getOutputStream().write("last".getBytes(US_ASCII));
                sent.append("last");
                g.pump(20);
                String got = new String(g.bytes(BUF, g.i32(RET)), US_ASCII)
                        + new String(g.recvExactly(cfd, sent.length() - g.i32(RET)), US_ASCII);
                assertEquals(sent.toString(), got);
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    /**
     * The keep-alive shape, a request then its response, many times over one connection with sizes that vary
     * across the receive buffer's and the reused send buffer's sizes: every byte arrives as sent, both ways.
     */
    @TransportTest
    void requestsAndResponsesInTurnKeepTheirBytes(Transport t) throws Exception {
        Random random = new Random(13);
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                for (int round = 0; round < 60; round++) {
                    byte[] request = new byte[1 + random.nextInt(6000)];
                    random.nextBytes(request);
                    c.getOutputStream().write(request);
                    assertArrayEquals(request, g.recvExactly(cfd, request.length), "request " + round);
                    byte[] response = new byte[1 + random.nextInt(round % 3 == 0 ? 9000 : 300)];
                    random.nextBytes(response);
                    assertEquals(response.length, g.send(cfd, response));
                    CompletableFuture<byte[]> back = async(() -> c.getInputStream().readNBytes(response.length));
                    assertArrayEquals(response, g.pumpUntil(back), "response " + round);
                }
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void bindThenConnectUsesTheBoundPort(Transport t) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 8, LOOPBACK); ShimGuest g = ShimGuest.open(t)) {
            server.setSoTimeout(PEER_TIMEOUT_MS);
            int fd = g.openStream();
            g.addrIn(ADDR_IN, 0);
            g.ok("sock_bind", fd, ADDR_IN);
            int bound = g.localPort(fd);
            CompletableFuture<Integer> seen = async(() -> {
                try (Socket s = server.accept()) {
                    return s.getPort();
                }
            });
            g.addrIn(ADDR_IN, server.getLocalPort());
            g.ok("sock_connect", fd, ADDR_IN);
            assertEquals(bound, g.localPort(fd), "sock_addr_local after connect");
            assertEquals(bound, g.pumpUntil(seen), "the port the server saw");
            g.close(fd);
        }
    }

    @TransportTest
    void closeThenBindTheSamePortAgain(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int first = g.listener();
            int port = g.localPort(first);
            g.close(first);
            // Linux: a closed listener (no connections, so no TIME_WAIT) frees its port at once
            int second = g.openStream();
            g.addrIn(ADDR_IN, port);
            g.ok("sock_bind", second, ADDR_IN);
            g.ok("sock_listen", second, 4);
            try (Socket c = client(port)) {
                int cfd = g.accept(second, 0);
                g.close(cfd);
            }
            g.close(second);
        }
    }

    // ------------------------------------------------------------------ options

    @TransportTest
    void socketOptionsRoundTrip(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);

                for (int opt : new int[] {OPT_NO_DELAY, OPT_KEEP_ALIVE}) {
                    for (int v : new int[] {1, 0, 1}) {
                        g.ok("sock_set_opt_flag", cfd, opt, v);
                        g.putU8(RET, 0x55);
                        g.ok("sock_get_opt_flag", cfd, opt, RET);
                        assertEquals(v, g.u8(RET), "flag option " + opt);
                    }
                }
                g.ok("sock_get_opt_flag", lfd, OPT_LISTENING, RET);
                assertEquals(1, g.u8(RET), "Listening on a listener");
                g.ok("sock_get_opt_flag", cfd, OPT_LISTENING, RET);
                assertEquals(0, g.u8(RET), "Listening on a connection");

                g.ok("sock_set_opt_size", cfd, OPT_RECV_BUF, 65536L);
                g.ok("sock_get_opt_size", cfd, OPT_RECV_BUF, OPT);
                long rcv = g.i64(OPT);
                // Linux doubles the value set (bookkeeping overhead) and reports the doubled value
                assertTrue(rcv >= 65536 && rcv <= 2 * 65536, "RecvBufSize after setting 65536: " + rcv);
                g.ok("sock_set_opt_size", cfd, OPT_SEND_BUF, 65536L);
                g.ok("sock_get_opt_size", cfd, OPT_SEND_BUF, OPT);
                assertTrue(g.i64(OPT) >= 65536 && g.i64(OPT) <= 2 * 65536, "SendBufSize " + g.i64(OPT));

                g.ok("sock_get_opt_size", cfd, OPT_TYPE, OPT);
                assertEquals(1, g.i64(OPT), "Type = Stream");
                g.ok("sock_get_opt_size", cfd, OPT_PROTO, OPT);
                assertEquals(6, g.i64(OPT), "Proto = TCP");

                g.setTime(cfd, OPT_RECV_TIMEOUT, 1_500_000_000L);
                g.putI64(OPT, -1);
                g.putI64(OPT + 8, -1);
                g.ok("sock_get_opt_time", cfd, OPT_RECV_TIMEOUT, OPT);
                assertEquals(1, g.u8(OPT), "Some");
                assertEquals(1_500_000_000L, g.i64(OPT + 8));
                g.setTime(cfd, OPT_RECV_TIMEOUT, -1);
                g.ok("sock_get_opt_time", cfd, OPT_RECV_TIMEOUT, OPT);
                assertEquals(0, g.u8(OPT), "None");

                // unknown options (Promiscuous 9, out of range 99) and bad flag values
                g.expect(Errno.NOPROTOOPT, "sock_set_opt_flag", cfd, 9, 1);
                g.expect(Errno.NOPROTOOPT, "sock_get_opt_flag", cfd, 99, RET);
                g.expect(Errno.NOPROTOOPT, "sock_set_opt_size", cfd, 99, 1L);
                g.expect(Errno.NOPROTOOPT, "sock_get_opt_size", cfd, 99, OPT);
                g.expect(Errno.NOPROTOOPT, "sock_get_opt_time", cfd, 99, OPT);
                g.zero(OPT, 16);
                g.expect(Errno.NOPROTOOPT, "sock_set_opt_time", cfd, 99, OPT);
                g.expect(Errno.INVAL, "sock_set_opt_flag", cfd, OPT_NO_DELAY, 2);
                g.zero(OPT, 16);
                g.putU8(OPT, 2);
                g.expect(Errno.INVAL, "sock_set_opt_time", cfd, OPT_RECV_TIMEOUT, OPT);
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    // ------------------------------------------------------------------ sock_open argument checks

    @TransportTest
    void sockOpenRejectsWhatItCannotServe(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            g.expect(Errno.AFNOSUPPORT, "sock_open", 3, SOCK_STREAM, 0, RET);
            g.expect(Errno.AFNOSUPPORT, "sock_open", 0, SOCK_STREAM, 0, RET);
            g.expect(Errno.NOTSUP, "sock_open", AF_INET4, SOCK_STREAM, 17, RET);
            g.ok("sock_open", AF_INET4, SOCK_STREAM, 6, RET);
            g.close(g.i32(RET));
        }
    }

    // ------------------------------------------------------------------ preview1's sock_accept

    @TransportTest
    void preview1SockAcceptTakesThreeParameters(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                g.putI32(RET, -1);
                g.ok("p1_sock_accept", lfd, 0, RET);
                int cfd = g.i32(RET);
                assertTrue(cfd > lfd, "new fd " + cfd);
                g.ok("sock_addr_peer", cfd, ADDR_OUT);
                assertEquals(c.getLocalPort(), g.addrOut(ADDR_OUT).getPort());

                c.getOutputStream().write("p1".getBytes(US_ASCII));
                assertEquals("p1", new String(g.recvExactly(cfd, 2), US_ASCII));
                // wasix_32v1's 4-parameter sock_accept too
                try (Socket c2 = client(g.localPort(lfd))) {
                    g.ok("sock_accept", lfd, 0, RET, ADDR_OUT);
                    assertEquals(c2.getLocalPort(), g.addrOut(ADDR_OUT).getPort());
                    g.close(g.i32(RET));
                }
                g.close(cfd);
            }
            g.close(lfd);
        }
    }
}

package io.wasix.host;

import static io.wasix.host.ShimGuest.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.abi.Errno;
import io.wasix.host.net.Transport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Socket options where the host once failed: on a connection its peer reset (Netty has closed the channel), an
 * opt_time at the end of memory, and ConnectTimeout on a connect that cannot complete. On every transport.
 */
class SocketOptionsEdgeTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    // ------------------------------------------------------------------ options on a reset connection

    @TransportTest
    void optionsOnAnAcceptedConnectionResetByItsPeer(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            Socket c = client(g.localPort(lfd));
            int cfd = g.accept(lfd, 0);
            c.setSoLinger(true, 0);
            c.close(); // RST
            assertEquals(Errno.CONNRESET, Errno.of(g.tryRecv(cfd, 100)), "recv after the peer's RST");
            everyOptionStillWorks(g, cfd);
            g.close(lfd);
        }
    }

    @TransportTest
    void optionsOnAnOutboundConnectionResetByItsPeer(Transport t) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 8, LOOPBACK); ShimGuest g = ShimGuest.open(t)) {
            server.setSoTimeout(PEER_TIMEOUT_MS);
            CompletableFuture<Void> resetter = async(() -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(PEER_TIMEOUT_MS);
                    s.getInputStream().read(); // reset only once connected: a reset racing the handshake fails the connect
                    s.setSoLinger(true, 0);
                }
                return null;
            });
            int fd = g.connect(server.getLocalPort());
            assertEquals(1, g.send(fd, new byte[] {1}));
            g.pumpUntil(resetter);
            assertEquals(Errno.CONNRESET, Errno.of(g.tryRecv(fd, 100)), "recv after the peer's RST");
            everyOptionStillWorks(g, fd);
        }
    }

    /**
     * As on Linux (checked with native sockets): every option can still be set and read on a socket reset by
     * its peer, and close succeeds; a guest commonly sets linger 0 and closes after an error.
     */
    private static void everyOptionStillWorks(ShimGuest g, int fd) {
        g.pump(20); // let the host finish closing the channel, so the options below meet a closed one
        for (int opt : new int[] {OPT_NO_DELAY, OPT_KEEP_ALIVE}) {
            for (int v : new int[] {1, 0}) {
                g.ok("sock_set_opt_flag", fd, opt, v);
                g.putU8(RET, 0x55);
                g.ok("sock_get_opt_flag", fd, opt, RET);
                assertEquals(v, g.u8(RET), "flag option " + opt + " after a reset");
            }
        }
        for (int opt : new int[] {OPT_RECV_BUF, OPT_SEND_BUF}) {
            g.ok("sock_set_opt_size", fd, opt, 65536L);
            g.putI64(OPT, -1);
            g.ok("sock_get_opt_size", fd, opt, OPT);
            long size = g.i64(OPT);
            // Linux reports the doubled value it keeps for a size set
            assertTrue(size >= 65536 && size <= 2 * 65536, "size option " + opt + " after a reset: " + size);
        }
        g.setTime(fd, OPT_LINGER, 0);
        g.ok("sock_get_opt_time", fd, OPT_LINGER, OPT);
        assertEquals(1, g.u8(OPT), "Linger is Some");
        assertEquals(0, g.i64(OPT + 8), "Linger 0");
        for (int opt : new int[] {OPT_RECV_TIMEOUT, OPT_SEND_TIMEOUT, OPT_CONNECT_TIMEOUT, OPT_LINGER}) {
            g.setTime(fd, opt, 2_000_000_000L);
            g.ok("sock_get_opt_time", fd, opt, OPT);
            assertEquals(2_000_000_000L, g.i64(OPT + 8), "time option " + opt + " after a reset");
            g.setTime(fd, opt, -1);
        }
        g.ok("sock_get_opt_size", fd, 11 /* LastError */, OPT);
        g.ok("sock_get_opt_size", fd, OPT_TYPE, OPT);
        assertEquals(1, g.i64(OPT), "Type = Stream");
        g.ok("sock_status", fd, RET);
        g.close(fd);
    }

    // ------------------------------------------------------------------ bounds of the option structs

    @TransportTest
    void optionStructsAtTheEndOfMemoryAreFaults(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int fd = g.openStream();
            // opt_time is 16 bytes. A None tag in the last byte of memory used to be read and accepted.
            g.putU8(MEMORY_SIZE - 1, 0);
            g.expect(Errno.FAULT, "sock_set_opt_time", fd, OPT_RECV_TIMEOUT, MEMORY_SIZE - 1);
            g.putU8(MEMORY_SIZE - 8, 0);
            g.expect(Errno.FAULT, "sock_set_opt_time", fd, OPT_RECV_TIMEOUT, MEMORY_SIZE - 8);
            g.putU8(MEMORY_SIZE - 15, 1);
            g.expect(Errno.FAULT, "sock_set_opt_time", fd, OPT_RECV_TIMEOUT, MEMORY_SIZE - 15);
            g.expect(Errno.FAULT, "sock_set_opt_time", fd, OPT_RECV_TIMEOUT, -1);
            g.zero(MEMORY_SIZE - 16, 16);
            g.ok("sock_set_opt_time", fd, OPT_RECV_TIMEOUT, MEMORY_SIZE - 16); // the last 16 bytes fit
            g.expect(Errno.FAULT, "sock_get_opt_time", fd, OPT_RECV_TIMEOUT, MEMORY_SIZE - 15);

            // every other sock_* pointer, one byte short of fitting
            g.expect(Errno.FAULT, "sock_get_opt_flag", fd, OPT_NO_DELAY, MEMORY_SIZE);
            g.expect(Errno.FAULT, "sock_get_opt_size", fd, OPT_RECV_BUF, MEMORY_SIZE - 7);
            g.expect(Errno.FAULT, "sock_status", fd, MEMORY_SIZE);
            g.expect(Errno.FAULT, "sock_addr_local", fd, MEMORY_SIZE - 19);
            g.expect(Errno.FAULT, "sock_addr_peer", fd, MEMORY_SIZE - 19);
            g.putU8(MEMORY_SIZE - 19, AF_INET4);
            g.expect(Errno.FAULT, "sock_bind", fd, MEMORY_SIZE - 19);
            g.expect(Errno.FAULT, "sock_connect", fd, MEMORY_SIZE - 19);
            g.expect(Errno.FAULT, "sock_open", AF_INET4, SOCK_STREAM, 0, MEMORY_SIZE - 3);
            int lfd = g.listener();
            g.expect(Errno.FAULT, "sock_accept_v2", lfd, 0, MEMORY_SIZE - 3, ADDR_OUT);
            g.expect(Errno.FAULT, "sock_accept_v2", lfd, 0, RET, MEMORY_SIZE - 19);
            g.iovec(IOVS, 0, BUF, 16);
            g.expect(Errno.FAULT, "sock_recv", fd, IOVS, 1, 0, MEMORY_SIZE - 3, RET);
            g.expect(Errno.FAULT, "sock_recv", fd, IOVS, 1, 0, RET, MEMORY_SIZE - 1);
            g.expect(Errno.FAULT, "sock_recv", fd, MEMORY_SIZE - 7, 1, 0, RET, RET + 4);
            g.expect(Errno.FAULT, "sock_send", fd, IOVS, 1, 0, MEMORY_SIZE - 3);
            g.expect(Errno.FAULT, "sock_send", fd, MEMORY_SIZE - 7, 1, 0, RET);
            g.close(lfd);
            g.close(fd);
        }
    }

    // ------------------------------------------------------------------ ConnectTimeout

    @TransportTest
    void connectTimeoutEndsAConnectThatCannotComplete(Transport t) throws Exception {
        // A listener whose accept queue is full: Linux drops further SYNs, so a connect to it neither completes
        // nor fails until its SYN retries run out (minutes).
        try (ServerSocket full = new ServerSocket(0, 1, LOOPBACK); ShimGuest g = ShimGuest.open(t)) {
            List<Socket> queued = new ArrayList<>();
            try {
                fill(full, queued);
                int fd = g.openStream();
                g.setTime(fd, OPT_CONNECT_TIMEOUT, 300_000_000L);
                g.ok("sock_get_opt_time", fd, OPT_CONNECT_TIMEOUT, OPT);
                assertEquals(300_000_000L, g.i64(OPT + 8));
                g.addrIn(ADDR_IN, full.getLocalPort());
                long t0 = System.nanoTime();
                int errno = g.call("sock_connect", fd, ADDR_IN);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(Errno.TIMEDOUT, Errno.of(errno), "connect past its ConnectTimeout");
                assertTrue(ms >= 250 && ms < 2000, "connect timed out after " + ms + " ms, expected ~300");
                g.ok("sock_status", fd, RET);
                assertEquals(3, g.u8(RET), "a timed-out connect leaves the socket Failed");
                g.close(fd);
            } finally {
                for (Socket s : queued) {
                    s.close();
                }
            }
        }
    }

    /** Connects java.net clients until one no longer completes: the listener's queue is then full. */
    private static void fill(ServerSocket listener, List<Socket> queued) throws Exception {
        for (int i = 0; i < 16; i++) {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(LOOPBACK, listener.getLocalPort()), 200);
                queued.add(s);
            } catch (SocketTimeoutException full) {
                s.close();
                return;
            }
        }
        throw new AssertionError("a backlog-1 listener kept completing connects: cannot make one that hangs");
    }
}

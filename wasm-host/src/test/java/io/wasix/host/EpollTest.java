package io.wasix.host;

import static io.wasix.host.ShimGuest.*;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.abi.Errno;
import io.wasix.host.net.Transport;
import java.net.Socket;

/** epoll_create / epoll_ctl / epoll_wait over real sockets, on every available transport. */
class EpollTest {
    static final int ADD = 0, MOD = 1, DEL = 2;
    /** wasix-libc's epoll_ctl passes Linux's values: EPOLL_CTL_ADD 1 (the witx's MOD), DEL 2, MOD 3. */
    static final int LIBC_ADD = 1, LIBC_DEL = 2, LIBC_MOD = 3;
    static final int IN = 1, OUT = 2, RDHUP = 4, ERR = 16, HUP = 32, ET = 64, ONESHOT = 128;
    /** Where the event given to epoll_ctl is built; epoll_wait writes its results from EVENTS. */
    static final int CTL_EVENT = EVENTS + 2048;
    static final int MAX_EVENTS = 16;

    /** 24 recognisable data bytes for an interest. */
    static byte[] data(int seed) {
        byte[] d = new byte[24];
        for (int i = 0; i < d.length; i++) {
            d[i] = (byte) (seed * 31 + i * 7 + 1);
        }
        return d;
    }

    static int create(ShimGuest g) {
        g.ok("epoll_create", RET);
        return g.i32(RET);
    }

    static void ctl(ShimGuest g, int op, int ep, int fd, int events, byte[] data) {
        ctl(g, Errno.SUCCESS, op, ep, fd, events, data);
    }

    static void ctl(ShimGuest g, Errno expected, int op, int ep, int fd, int events, byte[] data) {
        g.zero(CTL_EVENT, 32);
        g.putI32(CTL_EVENT, events);
        g.put(CTL_EVENT + 8, data);
        g.expect(expected, "epoll_ctl", ep, op, fd, CTL_EVENT);
    }

    /** epoll_wait; returns the number of events (written from EVENTS). */
    static int await(ShimGuest g, int ep, long timeoutMillis) {
        g.putI32(RET + 8, -1);
        g.ok("epoll_wait", ep, EVENTS, MAX_EVENTS, timeoutMillis * 1_000_000L, RET + 8);
        return g.i32(RET + 8);
    }

    static int events(ShimGuest g, int i) {
        return g.i32(EVENTS + i * 32);
    }

    static byte[] dataOf(ShimGuest g, int i) {
        return g.bytes(EVENTS + i * 32 + 8, 24);
    }

    @TransportTest
    void aListenerIsReportedWithItsExactDataWhenAClientConnects(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            int ep = create(g);
            ctl(g, ADD, ep, lfd, IN, data(1));
            assertEquals(0, await(g, ep, 0), "nothing ready before a client connects");
            try (Socket c = client(g.localPort(lfd))) {
                g.zero(EVENTS, 32 * MAX_EVENTS);
                assertEquals(1, await(g, ep, 2000));
                assertEquals(IN, events(g, 0), "events of a listener with a pending connection");
                assertArrayEquals(data(1), dataOf(g, 0), "the 24 data bytes are echoed back unchanged");

                int cfd = g.accept(lfd, 0);
                assertEquals(0, await(g, ep, 0), "accepting the connection clears the listener's IN");
                g.close(cfd);
            }
            g.close(ep);
            g.close(lfd);
        }
    }

    @TransportTest
    void ctlErrors(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            int other = g.openStream();
            int ep = create(g);
            ctl(g, ADD, ep, lfd, IN, data(1));
            ctl(g, Errno.EXIST, ADD, ep, lfd, IN, data(1));
            ctl(g, Errno.NOENT, LIBC_MOD, ep, other, IN, data(2));
            ctl(g, Errno.NOENT, DEL, ep, other, 0, data(2));
            ctl(g, Errno.BADF, ADD, ep, 99, IN, data(2));
            ctl(g, Errno.INVAL, ADD, ep, ep, IN, data(2));           // an epoll set cannot watch itself
            ctl(g, Errno.INVAL, ADD, lfd, other, IN, data(2));       // lfd is not an epoll fd
            ctl(g, Errno.INVAL, 7, ep, other, IN, data(2));          // no such op
            ctl(g, DEL, ep, lfd, 0, data(1));
            ctl(g, Errno.NOENT, DEL, ep, lfd, 0, data(1));
            g.close(ep);
            g.close(other);
            g.close(lfd);
        }
    }

    /**
     * epoll_ctl with the op values wasix-libc passes (Linux's): ADD (1, which wasmer takes as its add-or-replace
     * mod) watches an fd that is not watched yet, and replaces the interest of one that is; MOD (3) changes
     * an interest, ENOENT for an fd not watched; DEL (2) stops watching.
     */
    @TransportTest
    void wasixLibcsOpValuesAddModifyAndDelete(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            int other = g.openStream();
            int ep = create(g);
            ctl(g, LIBC_ADD, ep, lfd, IN, data(1));
            ctl(g, Errno.NOENT, LIBC_MOD, ep, other, IN, data(2));
            try (Socket c = client(g.localPort(lfd))) {
                assertEquals(1, await(g, ep, 2000), "libc's EPOLL_CTL_ADD watches the listener");
                assertArrayEquals(data(1), dataOf(g, 0));
                ctl(g, LIBC_ADD, ep, lfd, IN, data(3));
                assertEquals(1, await(g, ep, 0));
                assertArrayEquals(data(3), dataOf(g, 0), "a second ADD replaced the interest, as on wasmer");
                ctl(g, LIBC_MOD, ep, lfd, IN | ONESHOT, data(4));
                assertEquals(1, await(g, ep, 0));
                assertArrayEquals(data(4), dataOf(g, 0), "libc's EPOLL_CTL_MOD changed the interest");
                assertEquals(0, await(g, ep, 0), "the one-shot it set is disarmed after one report");
                ctl(g, LIBC_MOD, ep, lfd, IN, data(5));
                assertEquals(1, await(g, ep, 0), "MOD re-arms it");
                ctl(g, LIBC_DEL, ep, lfd, 0, data(5));
                assertEquals(0, await(g, ep, 0), "libc's EPOLL_CTL_DEL stopped watching it");
                g.close(g.accept(lfd, 0));
            }
            g.close(ep);
            g.close(other);
            g.close(lfd);
        }
    }

    @TransportTest
    void waitTimeouts(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            int ep = create(g);
            ctl(g, ADD, ep, lfd, IN, data(1));

            long t0 = System.nanoTime();
            assertEquals(0, await(g, ep, 0));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 50, "timeout 0 returned after " + ms + " ms");

            t0 = System.nanoTime();
            assertEquals(0, await(g, ep, 100));
            ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 90 && ms < 1000, "timeout 100 ms returned after " + ms + " ms");
            g.close(ep);
            g.close(lfd);
        }
    }

    @TransportTest
    void edgeTriggeredReportsOncePerArrival(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                int ep = create(g);
                ctl(g, ADD, ep, cfd, IN | ET, data(3));

                c.getOutputStream().write('a');
                assertEquals(1, await(g, ep, 2000));
                assertEquals(IN, events(g, 0));
                assertArrayEquals(data(3), dataOf(g, 0));
                assertEquals(0, await(g, ep, 100), "no new edge while the data is still unread");

                c.getOutputStream().write('b');
                assertEquals(1, await(g, ep, 2000), "new data is a new edge");
                assertEquals(IN, events(g, 0));
                assertEquals(0, await(g, ep, 50));
                assertEquals("ab", new String(g.recvExactly(cfd, 2), US_ASCII));

                // level-triggered, for contrast: reported on every wait while data is unread
                ctl(g, MOD, ep, cfd, IN, data(4));
                c.getOutputStream().write('c');
                assertEquals(1, await(g, ep, 2000));
                assertEquals(1, await(g, ep, 0));
                assertArrayEquals(data(4), dataOf(g, 0));
                g.close(ep);
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void oneShotReportsOnceUntilRearmed(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                int ep = create(g);
                ctl(g, ADD, ep, cfd, IN | ONESHOT, data(5));

                c.getOutputStream().write('a');
                assertEquals(1, await(g, ep, 2000));
                assertArrayEquals(data(5), dataOf(g, 0));
                c.getOutputStream().write('b');
                assertEquals(0, await(g, ep, 100), "disarmed after one report");

                ctl(g, MOD, ep, cfd, IN | ONESHOT, data(6));
                assertEquals(1, await(g, ep, 2000), "re-armed by MOD, still readable");
                assertArrayEquals(data(6), dataOf(g, 0));
                assertEquals(0, await(g, ep, 0));
                g.close(ep);
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void outAndHangupOfAConnection(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            Socket c = client(g.localPort(lfd));
            int cfd = g.accept(lfd, 0);
            int ep = create(g);
            ctl(g, ADD, ep, cfd, IN | OUT | RDHUP, data(7));
            assertEquals(1, await(g, ep, 2000));
            assertEquals(OUT, events(g, 0), "an idle connection is writable only");

            c.shutdownOutput();
            assertEquals(1, await(g, ep, 2000));
            long deadline = System.nanoTime() + 2_000_000_000L;
            while ((events(g, 0) & RDHUP) == 0 && System.nanoTime() < deadline) {
                await(g, ep, 10);
            }
            assertEquals(IN | OUT | RDHUP, events(g, 0), "after the peer's FIN: readable (EOF), writable, RDHUP");
            c.close();
            g.close(ep);
            g.close(cfd);
            g.close(lfd);
        }
    }

    /** The events epoll reports for {@code fd} right now (interest IN|OUT|RDHUP, level-triggered). */
    static int readiness(ShimGuest g, int fd) {
        int ep = create(g);
        ctl(g, ADD, ep, fd, IN | OUT | RDHUP, data(0));
        int n = await(g, ep, 20);
        int ev = n == 0 ? 0 : events(g, 0);
        g.close(ep);
        return ev;
    }

    /** Polls readiness until it equals {@code expected} (state changes arrive asynchronously) or 2 s pass. */
    static void assertReadiness(ShimGuest g, int fd, int expected, String state) {
        long deadline = System.nanoTime() + 2_000_000_000L;
        int ev = readiness(g, fd);
        while (ev != expected && System.nanoTime() < deadline) {
            g.pump(10);
            ev = readiness(g, fd);
        }
        assertEquals(names(expected), names(ev), state + " on " + g.transport.label());
    }

    static String names(int ev) {
        StringBuilder b = new StringBuilder();
        String[] n = {"IN", "OUT", "RDHUP", "PRI", "ERR", "HUP"};
        for (int i = 0; i < n.length; i++) {
            if ((ev & (1 << i)) != 0) {
                b.append(b.isEmpty() ? "" : "|").append(n[i]);
            }
        }
        return b.isEmpty() ? "0" : b.toString();
    }

    /** Each expected mask is what Linux's epoll reports for a native socket in the same state (checked natively). */
    @TransportTest
    void readinessMatchesLinuxInEachSocketState(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int fresh = g.openStream();
            assertReadiness(g, fresh, OUT | HUP, "a fresh socket");
            int lfd = g.listener();
            assertReadiness(g, lfd, 0, "an idle listener");

            Socket c = client(g.localPort(lfd));
            assertReadiness(g, lfd, IN, "a listener with a pending connection");
            int cfd = g.accept(lfd, 0);
            assertReadiness(g, cfd, OUT, "an idle connection");
            g.ok("sock_shutdown", cfd, SHUT_WR);
            assertReadiness(g, cfd, OUT, "after shutdown(WR)");
            c.shutdownOutput();
            assertReadiness(g, cfd, IN | OUT | RDHUP | HUP, "after FIN both ways");
            c.close();
            g.close(cfd);

            Socket r = client(g.localPort(lfd));
            int rfd = g.accept(lfd, 0);
            c.close();
            r.setSoLinger(true, 0);
            r.close();
            assertReadiness(g, rfd, IN | OUT | RDHUP | ERR | HUP, "after the peer's RST");
            g.close(rfd);

            int refused = g.openStream();
            g.setFlags(refused, NONBLOCK);
            g.addrIn(ADDR_IN, SocketCallsTest.closedPort());
            int errno = g.call("sock_connect", refused, ADDR_IN);
            if (errno == Errno.INPROGRESS.code()) {
                assertReadiness(g, refused, IN | OUT | RDHUP | ERR | HUP, "after a refused non-blocking connect");
            }
            g.close(refused);
            g.close(fresh);
            g.close(lfd);
        }
    }

    @TransportTest
    void closingAnFdRemovesItFromTheSet(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                int ep = create(g);
                ctl(g, ADD, ep, cfd, IN, data(8));
                c.getOutputStream().write('a');
                assertEquals(1, await(g, ep, 2000));

                g.close(cfd);
                assertEquals(0, await(g, ep, 100), "a closed fd is no longer watched");
                ctl(g, Errno.BADF, DEL, ep, cfd, 0, data(8));
                // the fd number is reused by the next socket, which is not in the set
                int again = g.openStream();
                assertEquals(cfd, again);
                ctl(g, ADD, ep, again, IN, data(9));
                g.close(again);
                g.close(ep);
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void waitArgumentErrors(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int ep = create(g);
            g.expect(Errno.INVAL, "epoll_wait", ep, EVENTS, 0, 0L, RET);
            g.expect(Errno.INVAL, "epoll_wait", 1, EVENTS, 4, 0L, RET);   // stdout is not an epoll fd
            g.expect(Errno.FAULT, "epoll_wait", ep, MEMORY_SIZE - 32, 2, 0L, RET);
            g.close(ep);
        }
    }
}

package io.wasix.host;

import static io.wasix.host.ShimGuest.*;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.abi.Errno;
import io.wasix.host.net.Transport;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;

/** poll_oneoff over clock, fd_read and fd_write subscriptions, on every available transport. */
class PollTest {
    static final int CLOCK = 0, FD_READ = 1, FD_WRITE = 2;
    static final int SUBS = EVENTS, OUT = EVENTS + 1024;

    static void clockSub(ShimGuest g, int index, long userdata, int clockId, long timeoutNanos) {
        int at = SUBS + index * 48;
        g.zero(at, 48);
        g.putI64(at, userdata);
        g.putU8(at + 8, CLOCK);
        g.putI32(at + 16, clockId);
        g.putI64(at + 24, timeoutNanos);
        g.putI64(at + 32, 0);
        g.putU16(at + 40, 0);
    }

    static void fdSub(ShimGuest g, int index, long userdata, int tag, int fd) {
        int at = SUBS + index * 48;
        g.zero(at, 48);
        g.putI64(at, userdata);
        g.putU8(at + 8, tag);
        g.putI32(at + 16, fd);
    }

    /** poll_oneoff over the first {@code n} subscriptions; returns the event count. */
    static int poll(ShimGuest g, int n) {
        g.zero(OUT, 32 * n);
        g.ok("poll_oneoff", SUBS, OUT, n, RET + 8);
        return g.i32(RET + 8);
    }

    record Event(long userdata, int error, int type, long nbytes, int flags) {}

    static Event event(ShimGuest g, int i) {
        int at = OUT + i * 32;
        return new Event(g.i64(at), g.u16(at + 8), g.u8(at + 10), g.i64(at + 16), g.u16(at + 24));
    }

    @TransportTest
    void aClockOnlyPollSleepsForItsTimeout(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            clockSub(g, 0, 0xC10C_C10CL, 1, 100_000_000L);
            long t0 = System.nanoTime();
            assertEquals(1, poll(g, 1));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 95 && ms < 1000, "slept " + ms + " ms for a 100 ms clock");
            assertEquals(new Event(0xC10C_C10CL, 0, CLOCK, 0, 0), event(g, 0));

            // realtime clock too, and the earlier of two clocks wins
            clockSub(g, 0, 1, 0, 500_000_000L);
            clockSub(g, 1, 2, 1, 50_000_000L);
            t0 = System.nanoTime();
            assertEquals(1, poll(g, 2));
            ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 45 && ms < 400, "slept " + ms + " ms, the earlier clock was 50 ms");
            assertEquals(2, event(g, 0).userdata());
        }
    }

    @TransportTest
    void fdReadFiresWhenDataArrives(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                fdSub(g, 0, 11, FD_READ, cfd);
                clockSub(g, 1, 12, 1, 100_000_000L);
                assertEquals(1, poll(g, 2), "nothing to read yet: only the clock fires");
                assertEquals(12, event(g, 0).userdata());

                CompletableFuture<Void> writer = async(() -> {
                    Thread.sleep(100);
                    c.getOutputStream().write("12345".getBytes(US_ASCII));
                    return null;
                });
                clockSub(g, 1, 12, 1, 3_000_000_000L);
                long t0 = System.nanoTime();
                assertEquals(1, poll(g, 2));
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(ms < 2000, "fd_read fired after " + ms + " ms");
                assertEquals(new Event(11, 0, FD_READ, 5, 0), event(g, 0), "nbytes = bytes available");
                writer.join();
                assertEquals("12345", new String(g.recvExactly(cfd, 5), US_ASCII));

                // the peer's FIN: readable, with the hang-up flag
                c.shutdownOutput();
                assertEquals(1, poll(g, 2));
                Event e = event(g, 0);
                assertEquals(11, e.userdata());
                assertEquals(0, e.nbytes());
                assertEquals(1, e.flags(), "FD_READWRITE_HANGUP after the peer's FIN");
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void fdWriteOnAConnectedSocketFiresAtOnce(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                fdSub(g, 0, 21, FD_WRITE, cfd);
                clockSub(g, 1, 22, 1, 2_000_000_000L);
                long t0 = System.nanoTime();
                assertEquals(1, poll(g, 2));
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(ms < 100, "fd_write fired after " + ms + " ms");
                Event e = event(g, 0);
                assertEquals(21, e.userdata());
                assertEquals(0, e.error());
                assertEquals(FD_WRITE, e.type());
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void argumentErrors(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            g.expect(Errno.INVAL, "poll_oneoff", SUBS, OUT, 0, RET);
            g.zero(SUBS, 48);
            g.putU8(SUBS + 8, 3); // no such subscription type
            g.expect(Errno.INVAL, "poll_oneoff", SUBS, OUT, 1, RET);
            clockSub(g, 0, 1, 1, 1);
            g.expect(Errno.FAULT, "poll_oneoff", MEMORY_SIZE - 40, OUT, 1, RET);
            g.expect(Errno.FAULT, "poll_oneoff", SUBS, MEMORY_SIZE - 16, 1, RET);

            // an fd subscription on an unknown fd reports EBADF in its event, at once
            fdSub(g, 0, 31, FD_READ, 99);
            clockSub(g, 1, 32, 1, 2_000_000_000L);
            long t0 = System.nanoTime();
            assertEquals(1, poll(g, 2));
            assertTrue(System.nanoTime() - t0 < 100_000_000L);
            assertEquals(new Event(31, Errno.BADF.code(), FD_READ, 0, 0), event(g, 0));
        }
    }
}

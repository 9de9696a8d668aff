package io.wasix.host;

import static io.wasix.host.EpollTest.ADD;
import static io.wasix.host.EpollTest.ET;
import static io.wasix.host.EpollTest.HUP;
import static io.wasix.host.EpollTest.IN;
import static io.wasix.host.EpollTest.OUT;
import static io.wasix.host.EpollTest.await;
import static io.wasix.host.EpollTest.create;
import static io.wasix.host.EpollTest.ctl;
import static io.wasix.host.EpollTest.data;
import static io.wasix.host.EpollTest.events;
import static io.wasix.host.PollTest.FD_READ;
import static io.wasix.host.PollTest.FD_WRITE;
import static io.wasix.host.PollTest.clockSub;
import static io.wasix.host.PollTest.fdSub;
import static io.wasix.host.PollTest.poll;
import static io.wasix.host.ShimGuest.*;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.abi.Errno;
import io.wasix.host.net.Transport;

/**
 * WASIX fd_pipe: a connected pair, each end reading what the other writes, with Linux's pipe semantics for
 * end of file, EPIPE, NONBLOCK/EAGAIN, the 64 KiB capacity, PIPE_BUF atomicity and poll/epoll readiness, on
 * every available transport (pollers run the transport's loop).
 */
class PipeTest {
    static final int CAPACITY = 64 * 1024, PIPE_BUF = 4096;
    static final int HANGUP = 1;

    /** fd_pipe; returns {fd1, fd2}. */
    static int[] pipe(ShimGuest g) {
        g.ok("fd_pipe", RET, RET + 4);
        return new int[] {g.i32(RET), g.i32(RET + 4)};
    }

    /** fd_write of {@code n} bytes from BUF (whatever they hold); returns the errno, the count at RET + 8. */
    static int write(ShimGuest g, int fd, int n) {
        g.iovec(IOVS, 0, BUF, n);
        g.putI32(RET + 8, -1);
        return g.call("fd_write", fd, IOVS, 1, RET + 8);
    }

    static int writeText(ShimGuest g, int fd, String s) {
        g.put(BUF, s.getBytes(US_ASCII));
        return write(g, fd, s.length());
    }

    /** fd_read into BUF + 65536, at most {@code max} bytes; returns the errno, the count at RET + 8. */
    static int read(ShimGuest g, int fd, int max) {
        g.iovec(IOVS, 0, BUF + 65536, max);
        g.putI32(RET + 8, -1);
        return g.call("fd_read", fd, IOVS, 1, RET + 8);
    }

    static String readText(ShimGuest g, int fd, int max) {
        assertEquals(Errno.SUCCESS.code(), read(g, fd, max));
        return new String(g.bytes(BUF + 65536, g.i32(RET + 8)), US_ASCII);
    }

    @TransportTest
    void eachEndReadsWhatTheOtherWrites(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int[] p = pipe(g);
            assertTrue(p[0] != p[1] && p[0] > 2 && p[1] > 2, "two new fds");
            assertEquals(0, writeText(g, p[1], "to the first"));
            assertEquals(12, g.i32(RET + 8));
            assertEquals(0, writeText(g, p[0], "back"));
            assertEquals("to the first", readText(g, p[0], 100));
            assertEquals("back", readText(g, p[1], 100));

            // scatter and gather: the bytes keep their order across iovecs
            g.put(BUF, "abcdefgh".getBytes(US_ASCII));
            g.iovec(IOVS, 0, BUF, 3);
            g.iovec(IOVS, 1, BUF + 3, 0);
            g.iovec(IOVS, 2, BUF + 3, 5);
            g.ok("fd_write", p[1], IOVS, 3, RET);
            assertEquals(8, g.i32(RET));
            g.iovec(IOVS, 0, BUF + 200, 2);
            g.iovec(IOVS, 1, BUF + 300, 10);
            g.ok("fd_read", p[0], IOVS, 2, RET);
            assertEquals(8, g.i32(RET));
            assertEquals("ab", new String(g.bytes(BUF + 200, 2), US_ASCII));
            assertEquals("cdefgh", new String(g.bytes(BUF + 300, 6), US_ASCII));

            g.ok("fd_fdstat_get", p[0], EVENTS);
            assertEquals(0, g.u8(EVENTS), "filetype UNKNOWN: WASI has no FIFO");
            g.close(p[0]);
            g.close(p[1]);
        }
    }

    @TransportTest
    void endOfFileOnceTheWriterIsClosedAndEpipeOnceTheReaderIs(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int[] p = pipe(g);
            assertEquals(0, writeText(g, p[1], "last words"));
            g.close(p[1]);
            assertEquals("last", readText(g, p[0], 4), "queued data outlives the writer");
            assertEquals(" words", readText(g, p[0], 100));
            assertEquals("", readText(g, p[0], 100), "then end of file: a blocking read returns 0 at once");
            assertEquals(Errno.PIPE.code(), writeText(g, p[0], "x"), "no reader left: EPIPE");
            g.close(p[0]);

            int[] q = pipe(g);
            g.close(q[0]);
            assertEquals(Errno.PIPE.code(), writeText(g, q[1], "x"));
            assertEquals(0, write(g, q[1], 0), "an empty write does not look for a reader, as on Linux");
            assertEquals(0, g.i32(RET + 8));
            g.close(q[1]);
        }
    }

    @TransportTest
    void nonBlockingEndsAnswerEagainAndFillTo64KiB(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int[] p = pipe(g);
            g.setFlags(p[0], NONBLOCK);
            g.setFlags(p[1], NONBLOCK);
            assertEquals(Errno.AGAIN.code(), read(g, p[0], 10), "empty and NONBLOCK: EAGAIN");

            assertEquals(0, write(g, p[1], 100_000), "a large write takes what fits");
            assertEquals(CAPACITY, g.i32(RET + 8));
            assertEquals(Errno.AGAIN.code(), write(g, p[1], 1), "full: EAGAIN");

            assertEquals(0, read(g, p[0], 100));
            assertEquals(100, g.i32(RET + 8));
            assertEquals(Errno.AGAIN.code(), write(g, p[1], 200),
                    "200 bytes (at most PIPE_BUF) go all at once or not at all: only 100 fit");
            assertEquals(0, write(g, p[1], 60));
            assertEquals(60, g.i32(RET + 8));
            assertEquals(0, write(g, p[1], PIPE_BUF + 1), "a write over PIPE_BUF goes in part");
            assertEquals(40, g.i32(RET + 8));

            int drained = 0;
            while (read(g, p[0], 30_000) == 0) {
                drained += g.i32(RET + 8);
            }
            assertEquals(Errno.AGAIN.code(), read(g, p[0], 1));
            assertEquals(CAPACITY, drained, "everything queued comes out, then EAGAIN again");
            g.close(p[0]);
            g.close(p[1]);
        }
    }

    @TransportTest
    void pollReadinessFollowsTheData(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int[] p = pipe(g);
            g.setFlags(p[1], NONBLOCK);
            fdSub(g, 0, 1, FD_READ, p[0]);
            fdSub(g, 1, 2, FD_WRITE, p[1]);
            assertEquals(1, poll(g, 2), "an empty pipe: writable, not readable");
            assertEquals(2, PollTest.event(g, 0).userdata());

            assertEquals(0, writeText(g, p[1], "hello"));
            fdSub(g, 0, 1, FD_READ, p[0]);
            clockSub(g, 1, 3, 1, EventFdTest.MINUTE);
            assertEquals(1, poll(g, 2), "the write woke the poll in the same thread");
            assertEquals(new PollTest.Event(1, 0, FD_READ, 5, 0), PollTest.event(g, 0), "nbytes is what is queued");

            assertEquals(0, write(g, p[1], CAPACITY));
            fdSub(g, 0, 4, FD_WRITE, p[1]);
            clockSub(g, 1, 5, 1, 10_000_000L);
            assertEquals(1, poll(g, 2), "full: not writable, only the clock fires");
            assertEquals(5, PollTest.event(g, 0).userdata());

            g.close(p[1]);
            fdSub(g, 0, 6, FD_READ, p[0]);
            assertEquals(1, poll(g, 1));
            PollTest.Event e = PollTest.event(g, 0);
            assertEquals(6, e.userdata());
            assertEquals(HANGUP, e.flags(), "the writer is gone: hang-up");
            g.close(p[0]);
        }
    }

    @TransportTest
    void epollSeesDataRoomAndHangUp(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int[] p = pipe(g);
            g.setFlags(p[1], NONBLOCK);
            int ep = create(g);
            ctl(g, ADD, ep, p[0], IN | ET, data(1));
            ctl(g, ADD, ep, p[1], OUT, data(2));
            assertEquals(1, await(g, ep, 0));
            assertEquals(OUT, events(g, 0), "only the write end is ready");

            assertEquals(0, write(g, p[1], 10));
            assertEquals(2, await(g, ep, -1), "the reader's edge, and the writer still has room");
            assertEquals(IN, events(g, 0));
            assertEquals(1, await(g, ep, 0), "edge-triggered: no second report for the same data");
            assertEquals(OUT, events(g, 0));
            assertEquals(0, write(g, p[1], CAPACITY - 10));
            assertEquals(1, await(g, ep, -1), "more data is a new edge; the full writer is not ready");
            assertEquals(IN, events(g, 0));
            assertEquals(0, await(g, ep, 0));

            assertEquals(0, read(g, p[0], 10));
            assertEquals(1, await(g, ep, -1), "room again: the writer is ready");
            assertEquals(OUT, events(g, 0));

            g.close(p[1]);
            assertEquals(1, await(g, ep, -1), "the writer closed: a new edge for the reader");
            assertEquals(IN | HUP, events(g, 0), "IN (the end of data to read) and HUP, which is always reported");
            g.close(p[0]);
            g.close(ep);
        }
    }

    @TransportTest
    void aBlockedReadWaitsWithoutSpinningUntilTheGuestIsStopped(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int[] p = pipe(g);
            g.assertWaitsWithoutSpinningUntilStopped("read", () -> read(g, p[0], 10));
        }
    }

    @TransportTest
    void badPointersAreFaultsAndLeakNoFd(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            g.expect(Errno.FAULT, "fd_pipe", RET, MEMORY_SIZE - 2);
            g.expect(Errno.FAULT, "fd_pipe", MEMORY_SIZE, RET);
            int[] p = pipe(g);
            assertEquals(3, p[0], "the failed calls took no fd");
            g.iovec(IOVS, 0, MEMORY_SIZE - 4, 8);
            g.expect(Errno.FAULT, "fd_write", p[1], IOVS, 1, RET);
            assertEquals(0, writeText(g, p[1], "x"));
            g.iovec(IOVS, 0, MEMORY_SIZE - 4, 8);
            g.expect(Errno.FAULT, "fd_read", p[0], IOVS, 1, RET);
            assertEquals("x", readText(g, p[0], 8), "a faulting read loses nothing");
        }
    }
}

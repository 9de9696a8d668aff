package io.wasix.host;

import static io.wasix.host.EpollTest.ADD;
import static io.wasix.host.EpollTest.ET;
import static io.wasix.host.EpollTest.IN;
import static io.wasix.host.EpollTest.OUT;
import static io.wasix.host.EpollTest.await;
import static io.wasix.host.EpollTest.create;
import static io.wasix.host.EpollTest.ctl;
import static io.wasix.host.EpollTest.data;
import static io.wasix.host.EpollTest.dataOf;
import static io.wasix.host.EpollTest.events;
import static io.wasix.host.PollTest.FD_READ;
import static io.wasix.host.PollTest.FD_WRITE;
import static io.wasix.host.PollTest.clockSub;
import static io.wasix.host.PollTest.fdSub;
import static io.wasix.host.PollTest.poll;
import static io.wasix.host.ShimGuest.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wasix.host.abi.Errno;
import io.wasix.host.net.Transport;

/**
 * WASIX fd_event with eventfd(2)'s semantics: reads take the count (or 1, as a semaphore), writes add, the
 * counter saturates below 2^64-1, and pollers (poll_oneoff and epoll_wait) are woken by a write, on every
 * available transport (their loop is the transport's).
 */
class EventFdTest {
    static final int SEMAPHORE = 1;
    static final long MAX = 0xFFFF_FFFF_FFFF_FFFEL;
    /** A clock long enough that a poll ending before the watchdog proves something else woke it. */
    static final long MINUTE = 60_000_000_000L;

    static int eventFd(ShimGuest g, long initial, int flags) {
        g.putI32(RET, -1);
        g.ok("fd_event", initial, flags, RET);
        return g.i32(RET);
    }

    /** fd_write of one u64 (little-endian, as eventfd takes it); returns the errno. */
    static int write64(ShimGuest g, int fd, long value) {
        g.putI64(BUF, value);
        g.iovec(IOVS, 0, BUF, 8);
        return g.call("fd_write", fd, IOVS, 1, RET + 4);
    }

    /** fd_read of one u64; asserts success and 8 bytes. */
    static long read64(ShimGuest g, int fd) {
        g.putI64(BUF + 64, -1);
        g.iovec(IOVS, 0, BUF + 64, 8);
        g.ok("fd_read", fd, IOVS, 1, RET + 4);
        assertEquals(8, g.i32(RET + 4), "an eventfd read moves 8 bytes");
        return g.i64(BUF + 64);
    }

    static int tryRead64(ShimGuest g, int fd) {
        g.iovec(IOVS, 0, BUF + 64, 8);
        return g.call("fd_read", fd, IOVS, 1, RET + 4);
    }

    @TransportTest
    void aNonBlockingWriteWakesPollOneoffInTheSameThread(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int ev = eventFd(g, 0, NONBLOCK);
            fdSub(g, 0, 0xE1, FD_READ, ev);
            clockSub(g, 1, 0xC1, 1, 10_000_000L);
            assertEquals(1, poll(g, 2), "a counter of 0 is not readable: only the clock fires");
            assertEquals(0xC1, PollTest.event(g, 0).userdata());

            assertEquals(Errno.SUCCESS.code(), write64(g, ev, 5));
            fdSub(g, 0, 0xE1, FD_READ, ev);
            clockSub(g, 1, 0xC1, 1, MINUTE);
            assertEquals(1, poll(g, 2), "the written counter makes the event readable at once");
            assertEquals(new PollTest.Event(0xE1, 0, FD_READ, 8, 0), PollTest.event(g, 0));

            assertEquals(5, read64(g, ev));
            fdSub(g, 0, 0xE2, FD_WRITE, ev);
            assertEquals(1, poll(g, 1), "writable while below the maximum");
            assertEquals(0xE2, PollTest.event(g, 0).userdata());
            g.close(ev);
        }
    }

    @TransportTest
    void aNonBlockingWriteWakesEpollWaitInTheSameThread(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int ev = eventFd(g, 0, NONBLOCK);
            int ep = create(g);
            ctl(g, ADD, ep, ev, IN, data(7));
            assertEquals(0, await(g, ep, 0), "nothing to read yet");
            assertEquals(Errno.SUCCESS.code(), write64(g, ev, 1));
            assertEquals(1, await(g, ep, -1), "an infinite wait returns: the event is readable");
            assertEquals(IN, events(g, 0));
            assertArrayEquals(data(7), dataOf(g, 0));
            assertEquals(1, read64(g, ev));
            assertEquals(0, await(g, ep, 0), "read back to 0: no longer readable");

            // edge-triggered: one report per write, even when the counter was never drained
            int et = eventFd(g, 0, NONBLOCK);
            ctl(g, ADD, ep, et, IN | OUT | ET, data(8));
            assertEquals(1, await(g, ep, 0), "the first look reports the current readiness");
            assertEquals(OUT, events(g, 0));
            assertEquals(0, await(g, ep, 0), "no new edge");
            assertEquals(Errno.SUCCESS.code(), write64(g, et, 2));
            assertEquals(1, await(g, ep, -1));
            assertEquals(IN | OUT, events(g, 0));
            assertEquals(0, await(g, ep, 0), "no new edge while the count sits unread");
            assertEquals(Errno.SUCCESS.code(), write64(g, et, 3));
            assertEquals(1, await(g, ep, -1), "a second write is a new edge");
            assertEquals(5, read64(g, et));
            g.close(et);
            g.close(ev);
            g.close(ep);
        }
    }

    @TransportTest
    void aBlockedReadWaitsWithoutSpinningUntilTheGuestIsStopped(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int ev = eventFd(g, 0, 0);
            g.assertWaitsWithoutSpinningUntilStopped("read", () -> tryRead64(g, ev));
        }
    }

    @TransportTest
    void readsTakeTheCountOrOneAsASemaphore(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int ev = eventFd(g, 3, NONBLOCK);
            assertEquals(Errno.SUCCESS.code(), write64(g, ev, 4));
            assertEquals(7, read64(g, ev), "the initial value plus what was written, all at once");
            assertEquals(Errno.AGAIN.code(), tryRead64(g, ev), "0 and NONBLOCK: EAGAIN");

            int sem = eventFd(g, 2, NONBLOCK | SEMAPHORE);
            assertEquals(1, read64(g, sem));
            assertEquals(1, read64(g, sem));
            assertEquals(Errno.AGAIN.code(), tryRead64(g, sem));

            int blocking = eventFd(g, 9, 0);
            assertEquals(9, read64(g, blocking), "a blocking read with a count does not wait");
            g.ok("fd_fdstat_get", blocking, EVENTS);
            assertEquals(0, g.u16(EVENTS + 2), "no NONBLOCK asked, none set");
            g.ok("fd_fdstat_get", ev, EVENTS);
            assertEquals(NONBLOCK, g.u16(EVENTS + 2), "fd_event's NONBLOCK flag is the fd's");
            g.close(blocking);
            g.close(sem);
            g.close(ev);
        }
    }

    @TransportTest
    void theCounterSaturatesAsLinuxDoes(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int ev = eventFd(g, MAX - 1, NONBLOCK);
            assertEquals(Errno.SUCCESS.code(), write64(g, ev, 1), "up to 0xFFFFFFFFFFFFFFFE fits");
            assertEquals(Errno.AGAIN.code(), write64(g, ev, 1), "one more would overflow: EAGAIN");
            assertEquals(Errno.INVAL.code(), write64(g, ev, -1L), "0xFFFFFFFFFFFFFFFF is never a value");
            fdSub(g, 0, 0xE3, FD_WRITE, ev);
            clockSub(g, 1, 0xC3, 1, 10_000_000L);
            assertEquals(1, poll(g, 2), "full: not writable, only the clock fires");
            assertEquals(0xC3, PollTest.event(g, 0).userdata());
            assertEquals(MAX, read64(g, ev));
            assertEquals(Errno.SUCCESS.code(), write64(g, ev, 0), "adding 0 is fine");
            assertEquals(Errno.AGAIN.code(), tryRead64(g, ev), "and leaves the counter at 0");
            g.expect(Errno.INVAL, "fd_event", -1L, 0, RET);
            g.close(ev);
        }
    }

    @TransportTest
    void shortBuffersAndBadPointers(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int ev = eventFd(g, 1, NONBLOCK);
            g.iovec(IOVS, 0, BUF, 7);
            g.expect(Errno.INVAL, "fd_read", ev, IOVS, 1, RET);
            g.expect(Errno.INVAL, "fd_write", ev, IOVS, 1, RET);
            // 8 bytes over two iovecs are still one value, each way
            g.putI64(BUF, 0x0102_0304_0506_0708L);
            g.iovec(IOVS, 0, BUF, 3);
            g.iovec(IOVS, 1, BUF + 3, 5);
            g.ok("fd_write", ev, IOVS, 2, RET);
            g.zero(BUF + 100, 16);
            g.iovec(IOVS, 0, BUF + 100, 5);
            g.iovec(IOVS, 1, BUF + 108, 3);
            g.ok("fd_read", ev, IOVS, 2, RET);
            assertEquals(8, g.i32(RET));
            byte[] got = new byte[8];
            System.arraycopy(g.bytes(BUF + 100, 5), 0, got, 0, 5);
            System.arraycopy(g.bytes(BUF + 108, 3), 0, got, 5, 3);
            assertEquals(1 + 0x0102_0304_0506_0708L, java.nio.ByteBuffer.wrap(got)
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong());
            g.expect(Errno.FAULT, "fd_event", 0, 0, MEMORY_SIZE - 2);
            g.iovec(IOVS, 0, MEMORY_SIZE - 4, 8);
            g.expect(Errno.FAULT, "fd_write", ev, IOVS, 1, RET);
            g.close(ev);
        }
    }
}

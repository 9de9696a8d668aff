package io.wasix.host;

import static io.wasix.host.ShimGuest.*;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.wasm.ChicoryException;
import io.wasix.host.abi.Errno;
import io.wasix.host.net.Transport;
import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.util.List;

/**
 * Bad pointers (EFAULT, never a host exception or a trap), unknown fds (EBADF) and non-sockets (ENOTSOCK); after
 * each, the host keeps working.
 */
class ErrorPathsTest {
    /** A 4-byte write here ends 2 bytes past the end of memory. */
    static final long NEAR_END = MEMORY_SIZE - 2;
    /** A 20-byte address here ends past the end of memory. */
    static final long ADDR_NEAR_END = MEMORY_SIZE - 10;
    /** A huge unsigned pointer: start + length must not wrap around to a small value. */
    static final long HUGE = 0xFFFF_FFF0L;

    @TransportTest
    void sockOpenWithABadResultPointerIsFaultAndLeaksNoFd(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            g.expect(Errno.FAULT, "sock_open", AF_INET4, SOCK_STREAM, 0, NEAR_END);
            g.expect(Errno.FAULT, "sock_open", AF_INET4, SOCK_STREAM, 0, HUGE);
            g.expect(Errno.FAULT, "sock_open", AF_INET4, SOCK_STREAM, 0, MEMORY_SIZE);
            // the next socket gets fd 3: the failed calls opened nothing
            assertEquals(3, g.openStream());
            g.close(3);
        }
    }

    @TransportTest
    void sockBindWithABadAddressPointerIsFault(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int fd = g.openStream();
            g.expect(Errno.FAULT, "sock_bind", fd, ADDR_NEAR_END);
            g.expect(Errno.FAULT, "sock_bind", fd, HUGE);
            g.expect(Errno.FAULT, "sock_connect", fd, ADDR_NEAR_END);
            g.expect(Errno.FAULT, "sock_addr_local", fd, ADDR_NEAR_END);
            g.expect(Errno.FAULT, "sock_status", fd, MEMORY_SIZE);
            // still usable
            g.addrIn(ADDR_IN, 0);
            g.ok("sock_bind", fd, ADDR_IN);
            g.ok("sock_listen", fd, 4);
            assertEquals(true, g.localPort(fd) > 0);
            g.close(fd);
        }
    }

    @TransportTest
    void sockRecvWithBadPointersIsFaultAndLosesNoData(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                c.getOutputStream().write("kept".getBytes(US_ASCII));

                g.iovec(IOVS, 0, MEMORY_SIZE - 100, 1000);                       // buffer runs off the end
                g.expect(Errno.FAULT, "sock_recv", cfd, IOVS, 1, 0, RET, RET + 4);
                g.iovec(IOVS, 0, (int) HUGE, 32);                                 // buffer wraps
                g.expect(Errno.FAULT, "sock_recv", cfd, IOVS, 1, 0, RET, RET + 4);
                g.iovec(IOVS, 0, BUF, 100);
                g.iovec(IOVS, 1, MEMORY_SIZE, 1);                                 // a later iovec is bad
                g.expect(Errno.FAULT, "sock_recv", cfd, IOVS, 2, 0, RET, RET + 4);
                g.expect(Errno.FAULT, "sock_recv", cfd, MEMORY_SIZE - 4, 1, 0, RET, RET + 4); // iovec array
                g.expect(Errno.FAULT, "sock_recv", cfd, HUGE, 1, 0, RET, RET + 4);
                g.iovec(IOVS, 0, BUF, 100);
                g.expect(Errno.FAULT, "sock_recv", cfd, IOVS, 1, 0, NEAR_END, RET + 4);   // nread
                g.expect(Errno.FAULT, "sock_recv", cfd, IOVS, 1, 0, RET, MEMORY_SIZE - 1); // roflags
                g.expect(Errno.FAULT, "sock_send", cfd, IOVS, 1, 0, HUGE);

                // nothing was consumed by the failed calls
                assertEquals("kept", new String(g.recvExactly(cfd, 4), US_ASCII));
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void fdWriteWithBadPointersIsFault(Transport t) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ShimGuest g = ShimGuest.open(t, cfg -> cfg.withStdio(System.in, out, System.err))) {
            g.iovec(IOVS, 0, MEMORY_SIZE - 4, 8);
            g.expect(Errno.FAULT, "fd_write", 1, IOVS, 1, RET);
            g.iovec(IOVS, 0, (int) HUGE, 32);
            g.expect(Errno.FAULT, "fd_write", 1, IOVS, 1, RET);
            g.expect(Errno.FAULT, "fd_write", 1, HUGE, 1, RET);
            g.put(BUF, "ok\n".getBytes(US_ASCII));
            g.iovec(IOVS, 0, BUF, 3);
            g.iovec(IOVS, 1, MEMORY_SIZE, 4);
            g.expect(Errno.FAULT, "fd_write", 1, IOVS, 2, RET);
            g.expect(Errno.FAULT, "fd_write", 1, IOVS, 1, NEAR_END);
            assertEquals(0, out.size(), "a faulting fd_write writes nothing");

            g.ok("fd_write", 1, IOVS, 1, RET);
            assertEquals(3, g.i32(RET));
            assertEquals("ok\n", out.toString(US_ASCII));
        }
    }

    @TransportTest
    void hugeIovecCountsAreAnErrnoNotAHostFailure(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                g.iovec(IOVS, 0, BUF, 1);
                // count * 8 bytes of iovecs run past the end of memory (0x20000000 * 8 wraps to 0 in 32 bits)
                for (long count : new long[] {0x2000_0000L, 0x1000_0000L, 0x4000_0000L, 20_000}) {
                    g.expect(Errno.FAULT, "sock_send", cfd, IOVS, count, 0, RET);
                    g.expect(Errno.FAULT, "sock_recv", cfd, IOVS, count, 0, RET, RET + 4);
                    g.expect(Errno.FAULT, "fd_write", 1, IOVS, count, RET);
                    g.expect(Errno.FAULT, "fd_read", cfd, IOVS, count, RET);
                }
                // the connection still works
                assertEquals(2, g.send(cfd, "ok".getBytes(US_ASCII)));
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void hugeEventCountsAreAnErrnoNotAHostFailure(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            g.ok("epoll_create", RET);
            int ep = g.i32(RET);
            // Linux: maxevents below EP_MAX_EVENTS whose array runs out of the address space is EFAULT
            g.expect(Errno.FAULT, "epoll_wait", ep, EVENTS, 0x0800_0000L, 0L, RET + 4); // * 32 wraps to 0
            g.expect(Errno.FAULT, "epoll_wait", ep, EVENTS, 0x0400_0000L, 0L, RET + 4);
            // poll_oneoff: 0x0555_5556 * 48 wraps in 32 bits; either answer, but an answer
            for (long n : new long[] {0x0555_5556L, 0x0400_0000L}) {
                int errno = g.call("poll_oneoff", EVENTS, BUF, n, RET + 4);
                assertTrue(errno == Errno.FAULT.code() || errno == Errno.INVAL.code(),
                        "poll_oneoff with " + n + " subscriptions: " + Errno.of(errno));
            }
            assertEquals(0, EpollTest.await(g, ep, 0), "epoll still works");
            g.close(ep);
        }
    }

    @TransportTest
    void argsAndClockWithBadPointersAreFault(Transport t) {
        try (ShimGuest g = ShimGuest.open(t, cfg -> cfg.withArgs(List.of("prog", "one", "two")))) {
            g.expect(Errno.FAULT, "args_sizes_get", RET, NEAR_END);
            g.expect(Errno.FAULT, "args_get", HUGE, BUF);
            g.expect(Errno.FAULT, "args_get", EVENTS, MEMORY_SIZE - 4);       // 13 bytes of strings do not fit
            g.expect(Errno.FAULT, "args_get", MEMORY_SIZE - 8, BUF);          // 3 pointers do not fit
            g.expect(Errno.FAULT, "environ_sizes_get", HUGE, RET);
            g.expect(Errno.FAULT, "clock_time_get", 0, 1, NEAR_END);
            g.expect(Errno.FAULT, "clock_time_get", 1, 1, HUGE);
            g.expect(Errno.FAULT, "clock_res_get", 1, MEMORY_SIZE - 7);
            g.expect(Errno.FAULT, "random_get", MEMORY_SIZE - 10, 11);
            g.expect(Errno.FAULT, "random_get", HUGE, 32);
            g.expect(Errno.FAULT, "epoll_create", NEAR_END);
            g.expect(Errno.FAULT, "fd_fdstat_get", 1, MEMORY_SIZE - 23);

            // still working
            g.ok("args_get", EVENTS, BUF);
            assertEquals("one", g.mem.readCString(g.i32(EVENTS + 4)));
            g.ok("clock_time_get", 1, 1, RET);
        }
    }

    @TransportTest
    void unknownFdsAreBadf(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            g.addrIn(ADDR_IN, 1);
            g.put(BUF, "x".getBytes(US_ASCII));
            g.iovec(IOVS, 0, BUF, 1);
            for (long fd : new long[] {99, -1, 3, 65536}) {
                g.expect(Errno.BADF, "sock_bind", fd, ADDR_IN);
                g.expect(Errno.BADF, "sock_connect", fd, ADDR_IN);
                g.expect(Errno.BADF, "sock_listen", fd, 1);
                g.expect(Errno.BADF, "sock_accept_v2", fd, 0, RET, ADDR_OUT);
                g.expect(Errno.BADF, "p1_sock_accept", fd, 0, RET);
                g.expect(Errno.BADF, "sock_recv", fd, IOVS, 1, 0, RET, RET + 4);
                g.expect(Errno.BADF, "sock_send", fd, IOVS, 1, 0, RET);
                g.expect(Errno.BADF, "sock_shutdown", fd, SHUT_WR);
                g.expect(Errno.BADF, "sock_status", fd, RET);
                g.expect(Errno.BADF, "sock_addr_local", fd, ADDR_OUT);
                g.expect(Errno.BADF, "sock_addr_peer", fd, ADDR_OUT);
                g.expect(Errno.BADF, "sock_set_opt_flag", fd, OPT_NO_DELAY, 1);
                g.expect(Errno.BADF, "sock_get_opt_size", fd, OPT_RECV_BUF, OPT);
                g.expect(Errno.BADF, "fd_close", fd);
                g.expect(Errno.BADF, "fd_write", fd, IOVS, 1, RET);
                g.expect(Errno.BADF, "fd_read", fd, IOVS, 1, RET);
                g.expect(Errno.BADF, "fd_fdstat_get", fd, EVENTS);
                g.expect(Errno.BADF, "fd_fdstat_set_flags", fd, NONBLOCK);
            }
        }
    }

    @TransportTest
    void closingTwiceIsBadfAndAClosedSocketIsGone(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            int fd = g.listener();
            g.ok("fd_close", fd);
            g.expect(Errno.BADF, "fd_close", fd);
            g.expect(Errno.BADF, "sock_status", fd, RET);
            g.expect(Errno.BADF, "sock_accept_v2", fd, 0, RET, ADDR_OUT);
        }
    }

    @TransportTest
    void socketCallsOnStdioAreNotSock(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            g.iovec(IOVS, 0, BUF, 1);
            g.expect(Errno.NOTSOCK, "sock_send", 1, IOVS, 1, 0, RET);
            g.expect(Errno.NOTSOCK, "sock_recv", 0, IOVS, 1, 0, RET, RET + 4);
            g.expect(Errno.NOTSOCK, "sock_listen", 2, 1);
            g.expect(Errno.NOTSOCK, "sock_status", 1, RET);
            g.expect(Errno.NOTSOCK, "sock_set_opt_flag", 1, OPT_NO_DELAY, 1);
            // and on an epoll fd
            g.ok("epoll_create", RET);
            int ep = g.i32(RET);
            g.expect(Errno.NOTSOCK, "sock_accept_v2", ep, 0, RET, ADDR_OUT);
            g.close(ep);
        }
    }

    @TransportTest
    void aTrapInTheGuestIsAChicoryExceptionNotAHostFault(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            assertThrows(ChicoryException.class,
                    () -> g.instance.export("spin_store").apply(MEMORY_SIZE - 2, 1));
            // the host is unaffected
            assertEquals(3, g.openStream());
        }
    }
}

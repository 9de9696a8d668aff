package io.wasix.host;

import static io.wasix.host.ShimGuest.*;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.abi.Errno;
import io.wasix.host.net.Transport;
import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** args, environ, clocks, randomness, sched_yield, proc_exit, fdstat and stdio, on every available transport. */
class ProcCallsTest {
    static final List<String> ARGS = List.of("prog", "two words", "ünïcödé", "");
    static final List<String> ENV = List.of("A=1", "PATH=/bin:/usr/bin", "EMPTY=");

    /** Reads a string list the way libc does: sizes_get, then get into a pointer array and a buffer. */
    static List<String> strings(ShimGuest g, String sizesFn, String getFn) {
        g.ok(sizesFn, RET, RET + 4);
        int count = g.i32(RET);
        int bytes = g.i32(RET + 4);
        int ptrs = EVENTS;
        g.ok(getFn, ptrs, BUF);
        List<String> out = new ArrayList<>();
        int end = BUF;
        for (int i = 0; i < count; i++) {
            int p = g.i32(ptrs + i * 4);
            assertTrue(p >= BUF && p < BUF + bytes, "pointer " + i + " inside the buffer");
            int len = 0;
            while (g.u8(p + len) != 0) {
                len++;
            }
            out.add(new String(g.bytes(p, len), UTF_8));
            end = Math.max(end, p + len + 1);
        }
        assertEquals(BUF + bytes, end, "the strings fill exactly the size reported, NULs included");
        return out;
    }

    @TransportTest
    void argsAndEnviron(Transport t) {
        try (ShimGuest g = ShimGuest.open(t, cfg -> cfg.withArgs(ARGS).withEnv(ENV))) {
            g.ok("args_sizes_get", RET, RET + 4);
            assertEquals(4, g.i32(RET));
            int bytes = 0;
            for (String a : ARGS) {
                bytes += a.getBytes(UTF_8).length + 1;
            }
            assertEquals(bytes, g.i32(RET + 4));
            assertEquals(ARGS, strings(g, "args_sizes_get", "args_get"));
            assertEquals(ENV, strings(g, "environ_sizes_get", "environ_get"));
        }
    }

    @TransportTest
    void emptyEnviron(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            g.putI32(RET, -1);
            g.putI32(RET + 4, -1);
            g.ok("environ_sizes_get", RET, RET + 4);
            assertEquals(0, g.i32(RET));
            assertEquals(0, g.i32(RET + 4));
            g.ok("environ_get", EVENTS, BUF);
        }
    }

    @TransportTest
    void clocks(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            g.ok("clock_time_get", 0, 1, RET);
            long realtime = g.i64(RET);
            long wallNanos = System.currentTimeMillis() * 1_000_000L;
            assertTrue(Math.abs(realtime - wallNanos) < 1_000_000_000L,
                    "realtime " + realtime + " vs System.currentTimeMillis " + wallNanos);

            g.ok("clock_time_get", 1, 1, RET);
            long m1 = g.i64(RET);
            Thread.sleep(20);
            g.ok("clock_time_get", 1, 1, RET);
            long m2 = g.i64(RET);
            assertTrue(m1 >= 0, "monotonic is not negative");
            assertTrue(m2 - m1 >= 15_000_000L && m2 - m1 < 2_000_000_000L, "monotonic advanced " + (m2 - m1) + " ns over 20 ms");
            long prev = m2;
            for (int i = 0; i < 100; i++) {
                g.ok("clock_time_get", 1, 1, RET);
                assertTrue(g.i64(RET) >= prev, "monotonic never goes back");
                prev = g.i64(RET);
            }

            for (int clock : new int[] {0, 1}) {
                g.putI64(RET, 0);
                g.ok("clock_res_get", clock, RET);
                long res = g.i64(RET);
                assertTrue(res > 0 && res <= 1_000_000L, "resolution of clock " + clock + ": " + res + " ns");
            }
            g.expect(Errno.INVAL, "clock_time_get", 9, 1, RET);
            g.expect(Errno.INVAL, "clock_res_get", 9, RET);
        }
    }

    @TransportTest
    void randomGetFillsTheBuffer(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            g.zero(BUF, 64);
            g.ok("random_get", BUF, 64);
            byte[] a = g.bytes(BUF, 64);
            assertFalse(Arrays.equals(new byte[64], a), "64 random bytes are not all zero");
            g.ok("random_get", BUF, 64);
            assertFalse(Arrays.equals(a, g.bytes(BUF, 64)), "two draws differ");
            g.ok("random_get", BUF, 0);
        }
    }

    @TransportTest
    void schedYield(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            g.ok("sched_yield");
        }
    }

    @TransportTest
    void procExitUnwindsWithTheCode(Transport t) {
        try (ShimGuest g = ShimGuest.open(t)) {
            GuestExitException e = assertThrows(GuestExitException.class, () -> g.call("proc_exit", 3));
            assertEquals(3, e.code());
        }
    }

    @TransportTest
    void fdstatOfSocketsAndStdio(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            g.ok("fd_fdstat_get", lfd, EVENTS);
            assertEquals(6, g.u8(EVENTS), "filetype of a socket: SOCKET_STREAM");
            assertEquals(0, g.u16(EVENTS + 2), "no flags");

            g.setFlags(lfd, NONBLOCK);
            g.ok("fd_fdstat_get", lfd, EVENTS);
            assertEquals(NONBLOCK, g.u16(EVENTS + 2), "NONBLOCK reflected");
            g.setFlags(lfd, 0);
            g.ok("fd_fdstat_get", lfd, EVENTS);
            assertEquals(0, g.u16(EVENTS + 2), "NONBLOCK cleared");

            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, NONBLOCK);
                g.ok("fd_fdstat_get", cfd, EVENTS);
                assertEquals(6, g.u8(EVENTS));
                assertEquals(NONBLOCK, g.u16(EVENTS + 2), "accept_v2's fdflags");
                assertTrue(g.i64(EVENTS + 8) != 0, "some base rights");
                g.close(cfd);
            }

            g.ok("fd_fdstat_get", 1, EVENTS);
            assertEquals(2, g.u8(EVENTS), "filetype of stdout: CHARACTER_DEVICE");
            g.close(lfd);
        }
    }

    @TransportTest
    void fdWriteReachesTheConfiguredStreams(Transport t) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (ShimGuest g = ShimGuest.open(t, cfg -> cfg.withStdio(System.in, out, err))) {
            int n = g.ciovecs("hello ".getBytes(UTF_8), new byte[0], "wörld\n".getBytes(UTF_8));
            g.ok("fd_write", 1, IOVS, n, RET);
            assertEquals(13, g.i32(RET), "nwritten");
            assertEquals("hello wörld\n", out.toString(UTF_8));

            n = g.ciovecs("oops\n".getBytes(UTF_8));
            g.ok("fd_write", 2, IOVS, n, RET);
            assertEquals("oops\n", err.toString(UTF_8));
            assertEquals("hello wörld\n", out.toString(UTF_8), "stderr does not go to stdout");
            g.expect(Errno.BADF, "fd_write", 0, IOVS, n, RET); // stdin is not writable
        }
    }
}

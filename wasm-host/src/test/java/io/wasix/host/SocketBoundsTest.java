package io.wasix.host;

import static io.wasix.host.ShimGuest.*;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.abi.Errno;
import io.wasix.host.net.Transport;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How much one socket call may hold and how long it may wait (audit items 4, 7, 8 and 11): sends and WAITALL
 * receives over iovecs that add up to ~2 GiB, timeouts on a socket whose connect never completes, zero
 * timeouts, and stdin with NONBLOCK. Real sockets on loopback, the abi-shim guest, every transport.
 */
class SocketBoundsTest {

    /**
     * The shim's whole memory as one iovec, repeated: {@link #HUGE_COUNT} iovecs at {@link #HUGE_IOVS}, so the
     * array fills the memory it points at. Their total is just under 2 GiB.
     */
    private static final int HUGE_IOVS = 8, HUGE_COUNT = (MEMORY_SIZE - HUGE_IOVS) / 8;
    private static final long HUGE_TOTAL = (long) HUGE_COUNT * MEMORY_SIZE;
    /** Far more than the host may hold for one connection (its write high-water mark is 64 KiB). */
    private static final long BOUND = 64L << 20;
    /**
     * A blocking send of 4 x BOUND: enough to show the host waits for room instead of holding the rest, and
     * short enough (every byte is checked) to stay far inside ShimGuest's watchdog on a slow machine.
     */
    private static final int BLOCKING_COUNT = (int) (4 * BOUND / MEMORY_SIZE);
    private static final long BLOCKING_TOTAL = (long) BLOCKING_COUNT * MEMORY_SIZE;

    private static void hugeIovecs(ShimGuest g, int firstPtr, int firstLen) {
        for (int i = 0; i < HUGE_COUNT; i++) {
            g.iovec(HUGE_IOVS, i, 0, MEMORY_SIZE);
        }
        if (firstLen > 0) {
            g.iovec(HUGE_IOVS, 0, firstPtr, firstLen);
        }
    }

    @TransportTest
    void aNonBlockingSendOfTwoGibibytesTakesWhatFitsAndItArrivesIntact(Transport t) throws Exception {
        assertTrue(HUGE_TOTAL > (1L << 31) - 2 * MEMORY_SIZE && HUGE_TOTAL <= Integer.MAX_VALUE, "total " + HUGE_TOTAL);
        nonBlockingHugeWrite(t, "sock_send");
    }

    @TransportTest
    void aNonBlockingFdWriteOfTwoGibibytesOnASocketTakesWhatFits(Transport t) throws Exception {
        nonBlockingHugeWrite(t, "fd_write");
    }

    private static void nonBlockingHugeWrite(Transport t, String call) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                g.setFlags(cfd, NONBLOCK);
                hugeIovecs(g, 0, 0);
                byte[] image = g.bytes(0, MEMORY_SIZE);
                if (call.equals("fd_write")) {
                    g.ok("fd_write", cfd, HUGE_IOVS, HUGE_COUNT, RET);
                } else {
                    g.ok("sock_send", cfd, HUGE_IOVS, HUGE_COUNT, 0, RET);
                }
                int n = g.i32(RET);
                // Linux: a non-blocking send on a socket takes what its buffers hold, and says how much
                assertTrue(n > 0 && n < BOUND, "a non-blocking " + call + " of " + HUGE_TOTAL + " bytes took " + n);
                CompletableFuture<byte[]> got = async(() -> c.getInputStream().readNBytes(n));
                byte[] data = g.pumpUntil(got);
                for (int off = 0; off < n; off += MEMORY_SIZE) {
                    int len = Math.min(MEMORY_SIZE, n - off);
                    assertEquals(-1, Arrays.mismatch(image, 0, len, data, off, off + len), "bytes at " + off);
                }
                c.setSoLinger(true, 0);
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void aBlockingSendOfFourTimesTheBoundToASlowReaderHoldsLittleAndArrivesIntact(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                hugeIovecs(g, 0, 0);
                byte[] image = g.bytes(0, MEMORY_SIZE);
                AtomicLong received = new AtomicLong();
                CompletableFuture<Long> reader = async(() -> {
                    Thread.sleep(300); // slow at first: the host must wait for room, not buffer the rest
                    byte[] buf = new byte[MEMORY_SIZE];
                    InputStream in = c.getInputStream();
                    long at = 0;
                    while (at < BLOCKING_TOTAL) {
                        int want = (int) Math.min(MEMORY_SIZE - at % MEMORY_SIZE, BLOCKING_TOTAL - at);
                        int r = in.read(buf, 0, want);
                        if (r < 0) {
                            break;
                        }
                        int from = (int) (at % MEMORY_SIZE);
                        if (Arrays.mismatch(image, from, from + r, buf, 0, r) != -1) {
                            throw new AssertionError("wrong bytes after " + at);
                        }
                        at += r;
                        received.set(at);
                    }
                    return at;
                });
                long t0 = System.nanoTime();
                g.ok("sock_send", cfd, HUGE_IOVS, BLOCKING_COUNT, 0, RET);
                long inFlight = BLOCKING_TOTAL - received.get();
                long ms = (System.nanoTime() - t0) / 1_000_000;
                // Linux: a blocking send returns once everything is queued
                assertEquals(BLOCKING_TOTAL, Integer.toUnsignedLong(g.i32(RET)), "bytes sent");
                assertTrue(inFlight < BOUND, "the send returned with " + inFlight + " bytes not yet read: the"
                        + " host held them (" + ms + " ms)");
                assertEquals(BLOCKING_TOTAL, (long) g.pumpUntil(reader), "bytes the java client read intact");
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void aWaitAllReceiveOfTwoGibibytesFillsAsDataTricklesIn(Transport t) throws Exception {
        int want = 100_000;
        byte[] payload = new byte[want];
        new java.util.Random(11).nextBytes(payload);
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                CompletableFuture<Void> writer = async(() -> trickle(c.getOutputStream(), payload, true));
                // exactly what will come: WAITALL returns once it has all of it
                g.iovec(IOVS, 0, BUF, 40_000);
                g.iovec(IOVS, 1, BUF + 40_000, want - 40_000);
                long t0 = System.nanoTime();
                g.ok("sock_recv", cfd, IOVS, 2, 2 /* WAITALL */, RET, RET + 4);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(want, g.i32(RET));
                assertArrayEquals(payload, g.bytes(BUF, want));
                assertTrue(ms >= 100, "WAITALL returned after " + ms + " ms, before the trickle ended");
                writer.join();

                // ~2 GiB asked for (the first iovec in BUF, then the whole memory over and over); the peer sends
                // 100 000 bytes in pieces and closes. The host must not allocate what was asked for.
                List<MemoryPoolMXBean> heap = new ArrayList<>();
                for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                    if (p.getType() == MemoryType.HEAP && p.isValid()) {
                        p.resetPeakUsage();
                        heap.add(p);
                    }
                }
                long before = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
                hugeIovecs(g, BUF, want);
                CompletableFuture<Void> closer = async(() -> trickle(c.getOutputStream(), payload, false));
                g.ok("sock_recv", cfd, HUGE_IOVS, HUGE_COUNT, 2 /* WAITALL */, RET, RET + 4);
                long peak = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
                assertEquals(want, g.i32(RET), "WAITALL ends at the peer's FIN with what came");
                assertArrayEquals(payload, g.bytes(BUF, want));
                assertTrue(peak - before < (512L << 20), "heap peak grew by " + ((peak - before) >> 20) + " MiB");
                closer.join();
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    // ------------------------------------------------------------------ timeouts (items 7 and 8)

    /**
     * A loopback listener whose accept queue is full and never drained: Linux then drops new SYNs (it does not
     * refuse them), so a connect to it stays in progress, retrying, for as long as the test runs. With backlog
     * 1 the queue takes two connections; the third connect attempt times out, which is how we know it is full.
     */
    private static ServerSocket fullListener(List<Socket> fillers) throws Exception {
        ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        for (int i = 0; i < 16; i++) {
            Socket f = new Socket();
            try {
                f.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()), 300);
                fillers.add(f);
            } catch (SocketTimeoutException full) {
                f.close();
                return server;
            }
        }
        server.close();
        throw new AssertionError("16 connections did not fill a backlog of 1: this kernel does not drop SYNs on a"
                + " full accept queue, so the test has no connect that stays in progress");
    }

    @TransportTest
    void recvAndSendOnASocketStillConnectingEndAtTheirTimeouts(Transport t) throws Exception {
        List<Socket> fillers = new ArrayList<>();
        try (ShimGuest g = ShimGuest.open(t); ServerSocket server = fullListener(fillers)) {
            int fd = g.openStream();
            g.setFlags(fd, NONBLOCK);
            g.addrIn(ADDR_IN, server.getLocalPort());
            g.expect(Errno.INPROGRESS, "sock_connect", fd, ADDR_IN);
            g.setFlags(fd, 0);
            // Linux: SO_RCVTIMEO and SO_SNDTIMEO bound the wait for the handshake too, then EAGAIN
            g.setTime(fd, OPT_RECV_TIMEOUT, 200_000_000L);
            long t0 = System.nanoTime();
            assertEquals(Errno.AGAIN, Errno.of(g.tryRecv(fd, 16)), "recv on a socket still connecting");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 150 && ms < 2000, "recv waited " + ms + " ms, its timeout is 200");

            g.setTime(fd, OPT_SEND_TIMEOUT, 200_000_000L);
            g.ciovecs("x".getBytes(US_ASCII));
            t0 = System.nanoTime();
            g.expect(Errno.AGAIN, "sock_send", fd, IOVS, 1, 0, RET);
            ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 150 && ms < 2000, "send waited " + ms + " ms, its timeout is 200");
            g.ok("sock_status", fd, RET);
            assertEquals(0, g.u8(RET), "still Opening");
            g.close(fd);
        } finally {
            for (Socket f : fillers) {
                f.close();
            }
        }
    }

    @TransportTest
    void aZeroRecvTimeoutMeansNoTimeout(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                g.setTime(cfd, OPT_RECV_TIMEOUT, 0);
                g.ok("sock_get_opt_time", cfd, OPT_RECV_TIMEOUT, OPT);
                assertEquals(1, g.u8(OPT), "Some(0) reads back as set");
                assertEquals(0, g.i64(OPT + 8));
                CompletableFuture<Void> later = async(() -> {
                    Thread.sleep(300);
                    c.getOutputStream().write('z');
                    return null;
                });
                long t0 = System.nanoTime();
                // Linux: a zero SO_RCVTIMEO is no timeout, so recv waits for the byte (wasmer: EAGAIN at once)
                assertEquals("z", new String(g.recv(cfd, 16), US_ASCII));
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(ms >= 200, "recv returned after " + ms + " ms, the byte came at ~300");
                later.join();
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    @TransportTest
    void aZeroSendTimeoutMeansNoTimeout(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                g.setTime(cfd, OPT_SEND_TIMEOUT, 0);
                // fill the kernel's buffers and the host's: non-blocking sends until EAGAIN
                g.setFlags(cfd, NONBLOCK);
                hugeIovecs(g, 0, 0);
                long queued = 0;
                int errno = 0;
                for (int i = 0; i < 1000 && errno == 0; i++) {
                    errno = g.call("sock_send", cfd, HUGE_IOVS, HUGE_COUNT, 0, RET);
                    queued += errno == 0 ? g.i32(RET) : 0;
                    g.pump(1);
                    hugeIovecs(g, 0, 0); // the pump's subscription overwrote some of them
                }
                assertEquals(Errno.AGAIN, Errno.of(errno), "after " + queued + " bytes");
                long total = queued + 1000;
                CompletableFuture<Long> drain = async(() -> {
                    Thread.sleep(300);
                    return c.getInputStream().transferTo(OutputStream.nullOutputStream());
                });
                g.setFlags(cfd, 0);
                g.iovec(IOVS, 0, BUF, 1000);
                long t0 = System.nanoTime();
                g.ok("sock_send", cfd, IOVS, 1, 0, RET); // waits for the reader, not EAGAIN at once
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(1000, g.i32(RET));
                assertTrue(ms >= 200, "send returned after " + ms + " ms, the reader started at ~300");
                g.close(cfd);
                assertEquals(total, (long) g.pumpUntil(drain), "bytes the reader got");
            }
            g.close(lfd);
        }
    }

    // ------------------------------------------------------------------ stdin (item 11)

    /**
     * stdin is a real pipe here: the read end of a {@code cat} child's stdout, read through the JDK's
     * FileInputStream as the launcher reads System.in, with the test writing into cat.
     */
    @TransportTest
    void nonBlockingStdinIsAgainUntilAByteIsReady(Transport t) throws Exception {
        Process cat = new ProcessBuilder("cat").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (ShimGuest g = ShimGuest.open(t, cfg -> cfg.withStdio(cat.getInputStream(), System.out, System.err))) {
            OutputStream feed = cat.getOutputStream();
            g.setFlags(0, NONBLOCK);
            g.iovec(IOVS, 0, BUF, 100);
            long t0 = System.nanoTime();
            g.expect(Errno.AGAIN, "fd_read", 0, IOVS, 1, RET);
            assertTrue(System.nanoTime() - t0 < 100_000_000L, "a non-blocking stdin read does not wait");

            feed.write("hello\n".getBytes(US_ASCII));
            feed.flush();
            int errno = Errno.AGAIN.code();
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (errno == Errno.AGAIN.code() && System.nanoTime() < deadline) {
                g.pump(5);
                errno = g.call("fd_read", 0, IOVS, 1, RET);
            }
            assertEquals(Errno.SUCCESS, Errno.of(errno), "stdin read once cat passed the bytes on");
            assertEquals("hello\n", new String(g.bytes(BUF, g.i32(RET)), US_ASCII));

            // blocking again: waits for the next bytes, then reads the end of input as 0
            g.setFlags(0, 0);
            CompletableFuture<Void> later = async(() -> {
                Thread.sleep(100);
                feed.write("bye".getBytes(US_ASCII));
                feed.close();
                return null;
            });
            StringBuilder got = new StringBuilder();
            for (int i = 0; i < 10; i++) {
                g.ok("fd_read", 0, IOVS, 1, RET);
                if (g.i32(RET) == 0) {
                    break;
                }
                got.append(new String(g.bytes(BUF, g.i32(RET)), US_ASCII));
            }
            assertEquals("bye", got.toString());
            assertEquals(0, g.i32(RET), "end of input");
            later.join();
        } finally {
            cat.destroy();
        }
    }

    @TransportTest
    void aWaitAllReceiveLargerThanTheInboundQueueCompletes(Transport t) throws Exception {
        // 1 MiB, four times the host's inbound high-water mark: the connection stops reading when its queue is
        // full, and WAITALL must let it read again as it drains the queue, or it waits for ever
        byte[] pattern = new byte[MEMORY_SIZE];
        new java.util.Random(5).nextBytes(pattern);
        int reps = 8;
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                CompletableFuture<Void> writer = async(() -> {
                    for (int i = 0; i < reps; i++) {
                        c.getOutputStream().write(pattern);
                    }
                    return null;
                });
                // every iovec is the whole memory: the pattern repeats with the same period, so each piece
                // lands where its copy in the previous period did, and memory ends up holding the pattern
                for (int i = 0; i < reps; i++) {
                    g.iovec(IOVS, i, 0, MEMORY_SIZE);
                }
                g.ok("sock_recv", cfd, IOVS, reps, 2 /* WAITALL */, RET + 60, RET + 56);
                assertEquals(reps * MEMORY_SIZE, g.i32(RET + 60), "WAITALL of " + reps * MEMORY_SIZE + " bytes");
                byte[] mem = g.bytes(0, MEMORY_SIZE);
                // all but the 8 bytes the result and flags were written to after the copy
                assertEquals(-1, Arrays.mismatch(pattern, 0, RET + 56, mem, 0, RET + 56));
                assertEquals(-1, Arrays.mismatch(pattern, RET + 64, MEMORY_SIZE, mem, RET + 64, MEMORY_SIZE));
                writer.join();
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    /** Writes {@code payload} in ten pieces 20 ms apart, then optionally half-closes. */
    private static Void trickle(OutputStream out, byte[] payload, boolean keepOpen) throws Exception {
        int piece = payload.length / 10;
        for (int off = 0; off < payload.length; off += piece) {
            Thread.sleep(20);
            out.write(payload, off, Math.min(piece, payload.length - off));
            out.flush();
        }
        if (!keepOpen) {
            Thread.sleep(20);
            out.close(); // FIN (Socket's stream close closes the socket)
        }
        return null;
    }
}

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
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                g.setFlags(cfd, NONBLOCK);
                hugeIovecs(g, 0, 0);
                byte[] image = g.bytes(0, MEMORY_SIZE);
                g.ok("sock_send", cfd, HUGE_IOVS, HUGE_COUNT, 0, RET);
                int n = g.i32(RET);
                // Linux: a non-blocking send on a socket takes what its buffers hold, and says how much
                assertTrue(n > 0 && n < BOUND, "a non-blocking send of " + HUGE_TOTAL + " bytes took " + n);
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
    void aBlockingSendOfTwoGibibytesToASlowReaderHoldsLittleAndArrivesIntact(Transport t) throws Exception {
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
                    while (at < HUGE_TOTAL) {
                        int want = (int) Math.min(MEMORY_SIZE - at % MEMORY_SIZE, HUGE_TOTAL - at);
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
                g.ok("sock_send", cfd, HUGE_IOVS, HUGE_COUNT, 0, RET);
                long inFlight = HUGE_TOTAL - received.get();
                long ms = (System.nanoTime() - t0) / 1_000_000;
                // Linux: a blocking send returns once everything is queued
                assertEquals(HUGE_TOTAL, Integer.toUnsignedLong(g.i32(RET)), "bytes sent");
                assertTrue(inFlight < BOUND, "the send returned with " + inFlight + " bytes not yet read: the"
                        + " host held them (" + ms + " ms)");
                assertEquals(HUGE_TOTAL, (long) g.pumpUntil(reader), "bytes the java client read intact");
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

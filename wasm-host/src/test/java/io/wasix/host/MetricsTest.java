package io.wasix.host;

import static io.wasix.host.ShimGuest.*;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.abi.Errno;
import io.wasix.host.metrics.Histogram;
import io.wasix.host.metrics.ShardStats;
import io.wasix.host.metrics.SyscallMetrics;
import io.wasix.host.metrics.SyscallStats;
import io.wasix.host.net.Transport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Per-syscall counts, histograms, errors, trace lines and JFR events, after real calls of the shim guest. */
class MetricsTest {

    static SyscallStats stats(SyscallMetrics m, String syscall) {
        return m.snapshot().syscalls().stream().filter(s -> s.syscall().equals(syscall)).findFirst()
                .orElseThrow(() -> new AssertionError(syscall + " not registered"));
    }

    /** A connected pair: the guest's accepted fd (non-blocking), and the java.net peer. */
    record Pair(int fd, Socket peer) {}

    static Pair acceptedNonBlocking(ShimGuest g) throws Exception {
        int l = g.listener();
        CompletableFuture<Socket> peer = async(() -> client(g.localPort(l)));
        int fd = g.accept(l, NONBLOCK);
        return new Pair(fd, g.pumpUntil(peer));
    }

    @TransportTest
    void countsErrorsAndTimeOfRealCalls(Transport t) throws Exception {
        SyscallMetrics m = new SyscallMetrics(3, true, null);
        try (ShimGuest g = ShimGuest.open(t, m)) {
            Pair p = acceptedNonBlocking(g);
            assertEquals(Errno.AGAIN.code(), g.tryRecv(p.fd(), 16));
            assertEquals(Errno.AGAIN.code(), g.tryRecv(p.fd(), 16));
            byte[] payload = new byte[64];
            for (int i = 0; i < 5; i++) {
                assertEquals(64, g.send(p.fd(), payload));
            }
            g.expect(Errno.BADF, "fd_close", 9999);
            g.expect(Errno.FAULT, "sock_send", p.fd(), MEMORY_SIZE - 4, 1, 0, RET);
            p.peer().close();
        }
        ShardStats shard = m.snapshot();
        assertEquals(3, shard.shard());
        assertEquals(1, shard.syscalls().stream().filter(s -> s.syscall().equals("sock_accept")).count(),
                "one counter for a name served by both modules");

        SyscallStats recv = stats(m, "sock_recv");
        assertEquals(2, recv.calls());
        assertEquals(Map.of("EAGAIN", 2L), recv.errorsByName());

        SyscallStats send = stats(m, "sock_send");
        assertEquals(6, send.calls());
        assertEquals(Map.of("EFAULT", 1L), send.errorsByName());
        assertEquals(6, send.histogramCount(), "every call lands in one bucket");
        assertTimeAgreesWithHistogram(send);
        assertTrue(send.maxNanos() > 0 && send.maxNanos() <= send.nanos());
        assertTrue(send.maxNanos() * 6 >= send.nanos(), "the longest of 6 calls is at least their mean");
        assertTrue(send.quantileNanos(0.5) <= send.quantileNanos(0.99));
        assertTrue(send.quantileNanos(0.99) > 0);

        SyscallStats close = stats(m, "fd_close");
        assertTrue(close.calls() >= 1);
        assertEquals(1L, close.errorsByName().get("EBADF"));

        assertEquals(1, stats(m, "sock_accept_v2").calls());
        assertEquals(0, stats(m, "random_get").calls(), "registered, never called");
        assertEquals(0, stats(m, "random_get").histogramCount());
    }

    /** The total time lies between what the buckets' bounds allow: both come from the same durations. */
    static void assertTimeAgreesWithHistogram(SyscallStats s) {
        long[] b = s.buckets();
        long lo = 0, hi = 0;
        for (int i = 0; i < b.length; i++) {
            lo += b[i] * Histogram.lowerBoundNanos(i);
            hi += b[i] * Math.min(Histogram.upperBoundNanos(i), Long.MAX_VALUE / 1024);
        }
        assertTrue(s.nanos() >= lo && s.nanos() <= hi, s.nanos() + " ns outside [" + lo + ", " + hi + "]");
    }

    @Test
    void aHostNobodyReadsCountsNothing() {
        SyscallMetrics m = SyscallMetrics.off();
        try (ShimGuest g = ShimGuest.open(Transport.NIO, m)) {
            g.ok("args_sizes_get", RET, RET + 4);
        }
        assertEquals(List.of(), m.snapshot().syscalls());
    }

    @Test
    void anotherThreadReadsPublishedCountsWhileTheGuestCalls() throws Exception {
        SyscallMetrics m = new SyscallMetrics(0, true, null);
        int n = 20_000;
        AtomicBoolean done = new AtomicBoolean();
        // The guest starts calling once the reader reads: on a loaded machine the reader's thread could
        // otherwise first run after all 20,000 calls, and the test would read nothing while the guest calls.
        java.util.concurrent.CountDownLatch reading = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<Long> reader = async(() -> {
            long last = 0, reads = 0;
            while (!done.get()) {
                reading.countDown();
                long now = m.snapshot().syscalls().stream().filter(s -> s.syscall().equals("args_sizes_get"))
                        .mapToLong(SyscallStats::calls).sum(); // 0 until the host has registered it
                if (now < last) {
                    throw new AssertionError("count went back from " + last + " to " + now);
                }
                last = now;
                reads++;
            }
            return reads;
        });
        try (ShimGuest g = ShimGuest.open(Transport.NIO, m)) {
            reading.await();
            for (int i = 0; i < n; i++) {
                g.call("args_sizes_get", RET, RET + 4);
            }
        } finally {
            done.set(true);
        }
        assertTrue(reader.get() > 0);
        assertEquals(n, stats(m, "args_sizes_get").calls());
        assertEquals(n, stats(m, "args_sizes_get").histogramCount());
    }

    @Test
    void quantilesInterpolateInsideTheirBucket() {
        long[] buckets = new long[Histogram.BUCKETS];
        buckets[3] = 100; // (512, 1024] ns
        SyscallStats s = new SyscallStats("x", 100, 75_000, 1_000, buckets, new long[Errno.values().length]);
        assertEquals(768, s.quantileNanos(0.5), 0.001);
        assertEquals(1000, s.quantileNanos(1.0), 0.001, "never above the longest call");
        assertEquals(0, new SyscallStats("x", 0, 0, 0, new long[Histogram.BUCKETS],
                new long[Errno.values().length]).quantileNanos(0.99));
    }

    @Test
    void traceLinesNameTheCallItsArgumentsErrnoAndTime() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SyscallMetrics m = new SyscallMetrics(1, false, new PrintStream(out, true, US_ASCII));
        try (ShimGuest g = ShimGuest.open(Transport.NIO, m)) {
            g.expect(Errno.BADF, "fd_close", 9999);
            g.ok("args_sizes_get", RET, RET + 4);
            assertThrows(GuestExitException.class, () -> g.call("proc_exit", 3));
        }
        List<String> lines = out.toString(US_ASCII).lines().toList();
        assertEquals(3, lines.size(), String.join("\n", lines));
        String time = " \\d+(\\.\\d)?(us|ms)";
        assertMatches("\\[shard 1\\] fd_close\\(fd=9999\\) = EBADF" + time, lines.get(0));
        assertMatches("\\[shard 1\\] args_sizes_get\\(0, 4\\) = SUCCESS" + time, lines.get(1));
        assertMatches("\\[shard 1\\] proc_exit\\(3\\) ended the guest" + time, lines.get(2));
        assertEquals(List.of(), m.snapshot().syscalls(), "tracing alone does not count");
    }

    static void assertMatches(String regex, String line) {
        assertTrue(Pattern.matches(regex, line), line + "\n  does not match " + regex);
    }

    @Test
    void jfrRecordsTheFamiliesARecordingEnables(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("syscalls.jfr");
        try (Recording r = new Recording(); ShimGuest g = ShimGuest.open(Transport.NIO, SyscallMetrics.off())) {
            r.enable("wasix.SocketSyscall");
            r.enable("wasix.FileSyscall");
            r.start();
            Pair p = acceptedNonBlocking(g);
            assertEquals(Errno.AGAIN.code(), g.tryRecv(p.fd(), 16));
            g.expect(Errno.BADF, "fd_close", 9999);
            g.ok("args_sizes_get", RET, RET + 4); // a process call: its family is not enabled
            r.stop();
            r.dump(file);
            p.peer().close();
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().startsWith("wasix.")).toList();
        RecordedEvent recv = only(events, "sock_recv");
        assertEquals("wasix.SocketSyscall", recv.getEventType().getName());
        assertEquals("EAGAIN", recv.getString("errno"));
        assertTrue(recv.getInt("fd") > 2, "the connection's fd: " + recv.getInt("fd"));
        assertFalse(recv.getDuration().isNegative());
        RecordedEvent close = only(events, "fd_close");
        assertEquals("wasix.FileSyscall", close.getEventType().getName());
        assertEquals(9999, close.getInt("fd"));
        assertEquals("EBADF", close.getString("errno"));
        assertEquals(-1, only(events, "sock_open").getInt("fd"), "sock_open acts on no fd");
        assertTrue(events.stream().noneMatch(e -> e.getEventType().getName().equals("wasix.ProcSyscall")),
                "process calls were not enabled");
    }

    @Test
    void jfrSyscallEventsAreOffInTheDefaultSettings(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("default.jfr");
        try (Recording r = new Recording(Configuration.getConfiguration("default"));
                ShimGuest g = ShimGuest.open(Transport.NIO, SyscallMetrics.off())) {
            r.start();
            g.expect(Errno.BADF, "fd_close", 9999);
            g.ok("args_sizes_get", RET, RET + 4);
            r.stop();
            r.dump(file);
        }
        assertTrue(Files.size(file) > 0);
        assertTrue(RecordingFile.readAllEvents(file).stream()
                .noneMatch(e -> e.getEventType().getName().startsWith("wasix.")));
    }

    static RecordedEvent only(List<RecordedEvent> events, String syscall) {
        List<RecordedEvent> l = events.stream().filter(e -> syscall.equals(e.getString("syscall"))).toList();
        assertEquals(1, l.size(), syscall + " events: " + l);
        return l.get(0);
    }
}

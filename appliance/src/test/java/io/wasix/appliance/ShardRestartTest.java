package io.wasix.appliance;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.appliance.boot.BootClock;
import io.wasix.appliance.boot.BootReport;
import io.wasix.appliance.module.GuestModule;
import io.wasix.appliance.supervise.RestartPolicy;
import io.wasix.host.HostConfig;
import io.wasix.host.HostEvents;
import io.wasix.host.metrics.SyscallMetrics;
import io.wasix.host.net.Transport;
import io.wasix.host.net.TransportChoice;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A shard's lifecycle as /readyz sees it: each run's listener is reported bound, and a run that ends (a trap,
 * before its restart; the last run, when the shard stops) reports its listeners gone, so readiness drops
 * between a failure and the restarted guest's bind. The crashy test guest, on every transport.
 */
@Timeout(60)
class ShardRestartTest {
    @ParameterizedTest
    @EnumSource(Transport.class)
    void aTrappedRunReportsItsListenersGoneBeforeTheRestartBindsAgain(Transport transport) throws Exception {
        String why = transport.unavailabilityCause() == null ? null : String.valueOf(transport.unavailabilityCause());
        if (why == null) {
            try {
                TransportChoice.choose(transport);
            } catch (Throwable e) {
                why = e.getMessage();
            }
        }
        String unavailable = why;
        Assumptions.assumeTrue(unavailable == null, () -> "transport " + transport.label() + " unavailable: " + unavailable);
        int port = freePort();
        HostConfig config = HostConfig.of(transport)
                .withEnv(List.of("PORT=" + port))
                .withStdio(InputStream.nullInputStream(), OutputStream.nullOutputStream(), new ByteArrayOutputStream())
                .withForceReuseAddr(true);
        List<String> log = new ArrayList<>();
        HostEvents events = new HostEvents() {
            @Override
            public void listenerBound(InetSocketAddress local) {
                record(log, "bound");
            }

            @Override
            public void firstResponse() {}
        };
        CompletableFuture<Outcome> ended = new CompletableFuture<>();
        Shard shard = new Shard(0, GuestModule.load("src/test/guests/crashy.wasm", false), config,
                new SyscallMetrics(0, false, null), new CountDownLatch(1), ended::complete,
                new BootReport(BootClock.ofThisProcess(), new PrintStream(OutputStream.nullOutputStream())), events,
                () -> record(log, "gone"), RestartPolicy.DEFAULT);
        Thread thread = shard.start();
        try {
            awaitLog(log, 1);
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.getOutputStream().write("XGET / HTTP/1.1\r\n\r\n".getBytes(US_ASCII));
                s.setSoTimeout(10_000);
                assertEquals(-1, s.getInputStream().read(), "the trapped run's connection is closed");
            }
            awaitLog(log, 3);
            assertEquals(List.of("bound", "gone", "bound"), snapshot(log), "the restart binds after the trap's end");
            assertEquals(1, shard.restarts().snapshot().stream()
                    .filter(c -> c.labels().contains("trap")).mapToLong(c -> c.value()).sum());
        } finally {
            shard.stopGracefully(0);
            shard.stop();
            thread.join(10_000);
        }
        assertTrue(ended.get(10, TimeUnit.SECONDS) instanceof Outcome.Stopped, () -> "ended " + ended.join());
        assertEquals(List.of("bound", "gone", "bound", "gone"), snapshot(log), "the last run's end too");
    }

    private static void record(List<String> log, String what) {
        synchronized (log) {
            log.add(what);
            log.notifyAll();
        }
    }

    private static List<String> snapshot(List<String> log) {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    /** Waits (bounded by the class's timeout) until {@code log} holds at least {@code n} entries. */
    private static void awaitLog(List<String> log, int n) throws InterruptedException {
        synchronized (log) {
            while (log.size() < n) {
                log.wait(100);
            }
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}

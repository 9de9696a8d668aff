package io.wasix.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.ThreadedGuest.Mode;
import io.wasix.host.net.Transport;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Sockets of a threaded guest, on every transport: calls from any thread on shared fds, several threads
 * blocked at once, and waits in one thread ended by calls in another.
 */
class ThreadedSocketsTest {
    /** A guest thread blocked in sock_accept wakes when another thread closes the listener: EBADF. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    @Timeout(60)
    void anAcceptIsEndedByACloseInAnotherThread(Transport t) throws Exception {
        var r = ThreadedGuest.run("threads.wasm", Mode.COMPILED, t, "accept-close");
        assertEquals(List.of("close errno 0", "accept errno 8"), r.lines(), r.stderr());
        assertEquals(0, r.exitCode());
    }

    /**
     * A guest thread blocked in epoll_wait wakes for a connect made by another thread; blocked in poll_oneoff,
     * for its send; in epoll_wait on a one-shot interest, for its send, then for its epoll_ctl that re-arms
     * the interest (no IO at all: the host itself must wake the waiter); then for its close (RDHUP).
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    @Timeout(60)
    void epollAndPollAreWokenByAConnectASendAndACloseInAnotherThread(Transport t) throws Exception {
        var r = ThreadedGuest.run("threads.wasm", Mode.COMPILED, t, "wake-ups");
        assertEquals(List.of("connect woke epoll_wait, events 1", "send woke poll_oneoff, nbytes 4", "received 4",
                "send woke epoll_wait, events 1", "epoll_ctl MOD woke epoll_wait, events 1", "received 1",
                "close woke epoll_wait, rdhup 1"), r.lines(), r.stderr());
        assertEquals(0, r.exitCode());
    }

    /**
     * A graceful stop while one thread waits in accept and another is still answering a connection: the
     * answer goes out whole, then the guest stops. (The wait for new work may not end the guest while another
     * thread serves a connection.)
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    @Timeout(60)
    void aGracefulStopLetsAnotherThreadFinishItsAnswer(Transport t) throws Exception {
        try (ThreadedGuest g = ThreadedGuest.start("threads.wasm", t, c -> c, "slow-reply")) {
            int port = Integer.parseInt(g.stdout.awaitLine("port ", 10_000).substring(5));
            try (Socket s = ShimGuest.client(port)) {
                s.getOutputStream().write("request".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                Thread.sleep(100); // the worker has the request and sleeps 300 ms before it answers
                g.host.stopGracefully(5_000_000_000L);
                assertEquals("reply", new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII));
            }
            assertInstanceOf(GuestStoppedException.class, g.awaitEnd());
        }
    }

    static final int CLIENTS = 200, ROUNDS = 5;

    /**
     * threaded-echo.wasm (one thread in epoll_wait, two workers doing the receives and sends on shared fds)
     * serves 200 clients at once, each sending messages of several sizes and reading them back whole. Once
     * they are gone, the idle server uses no CPU, and a stop ends all of it.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    @Timeout(120)
    void aThreadedEchoServerServes200ConcurrentClients(Transport t) throws Exception {
        try (ThreadedGuest g = ThreadedGuest.start("threaded-echo.wasm", t, c -> c)) {
            int port = Integer.parseInt(g.stdout.awaitLine("port ", 10_000).substring(5));
            List<CompletableFuture<Integer>> clients = new ArrayList<>();
            AtomicInteger connected = new AtomicInteger();
            for (int c = 0; c < CLIENTS; c++) {
                int id = c;
                clients.add(ShimGuest.async(() -> {
                    try (Socket s = ShimGuest.client(port)) {
                        s.setSoTimeout(30_000);
                        connected.incrementAndGet();
                        while (connected.get() < CLIENTS) {
                            Thread.sleep(1); // all 200 connected at once before anyone talks
                        }
                        OutputStream out = s.getOutputStream();
                        InputStream in = s.getInputStream();
                        int echoed = 0;
                        for (int round = 0; round < ROUNDS; round++) {
                            byte[] msg = message(id, round);
                            out.write(msg);
                            out.flush();
                            byte[] back = in.readNBytes(msg.length);
                            assertArrayEquals(msg, back, "client " + id + " round " + round);
                            echoed += back.length;
                        }
                        s.shutdownOutput();
                        assertEquals(-1, in.read(), "the server closes after the client's end");
                        return echoed;
                    }
                }));
            }
            long total = 0;
            for (int c = 0; c < CLIENTS; c++) {
                total += clients.get(c).get(60, TimeUnit.SECONDS);
            }
            long expected = 0;
            for (int c = 0; c < CLIENTS; c++) {
                for (int round = 0; round < ROUNDS; round++) {
                    expected += message(c, round).length;
                }
            }
            assertEquals(expected, total);

            Thread.sleep(300); // the last closes are done
            long cpu0 = ThreadedGuest.cpuNanos();
            long wall0 = System.nanoTime();
            Thread.sleep(1_000);
            long cpu = ThreadedGuest.cpuNanos() - cpu0;
            long wall = System.nanoTime() - wall0;
            assertTrue(cpu < wall / 20, String.format("the idle server used %.1f ms of CPU in %.0f ms on %s",
                    cpu / 1e6, wall / 1e6, t.label()));
            assertTrue(ThreadedGuest.threadNames().size() >= 4, "main, two workers, I/O: " + ThreadedGuest.threadNames());
            g.host.stop();
            assertInstanceOf(GuestStoppedException.class, g.awaitEnd());
        }
    }

    /** Sizes from a few bytes to past the host's 64 KiB copy scratch, so some echoes take several calls. */
    private static byte[] message(int client, int round) {
        int len = switch (round) {
            case 0 -> 5;
            case 1 -> 700;
            case 2 -> 20_000;
            case 3 -> 100_000;
            default -> 1;
        };
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) (client * 31 + round * 7 + i);
        }
        return b;
    }
}

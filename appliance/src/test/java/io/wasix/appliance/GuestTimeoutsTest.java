package io.wasix.appliance;

import static io.wasix.appliance.KeepaliveGuestTest.GET;
import static io.wasix.appliance.KeepaliveGuestTest.OK_CLOSE;
import static io.wasix.appliance.KeepaliveGuestTest.OK_KEEP;
import static io.wasix.appliance.KeepaliveGuestTest.readN;
import static io.wasix.appliance.KeepaliveGuestTest.readToEof;
import static io.wasix.appliance.KeepaliveGuestTest.write;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.Instance;
import io.wasix.appliance.KeepaliveGuestTest.Server;
import io.wasix.appliance.module.GuestModule;
import io.wasix.host.GuestExitException;
import io.wasix.host.HostConfig;
import io.wasix.host.WasixHost;
import io.wasix.host.net.Transport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The bundled guests against clients that would hold them: the probes of issue 10 (one client sending a
 * byte a second to hello; 2,000 slowloris connections and more connections than the fd table on
 * keepalive), each beside normal clients that must still be served, on every transport. Real guests, real
 * loopback sockets; nothing asserts a duration, only what the clients get (a socket timeout of 10 s bounds
 * every read, far above the guests' timeouts, so a guest that holds on for ever fails the test).
 */
class GuestTimeoutsTest {

    /** A client that sends {@code head} one byte a second from its own thread until told to stop or cut off. */
    static final class ByteASecond implements AutoCloseable {
        final Socket socket;
        final AtomicBoolean cutOff = new AtomicBoolean();
        private final Thread thread;
        private volatile boolean stop;

        ByteASecond(Server server, String head) throws IOException {
            socket = server.connect();
            thread = new Thread(() -> {
                try {
                    for (int i = 0; !stop; i = (i + 1) % head.length()) {
                        socket.getOutputStream().write(head.charAt(i));
                        socket.getOutputStream().flush();
                        Thread.sleep(1000);
                    }
                } catch (IOException e) {
                    cutOff.set(true); // the server closed or reset it
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "byte-a-second");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws Exception {
            stop = true;
            socket.close();
            thread.interrupt();
            thread.join(5_000);
        }
    }

    /** Reads until EOF or a reset: true when the server closed the connection, false when the read timed out. */
    static boolean closedByServer(Socket s) throws IOException {
        try {
            s.getInputStream().readAllBytes();
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true; // reset
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void helloServesOthersWhileOneClientSendsAByteASecond(Transport t) throws Exception {
        try (Server server = new Server(t, "hello", false);
                ByteASecond slow = new ByteASecond(server, "GET / HTTP/1.1\r\nHost: slow\r\nX: " + "y".repeat(8000))) {
            Thread.sleep(300); // the slow client is accepted first and holds the one-at-a-time server
            for (int i = 0; i < 3; i++) {
                try (Socket s = server.connect()) {
                    write(s, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                    assertEquals(OK_CLOSE, readToEof(s), "normal client " + i + " behind a byte-a-second client");
                }
            }
            assertTrue(closedByServer(slow.socket), "the byte-a-second client is cut off at the header timeout");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void helloHonoursAShorterHeaderTimeout(Transport t) throws Exception {
        try (Server server = new Server(t, "hello", false, List.of("HEADER_TIMEOUT=300ms"));
                Socket idle = server.connect()) {
            assertTrue(closedByServer(idle), "a connection that sends nothing is closed");
            try (Socket s = server.connect()) {
                write(s, "GET / HTTP/1.1\r\n");
                Thread.sleep(50);
                write(s, "Host: t\r\n\r\n");
                assertEquals(OK_CLOSE, readToEof(s), "a head in two pieces within the timeout is answered");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void keepaliveDropsSlowlorisConnectionsAndServesOthers(Transport t) throws Exception {
        int n = 2_000;
        try (Server server = new Server(t, "keepalive", false, List.of("HEADER_TIMEOUT=1s"))) {
            List<Socket> slow = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    Socket s = server.connect();
                    write(s, "GET / HTTP/1.1\r\n");
                    slow.add(s);
                }
                // A normal client among them is served at once: the guest is not held by the others.
                try (Socket s = server.connect()) {
                    write(s, GET);
                    assertEquals(OK_KEEP, readN(s, OK_KEEP.length()));
                }
                // Keep trickling header bytes for twice the timeout: bytes of a request already timed do not
                // extend its timeout. Writes to a connection the guest closed fail, which is fine.
                for (int round = 0; round < 8; round++) {
                    for (Socket s : slow) {
                        try {
                            write(s, "X");
                        } catch (IOException e) {
                            // closed by the guest
                        }
                    }
                    Thread.sleep(250);
                }
                for (Socket s : slow) {
                    s.setSoTimeout(10_000);
                    String got = readAllOrReset(s);
                    assertEquals("", got, "closed without an answer, as nginx does");
                }
            } finally {
                for (Socket s : slow) {
                    s.close();
                }
            }
            try (Socket s = server.connect()) {
                write(s, GET);
                assertEquals(OK_KEEP, readN(s, OK_KEEP.length()), "still serving after dropping them");
            }
        }
    }

    /** What the peer sent before it closed (or reset) the connection; fails when it keeps it open. */
    private static String readAllOrReset(Socket s) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try {
            InputStream in = s.getInputStream();
            byte[] b = new byte[512];
            for (int r; (r = in.read(b)) >= 0; ) {
                got.write(b, 0, r);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("a slowloris connection is still open: " + got.toString(US_ASCII));
        } catch (SocketException e) {
            // reset: the trickled bytes reached a closed socket
        }
        return got.toString(US_ASCII);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void keepaliveClosesIdleConnectionsButNotBusyOnes(Transport t) throws Exception {
        try (Server server = new Server(t, "keepalive", false, List.of("KEEPALIVE_TIMEOUT=1s"));
                Socket busy = server.connect(); Socket idle = server.connect()) {
            write(idle, GET);
            assertEquals(OK_KEEP, readN(idle, OK_KEEP.length()));
            for (int i = 0; i < 15; i++) { // 1.5 s of requests 100 ms apart: never idle for the timeout
                write(busy, GET);
                assertEquals(OK_KEEP, readN(busy, OK_KEEP.length()), "request " + i);
                Thread.sleep(100);
            }
            assertTrue(closedByServer(idle), "the idle connection is closed after KEEPALIVE_TIMEOUT");
            assertEquals("", readToEof(idle));
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void keepaliveAnswers503PastItsFdTable(Transport t) throws Exception {
        try (Server server = new Server(t, "keepalive", false, List.of("FD_TABLE_SIZE=16"))) {
            List<Socket> kept = new ArrayList<>();
            int rejected = 0;
            try {
                for (int i = 0; i < 24; i++) {
                    Socket s = server.connect();
                    write(s, GET);
                    String first = readN(s, 12);
                    if (first.equals("HTTP/1.1 200")) {
                        readN(s, OK_KEEP.length() - 12);
                        assertEquals(0, rejected, "connection " + i + " served after one was rejected");
                        kept.add(s);
                    } else {
                        assertEquals("HTTP/1.1 503", first, "connection " + i);
                        String rest = readToEof(s);
                        assertTrue(rest.contains("Connection: close\r\n"), rest);
                        s.close();
                        rejected++;
                    }
                }
                assertTrue(kept.size() >= 8 && kept.size() < 16, "kept " + kept.size());
                assertEquals(24 - kept.size(), rejected);
                // A rejected connection left the table as it was; a freed slot serves again.
                kept.remove(0).close();
                Thread.sleep(100);
                try (Socket s = server.connect()) {
                    write(s, GET);
                    assertEquals(OK_KEEP, readN(s, OK_KEEP.length()));
                }
            } finally {
                for (Socket s : kept) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aBadTimeoutIsOneLineAndExit2() throws Exception {
        for (String guest : List.of("hello", "keepalive")) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            GuestModule module = GuestModule.load(guest, false);
            HostConfig cfg = HostConfig.of(Transport.NIO)
                    .withEnv(List.of("PORT=" + KeepaliveGuestTest.freePort(), "HOST=127.0.0.1", "HEADER_TIMEOUT=10 s"))
                    .withStdio(InputStream.nullInputStream(), OutputStream.nullOutputStream(), err);
            var exit = new java.util.concurrent.CompletableFuture<Integer>();
            var host = new java.util.concurrent.CompletableFuture<WasixHost>();
            Thread t = new Thread(() -> {
                try (WasixHost h = new WasixHost(cfg)) {
                    host.complete(h);
                    Instance i = Instance.builder(module.module()).withImportValues(h.imports())
                            .withMachineFactory(module.machine()).withStart(false).build();
                    i.export("_start").apply();
                    exit.complete(0);
                } catch (GuestExitException e) {
                    exit.complete(e.code());
                } catch (Throwable e) {
                    exit.completeExceptionally(e);
                }
            }, guest);
            t.setDaemon(true);
            t.start();
            int code;
            try {
                code = exit.get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                host.get().stop(); // a guest that took the bad value serves on: stop it, and fail
                throw new AssertionError(guest + " accepted HEADER_TIMEOUT=10 s and served");
            }
            String text = err.toString(US_ASCII);
            assertEquals(2, code, guest + ": " + text);
            assertTrue(text.startsWith(guest + ": invalid HEADER_TIMEOUT") && text.indexOf('\n') == text.length() - 1, text);
        }
    }
}

package io.wasix.appliance;

import io.wasix.appliance.module.GuestModule;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.Instance;
import io.wasix.host.HostConfig;
import io.wasix.host.WasixHost;
import io.wasix.host.net.Transport;
import io.wasix.host.net.TransportChoice;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The bundled keep-alive guest, compiled at build time, served by a real host on a free loopback port, driven
 * by plain blocking sockets from the test thread. Each test runs on every transport this machine has.
 */
class KeepaliveGuestTest {
    static final String OK_KEEP = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n"
            + "Hello, World!";
    static final String OK_CLOSE = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n"
            + "Connection: close\r\n\r\nHello, World!";
    static final String GET = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
    private static final int TIMEOUT_MS = 10_000;

    /** How a test gets its module. */
    interface ModuleSource {
        GuestModule load() throws Exception;
    }

    /** The guest running on its own thread until {@link #close()}. */
    static final class Server implements AutoCloseable {
        final int port;
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        private final CompletableFuture<WasixHost> host = new CompletableFuture<>();
        private final CompletableFuture<Throwable> ended = new CompletableFuture<>();

        Server(Transport transport) throws Exception {
            this(transport, "keepalive", false);
        }

        Server(Transport transport, String guest, boolean interpreter) throws Exception {
            this(transport, guest, interpreter, List.of());
        }

        /** {@code env}: the guest's variables besides PORT and HOST. */
        Server(Transport transport, String guest, boolean interpreter, List<String> env) throws Exception {
            this(transport, guest, () -> GuestModule.load(guest, interpreter), env);
        }

        Server(Transport transport, String guest, ModuleSource load) throws Exception {
            this(transport, guest, load, List.of());
        }

        /** {@code guest} names the thread; {@code load} is called once the transport is known to run here. */
        Server(Transport transport, String guest, ModuleSource load, List<String> env) throws Exception {
            String why = transport.unavailabilityCause() == null ? null : String.valueOf(transport.unavailabilityCause());
            if (why == null) {
                try {
                    TransportChoice.choose(transport);
                } catch (Throwable e) {
                    why = e.getMessage();
                }
            }
            if (why != null) {
                System.err.println("!!! SKIPPED on " + transport.label() + " (transport unavailable: " + why + ")");
                Assumptions.abort("transport " + transport.label() + " unavailable: " + why);
            }
            port = freePort();
            GuestModule module = load.load();
            HostConfig cfg = HostConfig.of(transport)
                    .withEnv(Stream.concat(Stream.of("PORT=" + port, "HOST=127.0.0.1"), env.stream()).toList())
                    .withStdio(InputStream.nullInputStream(), OutputStream.nullOutputStream(), err);
            Thread t = new Thread(() -> {
                Throwable end = null;
                try (WasixHost h = new WasixHost(cfg)) {
                    host.complete(h);
                    Instance i = Instance.builder(module.module()).withImportValues(h.imports())
                            .withMachineFactory(module.machine()).withStart(false).build();
                    i.export("_start").apply();
                } catch (Throwable e) {
                    end = e;
                }
                ended.complete(end);
            }, guest + "-guest");
            t.setDaemon(true);
            t.start();
            awaitListening();
        }

        private void awaitListening() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
            while (true) {
                if (ended.isDone()) {
                    throw new AssertionError("guest ended before listening: " + ended.get() + " " + err);
                }
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                    return;
                } catch (ConnectException e) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("guest never listened on " + port + ": " + err);
                    }
                    Thread.sleep(20);
                }
            }
        }

        Socket connect() throws IOException {
            Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
            s.setSoTimeout(TIMEOUT_MS);
            s.setTcpNoDelay(true);
            return s;
        }

        @Override
        public void close() throws Exception {
            host.get(TIMEOUT_MS, TimeUnit.MILLISECONDS).stop();
            Throwable end = ended.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            assertTrue(WasixHost.isStop(end), () -> "guest should run until stopped, ended with " + end);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Reads exactly n bytes (or fails on EOF/timeout). */
    static String readN(Socket s, int n) throws IOException {
        byte[] b = s.getInputStream().readNBytes(n);
        assertEquals(n, b.length, () -> "connection ended early after: " + new String(b, US_ASCII));
        return new String(b, US_ASCII);
    }

    static void write(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(US_ASCII));
        s.getOutputStream().flush();
    }

    /** Reads until the peer closes (bounded by the socket timeout). */
    static String readToEof(Socket s) throws IOException {
        return new String(s.getInputStream().readAllBytes(), US_ASCII);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void keepsTheConnectionOpenAcrossRequests(Transport t) throws Exception {
        try (Server server = new Server(t); Socket s = server.connect()) {
            for (int i = 0; i < 5; i++) {
                write(s, GET);
                assertEquals(OK_KEEP, readN(s, OK_KEEP.length()), "request " + i);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void answersPipelinedRequestsInOrder(Transport t) throws Exception {
        try (Server server = new Server(t); Socket s = server.connect()) {
            int n = 300; // more responses than the guest's output buffer holds at once
            write(s, GET.repeat(n - 1) + "GET /last HTTP/1.1\r\nConnection: close\r\n\r\n");
            assertEquals(OK_KEEP.repeat(n - 1) + OK_CLOSE, readToEof(s));
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void assemblesRequestsFromPartialReads(Transport t) throws Exception {
        try (Server server = new Server(t); Socket s = server.connect()) {
            // One byte at a time with pauses, so the guest's reads see every split, "\r\n\r\n" included.
            String two = "POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello" + GET;
            for (int i = 0; i < two.length(); i++) {
                write(s, two.substring(i, i + 1));
                if (i % 7 == 0) {
                    Thread.sleep(2);
                }
            }
            assertEquals(OK_KEEP + OK_KEEP, readN(s, 2 * OK_KEEP.length()));
            s.setSoTimeout(200);
            assertEquals(-1, readOrTimeout(s), "nothing more: the body was not taken for a request");
        }
    }

    private static int readOrTimeout(Socket s) throws IOException {
        try {
            return s.getInputStream().read();
        } catch (java.net.SocketTimeoutException e) {
            return -1;
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void servesManyConnectionsAtOnce(Transport t) throws Exception {
        try (Server server = new Server(t)) {
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < 200; i++) {
                    sockets.add(server.connect());
                }
                for (int round = 0; round < 3; round++) {
                    for (Socket s : sockets) {
                        write(s, GET);
                    }
                    for (Socket s : sockets) {
                        assertEquals(OK_KEEP, readN(s, OK_KEEP.length()));
                    }
                }
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
            // The guest dropped all of those; it still serves.
            try (Socket s = server.connect()) {
                write(s, "GET / HTTP/1.0\r\n\r\n");
                assertEquals(OK_CLOSE, readToEof(s));
            }
        }
    }

    /** --interpreter on a bundled guest runs its original module, not the build-time compiler's stripped copy. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"hello", "keepalive"})
    void bundledGuestsServeInTheInterpreterToo(String guest) throws Exception {
        try (Server server = new Server(Transport.NIO, guest, true); Socket s = server.connect()) {
            write(s, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
            assertEquals(OK_CLOSE, readToEof(s));
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void closesAfterConnectionCloseAndRefusesWhatItCannotParse(Transport t) throws Exception {
        try (Server server = new Server(t)) {
            try (Socket s = server.connect()) {
                write(s, "GET / HTTP/1.1\r\nConnection: Close\r\n\r\n");
                assertEquals(OK_CLOSE, readToEof(s));
            }
            try (Socket s = server.connect()) {
                write(s, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + GET);
                assertEquals(OK_KEEP + OK_KEEP, readN(s, 2 * OK_KEEP.length()));
            }
            try (Socket s = server.connect()) {
                write(s, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
                assertTrue(readToEof(s).startsWith("HTTP/1.1 501 "));
            }
            try (Socket s = server.connect()) {
                write(s, "GET / HTTP/1.1\r\nX: " + "a".repeat(9000));
                assertTrue(readToEof(s).startsWith("HTTP/1.1 431 "));
            }
            try (Socket s = server.connect()) {
                write(s, "nonsense\r\n\r\n");
                assertTrue(readToEof(s).startsWith("HTTP/1.1 400 "));
            }
        }
    }
}

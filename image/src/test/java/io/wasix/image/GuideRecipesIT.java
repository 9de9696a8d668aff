package io.wasix.image;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The recipes of docs/guests.md, each run as the guide runs it (the launcher, the committed .wasm built from
 * the source beside it, the guide's flags) on every transport, and talked to over 127.0.0.1.
 */
@Timeout(180)
class GuideRecipesIT {
    private static final Path LAUNCHER = Path.of("target/appliance/bin/appliance");
    private static final Path RECIPES = Path.of("../docs/recipes");

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void freestandingCEcho(String transport) throws Exception {
        int port = freePort();
        try (Booted app = Booted.start(transport, Map.of("PORT", "" + port), "echo.wasm")) {
            byte[] big = new byte[200_000];
            for (int i = 0; i < big.length; i++) {
                big[i] = (byte) ('a' + i % 26);
            }
            for (byte[] sent : List.of("hello\n".getBytes(US_ASCII), big)) {
                try (Socket s = connect(port)) {
                    // a writer of its own: the server echoes while we are still sending
                    Thread writer = Thread.ofVirtual().start(() -> {
                        try {
                            s.getOutputStream().write(sent);
                            s.shutdownOutput();
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
                    byte[] back = s.getInputStream().readAllBytes();
                    writer.join();
                    assertTrue(java.util.Arrays.equals(sent, back), "echoed whole: " + back.length + " of " + sent.length);
                }
            }
            assertEquals(0, app.terminate());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void wasiLibcFileServer(String transport, @TempDir Path site) throws Exception {
        Files.writeString(site.resolve("index.html"), "<h1>hi</h1>\n");
        Files.createDirectories(site.resolve("notes"));
        Files.writeString(site.resolve("notes/a.txt"), "a note\n");
        int port = freePort();
        try (Booted app = Booted.start(transport, Map.of("PORT", "" + port), "--dir", site + "::/site", "fileserver.wasm")) {
            assertEquals("fileserver: serving /site on port " + port, app.stdout.readLine());
            assertEquals(ok("<h1>hi</h1>\n"), get(port, "/index.html"));
            assertEquals(ok("a note\n"), get(port, "/notes/a.txt"));
            assertTrue(get(port, "/nope").startsWith("HTTP/1.1 404 Not Found\r\n"));
            assertTrue(get(port, "/../x").startsWith("HTTP/1.1 400 Bad Request\r\n"));
            assertEquals("GET /index.html 200 12", app.stdout.readLine(), "printf, line by line");
            assertEquals("GET /notes/a.txt 200 7", app.stdout.readLine());
            assertEquals("GET /nope 404 0", app.stdout.readLine());
            assertEquals(0, app.terminate());
        }
    }

    /** std::fs keeps the count in the mounted directory, std::env reads GREETING, passed by --env NAME. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void rustStdWithWasixSockets(String transport, @TempDir Path data) throws Exception {
        int port = freePort();
        try (Booted app = Booted.start(transport, Map.of("PORT", "" + port, "GREETING", "Hi"),
                "--dir", data + "::/data", "--env", "GREETING", "counter.wasm")) {
            for (int n = 1; n <= 3; n++) {
                assertEquals(ok("Hi, visitor " + n + "\n"), get(port, "/"));
            }
            assertEquals("3\n", Files.readString(data.resolve("count")), "the file on the host");
            assertEquals(0, app.terminate());
        }
        // no mount at /data: the answer says which flag gives it one
        try (Booted app = Booted.start(transport, Map.of("PORT", "" + port), "counter.wasm")) {
            String r = get(port, "/");
            assertTrue(r.startsWith("HTTP/1.1 500 ") && r.contains("run with --dir DIR::/data or --tmpfs /data"), r);
            assertEquals(0, app.terminate());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void watServer(String transport) throws Exception {
        int port = freePort();
        try (Booted app = Booted.start(transport, Map.of("PORT", "" + port), "hello.wasm")) {
            for (int i = 0; i < 3; i++) {
                assertEquals("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 15\r\n"
                        + "Connection: close\r\n\r\nHello from WAT\n", get(port, "/"));
            }
            assertEquals(0, app.terminate());
        }
    }

    /**
     * The wasmtime-style server: preview 1 only, accepting on fd 3. With --shards 2 each shard has its own
     * listener on the port, and both serve (each counts from 1).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void rustStdOnAPreopenedListener(String transport) throws Exception {
        int port = freePort();
        try (Booted app = Booted.start(transport, Map.of("GREETING", "Howdy"),
                "--tcplisten", "127.0.0.1:" + port, "--env", "GREETING", "preopened.wasm")) {
            for (int n = 1; n <= 3; n++) {
                assertEquals(ok("Howdy from Rust std, request " + n + "\n"), get(port, "/"));
            }
            assertEquals(0, app.terminate());
        }
        try (Booted app = Booted.start(transport, Map.of(), "--shards", "2", "--tcplisten", "127.0.0.1:" + port,
                "preopened.wasm")) {
            int firsts = 0;
            for (int i = 0; i < 60; i++) {
                if (get(port, "/").endsWith("Hello from Rust std, request 1\n")) {
                    firsts++;
                }
            }
            assertEquals(2, firsts, "each shard answered its own first request");
            assertEquals(0, app.terminate());
        }
    }

    /**
     * Listeners come after the mounts, so a libc program still finds its directories: wasmtime's order (the
     * socket at fd 3) would end wasi-libc's preopen scan there, and the count could not be kept.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void aLibcProgramFindsItsMountsBesidePreopenedListeners(String transport, @TempDir Path data) throws Exception {
        int port = freePort();
        int unused = freePort();
        try (Booted app = Booted.start(transport, Map.of("PORT", "" + port), "--tcplisten", "127.0.0.1:" + unused,
                "--dir", data + "::/data", "counter.wasm")) {
            assertEquals(ok("Hello, visitor 1\n"), get(port, "/"));
            assertEquals(0, app.terminate());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void aListenerThatCannotBindIsOneLine(String transport) throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Booted app = Booted.launch(transport, Map.of(), "--tcplisten", "127.0.0.1:" + taken.getLocalPort(),
                    "preopened.wasm");
            assertTrue(app.process.waitFor(60, TimeUnit.SECONDS));
            String err = new String(app.process.getErrorStream().readAllBytes(), UTF_8);
            assertEquals(1, app.process.exitValue(), err);
            assertTrue(err.lines().anyMatch(l -> l.equals("appliance: shard 0: --tcplisten: cannot listen on 127.0.0.1:"
                    + taken.getLocalPort() + ": EADDRINUSE")), err);
            assertTrue(err.lines().noneMatch(l -> l.startsWith("\tat ")), "no stack trace: " + err);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static String ok(String body) {
        return "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body;
    }

    /**
     * A connection to 127.0.0.1:port. The boot line comes as the guest starts, before a guest that binds its
     * own listener has done so: a refused connection is retried for up to 30 s.
     */
    private static Socket connect(int port) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
                s.setSoTimeout(30_000);
                return s;
            } catch (java.net.ConnectException e) {
                s.close();
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private static String get(int port, String path) throws IOException {
        try (Socket s = connect(port)) {
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(US_ASCII));
            return new String(s.getInputStream().readAllBytes(), US_ASCII);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(false);
            probe.bind(new InetSocketAddress("0.0.0.0", 0));
            return probe.getLocalPort();
        }
    }

    /** A running appliance; its boot line has been read. */
    private static final class Booted implements AutoCloseable {
        final Process process;
        final BufferedReader stdout;
        final BufferedReader stderr;

        private Booted(Process process) {
            this.process = process;
            this.stdout = process.inputReader(UTF_8);
            this.stderr = process.errorReader(UTF_8);
        }

        /**
         * {@code appliance run --transport T ARGS...}, the last argument a recipe's .wasm; returns once the
         * boot line is out, or skips the test, loudly, when the transport cannot run here.
         */
        static Booted start(String transport, Map<String, String> env, String... args) throws IOException {
            return launch(transport, env, args).awaitBoot(transport);
        }

        /** The same, without waiting for anything. */
        static Booted launch(String transport, Map<String, String> env, String... args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString(), "run", "--transport", transport));
            for (int i = 0; i < args.length; i++) {
                cmd.add(i == args.length - 1 ? RECIPES.resolve(args[i]).toString() : args[i]);
            }
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().remove("PORT");
            pb.environment().putAll(env);
            return new Booted(pb.start());
        }

        /** Waits for the boot line ("appliance: ... started on ..."). */
        Booted awaitBoot(String transport) throws IOException {
            String line;
            while ((line = stderr.readLine()) != null) {
                if (line.startsWith("appliance: ") && line.contains(" started on ")) {
                    return this;
                }
                if (line.contains("unavailable")) {
                    System.err.println("!!! SKIPPED on " + transport + ": " + line);
                    Assumptions.abort(line);
                }
            }
            throw new AssertionError("the appliance ended without a boot line");
        }

        int terminate() throws InterruptedException {
            process.destroy(); // SIGTERM
            assertTrue(process.waitFor(15, TimeUnit.SECONDS), "exits within 15 s of SIGTERM");
            return process.exitValue();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }
}

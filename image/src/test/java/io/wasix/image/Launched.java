package io.wasix.image;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The jlinked launcher, started as a user starts it, for the supervision, stop and memory tests: its stderr is
 * collected line by line as it comes (so a test can wait for a message), its stdout whole. Also the HTTP/1.1
 * keep-alive client those tests drive the crashy guest with. One test thread, plus the two readers.
 */
final class Launched implements AutoCloseable {
    /** The image's launcher; -Dit.launcher=PATH runs these tests against another build (an older one, say). */
    static final Path LAUNCHER = Path.of(System.getProperty("it.launcher", "target/appliance/bin/appliance"));
    static final Path APPLIANCE_GUESTS = Path.of("../appliance/src/test/guests");

    final Process process;
    private final List<String> stderr = new ArrayList<>(); // guarded by itself
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final Thread errReader;
    private final Thread outReader;

    private Launched(Process process) {
        this.process = process;
        this.errReader = Thread.ofVirtual().start(() -> {
            try (BufferedReader r = process.errorReader(StandardCharsets.UTF_8)) {
                for (String line; (line = r.readLine()) != null; ) {
                    synchronized (stderr) {
                        stderr.add(line);
                        stderr.notifyAll();
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        this.outReader = Thread.ofVirtual().start(() -> {
            try (InputStream in = process.getInputStream()) {
                in.transferTo(stdout);
            } catch (IOException ignored) {
                // the process ended
            }
        });
    }

    /** `appliance ARGS...` with PORT={@code port} and the given environment (JDK_JAVA_OPTIONS, ...). */
    static Launched start(List<String> args, int port, Map<String, String> env) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("PORT", Integer.toString(port));
        pb.environment().putAll(env);
        return new Launched(pb.start());
    }

    /** The first stderr line (from the start) that matches, waiting for it up to {@code timeoutMillis}. */
    String awaitLine(Predicate<String> match, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        synchronized (stderr) {
            while (true) {
                for (String l : stderr) {
                    if (match.test(l)) {
                        return l;
                    }
                }
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0 || (!process.isAlive() && !errReader.isAlive())) {
                    throw new AssertionError("no such line on stderr within " + timeoutMillis + " ms:\n"
                            + String.join("\n", stderr));
                }
                stderr.wait(Math.min(left, 100));
            }
        }
    }

    List<String> stderrLines() {
        synchronized (stderr) {
            return List.copyOf(stderr);
        }
    }

    String stderr() {
        return String.join("\n", stderrLines());
    }

    /** Waits for the process to end (bounded) and for its output; returns its status. */
    int awaitExit(long timeoutMillis) throws InterruptedException {
        assertTrue(process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS),
                "still running " + timeoutMillis + " ms later:\n" + stderr());
        errReader.join(5000);
        outReader.join(5000);
        return process.exitValue();
    }

    String stdout() {
        synchronized (stdout) {
            return stdout.toString(StandardCharsets.UTF_8);
        }
    }

    void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + name);
    }

    /** utime + stime of the process so far, in ms, from /proc (clock ticks of 10 ms). */
    long cpuMillis() throws IOException {
        String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
    }

    /** utime + stime of the process's thread named {@code name} (the JVM names its threads), in ms; 0 if none. */
    long threadCpuMillis(String name) throws IOException {
        try (var tasks = Files.list(Path.of("/proc/" + process.pid() + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    if (Files.readString(task.resolve("comm")).strip().equals(name)) {
                        String stat = Files.readString(task.resolve("stat"));
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
                    }
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return 0;
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** One request to a plain HTTP server (Connection: close); the whole response. */
    static String http(int port, String path) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    /**
     * A keep-alive connection to the crashy guest (appliance/src/test/guests/crashy.c), which answers every
     * request with the id of the instance that serves it.
     */
    static final class Conn implements AutoCloseable {
        private static final byte[] GET = "GET / HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        private static final String HEAD = "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n";
        final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Conn(int port) throws IOException {
            socket = new Socket();
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(5000);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        /** Opens a connection, retrying while the port refuses (a listener still coming up). */
        static Conn await(int port, long timeoutMillis) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (true) {
                try {
                    Conn c = new Conn(port);
                    c.get();
                    return c;
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(20);
                }
            }
        }

        /** GET / and the serving instance's id; an IOException when the connection is gone. */
        String get() throws IOException {
            out.write(GET);
            out.flush();
            byte[] r = in.readNBytes(HEAD.length() + 9);
            String s = new String(r, StandardCharsets.US_ASCII);
            if (!s.startsWith(HEAD) || r.length != HEAD.length() + 9) {
                throw new IOException("unexpected response: " + s);
            }
            return s.substring(HEAD.length(), HEAD.length() + 8);
        }

        /** Sends a request whose first byte makes the guest fail ('X' trap, 'S' spin, 'E' exit 3). */
        void send(char first) throws IOException {
            out.write((first + "GET / HTTP/1.1\r\nHost: t\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        /** Whether the server has closed (or reset) the connection: EOF or an error on read. */
        boolean closedByPeer() {
            try {
                return in.read() < 0;
            } catch (IOException e) {
                return true;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}

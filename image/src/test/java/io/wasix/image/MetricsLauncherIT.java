package io.wasix.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
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
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end through the jlinked launcher: --stats, --admin-port, --trace, and JFR syscall events enabled
 * the usual way (-XX:StartFlightRecording through JDK_JAVA_OPTIONS), with the default hello guest serving
 * real requests on 127.0.0.1.
 */
@Timeout(60)
class MetricsLauncherIT {
    private static final Path LAUNCHER = Path.of("target/appliance/bin/appliance");

    @Test
    void adminPortServesMetricsAndStatsPrintAtExit() throws Exception {
        int port = freePort(), adminPort = freePort();
        try (App app = App.start(List.of("run", "--stats", "--admin-port", "127.0.0.1:" + adminPort), port, Map.of())) {
            app.awaitLine(l -> l.contains(" started on "));
            assertTrue(app.stderr().contains("appliance: admin port on 127.0.0.1:" + adminPort + " serves /metrics, /healthz and /readyz"),
                    app.stderr());
            for (int i = 0; i < 3; i++) {
                assertTrue(http(port, "/").endsWith("Hello, World!"));
            }
            String health = http(adminPort, "/healthz");
            assertTrue(health.startsWith("HTTP/1.1 200 OK\r\n") && health.endsWith("\r\n\r\nok\n"), health);
            String ready = http(adminPort, "/readyz"); // the guest's listener is bound: it answered above
            assertTrue(ready.startsWith("HTTP/1.1 200 OK\r\n") && ready.endsWith("\r\n\r\nready\n"), ready);
            String metrics = http(adminPort, "/metrics");
            assertTrue(metrics.contains("\nwasix_syscall_calls_total{shard=\"0\",syscall=\"sock_send\"} 3\n"), metrics);
            assertTrue(metrics.contains("\nwasix_syscall_seconds_count{shard=\"0\",syscall=\"sock_send\"} 3\n"), metrics);
            assertTrue(metrics.contains("\nwasix_syscall_seconds_bucket{shard=\"0\",syscall=\"sock_send\",le=\"+Inf\"} 3\n"));

            assertEquals(0, app.terminate());
            List<String> lines = app.stderr().lines().toList();
            int title = lines.indexOf("appliance: syscall stats, shard 0");
            assertTrue(title >= 0, app.stderr());
            assertTrue(lines.get(title + 1).startsWith("syscall "), app.stderr());
            assertTrue(lines.stream().anyMatch(l -> l.matches("sock_send +3 +0 .*")), app.stderr());
            assertTrue(lines.stream().anyMatch(l -> l.matches("sock_recv +3 +0 .*")), app.stderr());
            assertTrue(lines.stream().anyMatch(l -> l.matches("total +\\d+ +\\d+ +[0-9.]+")), app.stderr());
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", adminPort), 1000);
            throw new AssertionError("the admin port outlived the appliance");
        } catch (ConnectException expected) {
            // gone with the process
        }
    }

    @Test
    void traceIsOneLinePerCall() throws Exception {
        int port = freePort();
        try (App app = App.start(List.of("run", "--trace"), port, Map.of())) {
            app.awaitLine(l -> l.contains(" started on "));
            assertTrue(http(port, "/").endsWith("Hello, World!"));
            app.awaitLine(l -> l.startsWith("[shard 0] fd_close("));
            assertEquals(0, app.terminate());
            String err = app.stderr();
            assertTrue(err.lines().anyMatch(l -> l.matches("\\[shard 0\\] sock_send\\(fd=\\d+, \\d+, 1, 0, \\d+\\) = SUCCESS \\d+(\\.\\d)?(us|ms)")), err);
            assertTrue(err.lines().anyMatch(l -> l.matches("\\[shard 0\\] sock_bind\\(fd=\\d+, \\d+\\) = SUCCESS .*")), err);
            assertTrue(err.lines().noneMatch(l -> l.startsWith("appliance: syscall stats")), "no table without --stats");
        }
    }

    @Test
    void jfrRecordsSocketSyscallsWhenTheRecordingAsks(@TempDir Path dir) throws Exception {
        int port = freePort();
        Path jfr = dir.resolve("appliance.jfr");
        String options = "-XX:StartFlightRecording:filename=" + jfr + ",+wasix.SocketSyscall#enabled=true";
        try (App app = App.start(List.of("run"), port, Map.of("JDK_JAVA_OPTIONS", options))) {
            app.awaitLine(l -> l.contains(" started on "));
            assertTrue(http(port, "/").endsWith("Hello, World!"));
            assertEquals(0, app.terminate());
            assertTrue(app.stderr().lines().noneMatch(l -> l.contains("host error") || l.contains("[warning][jfr")),
                    app.stderr());
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(jfr).stream()
                .filter(e -> e.getEventType().getName().startsWith("wasix.")).toList();
        assertTrue(events.stream().allMatch(e -> e.getEventType().getName().equals("wasix.SocketSyscall")),
                "only the enabled family");
        RecordedEvent send = events.stream().filter(e -> "sock_send".equals(e.getString("syscall"))).findFirst()
                .orElseThrow(() -> new AssertionError("no sock_send event among " + events.size()));
        assertEquals("SUCCESS", send.getString("errno"));
        assertTrue(send.getInt("fd") >= 3);
        assertEquals(0, send.getInt("shard"));
    }

    // ------------------------------------------------------------------ helpers

    /**
     * A running appliance whose stderr goes to a file: a pipe read by a thread can lose its last lines when
     * the JDK's process reaper drains it at exit, and the stats table comes last.
     */
    private static final class App implements AutoCloseable {
        private final Process process;
        private final Path err;

        private App(Process process, Path err) {
            this.process = process;
            this.err = err;
        }

        static App start(List<String> args, int port, Map<String, String> env) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
            cmd.addAll(args);
            Path err = Files.createTempFile("appliance-stderr", ".txt");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(err.toFile());
            pb.environment().put("PORT", Integer.toString(port));
            pb.environment().putAll(env);
            return new App(pb.start(), err);
        }

        String stderr() throws IOException {
            return Files.readString(err, StandardCharsets.UTF_8);
        }

        void awaitLine(Predicate<String> p) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (stderr().lines().noneMatch(p)) {
                if (System.nanoTime() > deadline || !process.isAlive()) {
                    throw new AssertionError("no such line on stderr:\n" + stderr());
                }
                Thread.sleep(20);
            }
        }

        int terminate() throws InterruptedException {
            process.destroy(); // SIGTERM
            assertTrue(process.waitFor(10, TimeUnit.SECONDS), "exits within 10 s of SIGTERM");
            return process.exitValue();
        }

        @Override
        public void close() throws IOException {
            process.destroyForcibly();
            Files.deleteIfExists(err);
        }
    }

    /** GET path on 127.0.0.1:port; retries while the guest's listener is not up yet. */
    private static String http(int port, String path) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                s.setSoTimeout(5000);
                OutputStream out = s.getOutputStream();
                out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (ConnectException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(20);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}

package io.wasix.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The launcher with the bundled hello guest under a low {@code ulimit -n}, as the audit found it spinning:
 * more idle clients than fds. The guest waits reading its first client; its listener runs out of fds and must
 * wait too, not retry accept(2) in a loop. Once the clients leave, a new one is served.
 */
class OutOfFdsIT {
    private static final Path LAUNCHER = Path.of("target/appliance/bin/appliance");
    /** The appliance holds ~14 fds when idle; the rest go to accepted connections. */
    private static final int FD_LIMIT = 64;
    private static final int IDLE_CLIENTS = 150;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    @Timeout(60)
    void aListenerOutOfFdsWaitsAndServesAgain(String transport) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "ulimit -n " + FD_LIMIT + " && exec \"$0\" \"$@\"",
                LAUNCHER.toString(), "run", "--transport", transport)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("PORT", Integer.toString(port));
        pb.environment().put("APPLIANCE_ENV", "HOST=127.0.0.1");
        Process p = pb.start();
        List<Socket> clients = new ArrayList<>();
        try {
            BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
            String boot = err.readLine();
            if (boot == null || !boot.contains(" started on " + transport)) {
                assertTrue(p.waitFor(10, TimeUnit.SECONDS), "no boot line, still running: " + boot);
                System.err.println("!!! SKIPPED on " + transport + ": the appliance cannot run it here: " + boot);
                Assumptions.abort("transport " + transport + " unavailable: " + boot);
            }
            Thread.ofVirtual().start(() -> err.lines().forEach(l -> { })); // keep draining stderr

            InetSocketAddress at = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            awaitListening(at); // the boot line comes when the shard starts, before the guest binds
            for (int i = 0; i < IDLE_CLIENTS; i++) {
                Socket s = new Socket();
                clients.add(s);
                s.connect(at, 5_000); // the kernel completes the handshake; the host accepts what it can
            }
            long saturatedBy = System.nanoTime() + 10_000_000_000L;
            while (openFds(p.pid()) < FD_LIMIT - 1 && System.nanoTime() < saturatedBy) {
                Thread.sleep(20);
            }
            assertTrue(openFds(p.pid()) >= FD_LIMIT - 1, "the appliance never ran out of fds: " + openFds(p.pid()));
            Thread.sleep(300);
            long cpu0 = cpuTicks(p.pid());
            long wall0 = System.nanoTime();
            Thread.sleep(2_000);
            double cpuSeconds = (cpuTicks(p.pid()) - cpu0) / 100.0; // USER_HZ
            double wallSeconds = (System.nanoTime() - wall0) / 1e9;
            assertTrue(cpuSeconds < 0.2 * wallSeconds, String.format(
                    "%s: %.2f CPU-s in %.2f s while out of fds (spinning on the listener)", transport, cpuSeconds, wallSeconds));

            for (Socket s : clients) {
                s.close();
            }
            clients.clear();
            try (Socket c = new Socket()) {
                c.connect(at, 5_000);
                c.setSoTimeout(10_000);
                c.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                String response = new String(c.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertTrue(response.startsWith("HTTP/1.1 200 OK") && response.endsWith("Hello, World!"), response);
            }
            p.destroy();
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "SIGTERM ends it");
            assertEquals(0, p.exitValue());
        } finally {
            for (Socket s : clients) {
                s.close();
            }
            p.destroyForcibly();
        }
    }

    private static void awaitListening(InetSocketAddress at) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            try (Socket probe = new Socket()) {
                probe.connect(at, 1_000);
                return; // closed at once: the guest reads EOF and closes it
            } catch (java.net.ConnectException notYet) {
                if (System.nanoTime() > deadline) {
                    throw notYet;
                }
                Thread.sleep(20);
            }
        }
    }

    /** utime + stime of a process, in clock ticks (/proc/PID/stat fields 14 and 15). */
    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static int openFds(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return (int) fds.count();
        }
    }
}

package io.wasix.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.net.Transport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The host out of fds, for real: {@link FdLimitChild} runs the guest in a JVM of its own under a low
 * {@code ulimit -n} (the test JVM's own limit is left alone), on every transport. Running out must give the
 * guest EMFILE, never a host error, and a listener that cannot accept must not spin.
 */
class FdLimitTest {
    /** Low enough to reach quickly, high enough for the JVM itself (it holds ~40 fds when idle). */
    private static final int SOCKETS_FD_LIMIT = 200;
    /** For the accept test: the host runs out of fds before its accept queue (256) would stop it. */
    private static final int ACCEPT_FD_LIMIT = 128;
    private static final int IDLE_CLIENTS = 220;

    private static Process child(int fdLimit, String mode, Transport t) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = List.of("bash", "-c", "ulimit -n " + fdLimit + " && exec \"$0\" \"$@\"",
                java, "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), FdLimitChild.class.getName(), mode, t.label());
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE).start();
    }

    /** The child's stderr, collected on a thread of its own so the child never blocks on a full pipe. */
    private static CompletableFuture<String> stderrOf(Process p) {
        CompletableFuture<String> err = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                err.complete(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                err.completeExceptionally(e);
            }
        });
        return err;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    @Timeout(60)
    void runningOutOfFdsInBindListenAndConnectIsEmfile(Transport t) throws Exception {
        Transports.require(t);
        Process p = child(SOCKETS_FD_LIMIT, "sockets", t);
        CompletableFuture<String> err = stderrOf(p);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child still running");
        String all = out + "\n--- stderr:\n" + err.get(10, TimeUnit.SECONDS);
        assertEquals(0, p.exitValue(), all);
        assertTrue(out.contains("warm-up ADDRINUSE\n"), all);
        assertTrue(out.matches("(?s).*bind after \\d+ MFILE\n.*"), "sock_bind out of fds: " + all);
        int made = Integer.parseInt(out.replaceAll("(?s).*bind after (\\d+) .*", "$1"));
        assertTrue(made > 0 && made < SOCKETS_FD_LIMIT, "listeners bound before EMFILE: " + made);
        assertTrue(out.contains("listen MFILE\n"), "sock_listen of a fresh socket out of fds: " + all);
        assertTrue(out.contains("connect MFILE\n"), "sock_connect out of fds: " + all);
        assertTrue(out.contains("bound-connect MFILE\nstill-bound true\n"),
                "a bound socket's connect out of fds leaves it bound: " + all);
        assertTrue(out.contains("after-close SUCCESS\n"), "a freed fd binds again: " + all);
    }

    /**
     * A one-request-per-connection server (as the bundled hello guest) blocked reading its first, idle client,
     * while more idle clients than the host has fds connect. Its listener runs out of fds; it must stop trying
     * rather than poll the still-readable listener in a loop. Once the clients go, a new one is served.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    @Timeout(60)
    void aListenerOutOfFdsDoesNotSpinAndRecovers(Transport t) throws Exception {
        Transports.require(t);
        Process p = child(ACCEPT_FD_LIMIT, "accept", t);
        CompletableFuture<String> err = stderrOf(p);
        List<Socket> clients = new ArrayList<>();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
            String first = out.readLine();
            assertTrue(first != null && first.startsWith("port "), () -> "child: " + first + "\n" + stderrNow(p, err));
            int port = Integer.parseInt(first.substring(5));
            InetSocketAddress at = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            for (int i = 0; i < IDLE_CLIENTS; i++) {
                Socket s = new Socket();
                clients.add(s);
                try {
                    s.connect(at, 5_000); // the kernel completes the handshake; the host accepts what it can
                } catch (IOException e) {
                    throw new AssertionError("idle client " + i + ": " + e + "\n" + stderrNow(p, err), e);
                }
            }
            long saturatedBy = System.nanoTime() + 10_000_000_000L;
            while (openFds(p.pid()) < ACCEPT_FD_LIMIT - 1 && System.nanoTime() < saturatedBy) {
                Thread.sleep(20);
            }
            assertTrue(openFds(p.pid()) >= ACCEPT_FD_LIMIT - 1,
                    "the child never ran out of fds: " + openFds(p.pid()) + " open, limit " + ACCEPT_FD_LIMIT);
            Thread.sleep(300); // past the accepting burst
            long cpu0 = cpuTicks(p.pid());
            long wall0 = System.nanoTime();
            Thread.sleep(2_000);
            long cpuTicks = cpuTicks(p.pid()) - cpu0;
            double wallSeconds = (System.nanoTime() - wall0) / 1e9;
            double cpuSeconds = cpuTicks / (double) CLOCK_TICKS;
            assertTrue(cpuSeconds < 0.2 * wallSeconds, String.format(
                    "the host burned %.2f CPU-s in %.2f s while out of fds (spinning on its listener)", cpuSeconds, wallSeconds));

            for (Socket s : clients) {
                s.close();
            }
            clients.clear();
            try (Socket c = new Socket()) {
                c.connect(at, 5_000);
                c.setSoTimeout(10_000);
                OutputStream o = c.getOutputStream();
                o.write("ping".getBytes(StandardCharsets.US_ASCII));
                byte[] reply = c.getInputStream().readNBytes(4);
                assertEquals("pong", new String(reply, StandardCharsets.US_ASCII),
                        () -> "a new client after the idle ones left\n" + stderrNow(p, err));
            }
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "child still running");
            String rest = out.readLine();
            assertTrue(rest != null && rest.startsWith("served ping"), rest + "\n" + err.get(5, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), err.get(5, TimeUnit.SECONDS));
        } finally {
            for (Socket s : clients) {
                s.close();
            }
            p.destroyForcibly();
        }
    }

    /**
     * Fds freed outside the guest (here the process's own files; in the appliance another shard's or a file's)
     * wake no channel of the guest's: its blocking accept must still return once accepting can succeed again,
     * through the pause's timer.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    @Timeout(60)
    void aBlockingAcceptWakesWhenFdsAreFreedElsewhere(Transport t) throws Exception {
        Transports.require(t);
        Process p = child(ACCEPT_FD_LIMIT, "release", t);
        CompletableFuture<String> err = stderrOf(p);
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
            String first = out.readLine();
            assertTrue(first != null && first.startsWith("port "), () -> "child: " + first + "\n" + stderrNow(p, err));
            int port = Integer.parseInt(first.split(" ")[1]);
            try (Socket c = new Socket()) {
                c.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
                c.setSoTimeout(10_000);
                c.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
                Thread.sleep(500);
                assertEquals(0, c.getInputStream().available(), "no answer while the host has no fd to accept with");
                long cpu0 = cpuTicks(p.pid());
                Thread.sleep(500);
                assertTrue(cpuTicks(p.pid()) - cpu0 < 10, "the waiting host burned " + (cpuTicks(p.pid()) - cpu0) + " ticks in 0.5 s");
                p.getOutputStream().write('\n'); // free the fds
                p.getOutputStream().flush();
                assertEquals("pong", new String(c.getInputStream().readNBytes(4), StandardCharsets.US_ASCII),
                        () -> "the client, once fds were free\n" + stderrNow(p, err));
            }
            String report = out.readLine();
            assertTrue(report != null && report.matches("accepted \\d+ ms after the release"), report);
            long ms = Long.parseLong(report.split(" ")[1]);
            assertTrue(ms < 1_000, "accept resumed " + ms + " ms after fds were freed (the retry timer is 100 ms)");
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "child still running");
            assertEquals(0, p.exitValue(), err.get(5, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
        }
    }

    private static String stderrNow(Process p, CompletableFuture<String> err) {
        p.destroyForcibly();
        try {
            return "--- child stderr:\n" + err.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return "--- child stderr unavailable: " + e;
        }
    }

    /** USER_HZ, the unit of /proc/PID/stat's times: 100 on every Linux architecture we run on. */
    private static final int CLOCK_TICKS = 100;

    /** utime + stime of a process, in clock ticks (/proc/PID/stat fields 14 and 15). */
    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" "); // f[0] is field 3 (state)
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static int openFds(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return (int) fds.count();
        }
    }
}

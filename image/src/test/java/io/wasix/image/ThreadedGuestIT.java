package io.wasix.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Guests that spawn threads, through the launcher: a worker's proc_exit is the exit status, a worker's trap
 * is the one trap line naming the thread, --trace and --stats cover every thread, and SIGTERM ends a
 * threaded server.
 */
@Timeout(60)
class ThreadedGuestIT {
    private static final Path LAUNCHER = Path.of("target/appliance/bin/appliance");
    private static final Path GUESTS = Path.of("../wasm-host/src/test/guests");

    private record Result(int status, String stdout, String stderr) {}

    private static Result run(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        byte[][] got = new byte[1][];
        Thread stdout = Thread.ofVirtual().start(() -> { // both pipes at once, so neither fills up
            try {
                got[0] = p.getInputStream().readAllBytes();
            } catch (java.io.IOException e) {
                got[0] = new byte[0];
            }
        });
        String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        stdout.join();
        return new Result(p.exitValue(), new String(got[0], StandardCharsets.UTF_8), stderr);
    }

    private static String guest(String name) {
        return GUESTS.resolve(name).toString();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "--interpreter"})
    void aWorkersProcExitIsTheExitStatus(String mode) throws Exception {
        Result r = mode.isEmpty() ? run("run", "--quiet", guest("threads.wasm"), "--", "exit", "42")
                : run("run", "--quiet", mode, guest("threads.wasm"), "--", "exit", "42");
        assertEquals(42, r.status, r.stderr);
        assertEquals("main waits\nworker exits\n", r.stdout);
    }

    @ParameterizedTest
    @ValueSource(strings = {"threads.wasm", "threads-2023.wasm"})
    void aTrapInAWorkerIsOneLineNamingTheThread(String file) throws Exception {
        for (boolean interpreted : new boolean[] {false, true}) {
            Result r = interpreted ? run("run", "--quiet", "--interpreter", guest(file), "--", "trap")
                    : run("run", "--quiet", guest(file), "--", "trap");
            assertEquals(134, r.status, r.stderr);
            assertTrue(r.stderr.strip().matches(
                    "appliance: shard 0: guest trapped: .*unreachable.* in trap_later \\(function #\\d+\\) in thread 2"),
                    (interpreted ? "interpreted: " : "compiled: ") + r.stderr);
        }
    }

    /** --trace names the thread of each call; --stats counts the calls of every thread. */
    @Test
    void traceAndStatsCoverEveryThread() throws Exception {
        Result r = run("run", "--quiet", "--trace", "--stats", guest("threads.wasm"), "--", "mutex", "3", "100");
        assertEquals(0, r.status, r.stderr);
        for (int thread = 1; thread <= 4; thread++) {
            String prefix = "[shard 0 thread " + thread + "] ";
            assertTrue(r.stderr.lines().anyMatch(l -> l.startsWith(prefix)), "no trace line of thread " + thread + ":\n" + r.stderr);
        }
        assertTrue(r.stderr.lines().anyMatch(l -> l.startsWith("[shard 0 thread 1] thread_spawn_v2(")), r.stderr);
        assertTrue(r.stderr.lines().anyMatch(l -> l.matches("\\s*thread_spawn_v2\\s+3\\s.*")),
                "the stats table counts the three spawns:\n" + r.stderr);
        assertTrue(r.stderr.lines().anyMatch(l -> l.matches("\\s*thread_join\\s+3\\s.*")), r.stderr);
    }

    /** SIGTERM stops a server whose threads wait in epoll_wait and on a condition variable: status 0. */
    @Test
    void sigtermEndsAThreadedServer() throws Exception {
        Process p = new ProcessBuilder(LAUNCHER.toString(), "run", "--quiet", guest("threaded-echo.wasm"))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            BufferedReader out = p.inputReader(StandardCharsets.US_ASCII);
            String first = out.readLine();
            assertTrue(first != null && first.startsWith("port "), "first line: " + first);
            int port = Integer.parseInt(first.substring(5));
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                s.setSoTimeout(5_000);
                OutputStream o = s.getOutputStream();
                o.write("hello".getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                assertEquals("hello", new String(in.readNBytes(5), StandardCharsets.US_ASCII));
            }
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "exits within 10 s of SIGTERM");
            assertEquals(0, p.exitValue());
        } finally {
            p.destroyForcibly();
        }
    }
}

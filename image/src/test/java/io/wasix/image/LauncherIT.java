package io.wasix.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * End to end: the jlinked launcher, as a user runs it, with no JDK of ours on the PATH. Each test starts
 * the process, talks to it over 127.0.0.1, and stops it.
 */
@Timeout(60)
class LauncherIT {
    private static final Path LAUNCHER = Path.of("target/appliance/bin/appliance");
    private static final Path TEST_GUESTS = Path.of("../wasm-host/src/test/guests");
    private static final Path APPLIANCE_GUESTS = Path.of("../appliance/src/test/guests");

    @Test
    void bootsTheDefaultGuestAndAnswers() throws Exception {
        int port = freePort();
        try (Booted app = Booted.start(List.of("run"), port)) {
            String bootLine = app.awaitBootLine();
            assertTrue(bootLine.matches("appliance: hello \\(compiled at build time\\) started on (io_uring|epoll|nio), 1 shard.*"),
                    bootLine);
            for (int i = 0; i < 3; i++) {
                String response = get(port);
                assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response);
                assertTrue(response.contains("Content-Length: 13\r\n"), response);
                assertTrue(response.endsWith("\r\n\r\nHello, World!"), response);
            }
            assertEquals(0, app.terminate(), "SIGTERM ends the appliance with status 0");
        }
    }

    /**
     * The training run's AOT cache is the runtime's default CDS archive, and the launcher's start maps it
     * with its AOT-linked classes: a class path or jar that differs from training would make the JVM refuse
     * it, with a warning, and boot several times slower.
     */
    @Test
    void theLauncherBootsFromTheAotCache() throws Exception {
        int port = freePort();
        try (Booted app = Booted.start(List.of("run"), port, "-Xlog:aot=info:stderr", "-Xlog:class+path=info:stderr")) {
            List<String> log = new ArrayList<>();
            String line;
            while ((line = app.stderr.readLine()) != null && !line.startsWith("appliance: ")) {
                log.add(line);
            }
            String all = String.join("\n", log);
            assertTrue(all.contains("lib/server/classes.jsa"), all);
            assertTrue(all.contains("Using AOT-linked classes: true"), all);
            assertTrue(log.stream().noneMatch(l -> l.contains("[warning]") || l.contains("[error]")), all);
            assertTrue(get(port).endsWith("Hello, World!"));
            assertEquals(0, app.terminate());
        }
    }

    /**
     * The image's options trim the native heap every 5 s (jlink.conf): the JIT compilers' arenas, freed after a
     * large compilation, go back to the kernel instead of staying in glibc's arenas for the rest of the process's
     * life (RSS 7 s after a burst of load: 95-97 MB without, 67-68 MB with; bench/results/boot-2026-12-05-mem.md). The
     * trimmer's own log shows it is on, at that interval, and that it ran: a trim line comes ~5 s after start.
     */
    @Test
    void theNativeHeapIsTrimmedPeriodically() throws Exception {
        int port = freePort();
        try (Booted app = Booted.start(List.of("run"), port, "-Xlog:trimnative=info:stderr")) {
            // Without a trimmer no such line ever comes and readLine would wait for good (@Timeout cannot
            // interrupt it): 30 s on, the process is killed, its stderr ends, and the test fails below.
            java.util.concurrent.CompletableFuture.delayedExecutor(30, TimeUnit.SECONDS).execute(app::close);
            List<String> log = new ArrayList<>();
            String line;
            while ((line = app.stderr.readLine()) != null && !line.contains("Periodic Trim (1)")) {
                log.add(line);
            }
            String all = String.join("\n", log);
            assertTrue(all.contains("Periodic native trim enabled (interval: 5000 ms)"), all);
            assertTrue(line != null, "stderr ended before the first periodic trim: " + all);
            assertTrue(get(port).endsWith("Hello, World!"));
            assertEquals(0, app.terminate());
        }
    }

    /**
     * The README's Flight Recorder recipe, a recording from the first instruction: -XX:StartFlightRecording adds
     * jdk.jfr to the JVM's --add-modules, which the image's options already name, so the AOT cache still
     * applies (it used to be dropped whole: "[error][cds] shared archive file has aot-linked classes"), and
     * the recording holds the guest's syscalls.
     */
    @Test
    void aFlightRecordingFromTheStartKeepsTheAotCache(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        int port = freePort();
        Path jfr = tmp.resolve("app.jfr");
        try (Booted app = Booted.start(List.of("run"), port, "-Xlog:aot=info:stderr",
                "-XX:StartFlightRecording:filename=" + jfr + ",+wasix.SocketSyscall#enabled=true")) {
            List<String> log = new ArrayList<>();
            String line;
            while ((line = app.stderr.readLine()) != null && !line.startsWith("appliance: ")) {
                log.add(line);
            }
            String all = String.join("\n", log);
            assertTrue(all.contains("Using AOT-linked classes: true"), all);
            assertTrue(log.stream().noneMatch(l -> l.contains("[error]") || l.contains("[warning][cds]")), all);
            for (int i = 0; i < 3; i++) {
                assertTrue(get(port).endsWith("Hello, World!"));
            }
            assertEquals(0, app.terminate());
        }
        List<String> syscalls = jdk.jfr.consumer.RecordingFile.readAllEvents(jfr).stream()
                .filter(e -> e.getEventType().getName().equals("wasix.SocketSyscall"))
                .map(e -> e.getString("syscall"))
                .toList();
        assertTrue(syscalls.contains("sock_accept_v2") && syscalls.contains("sock_send"), syscalls.toString());
    }

    /**
     * As a FROM scratch container starts it: bin/java itself, no launcher script, a class path relative to
     * another working directory. The AOT cache still applies, and the boot report counts from the process
     * start that /proc gives, since no launcher recorded the exec time.
     */
    @Test
    void bareJavaWithARelativeClassPathUsesTheCacheToo() throws Exception {
        int port = freePort();
        Path home = Path.of("target/appliance").toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/java").toString(), "-Xlog:aot=info:stderr",
                "-cp", "lib/app/wasm-host.jar:lib/app/appliance.jar", "io.wasix.appliance.Main", "run", "--boot-report")
                .directory(home.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("PORT", Integer.toString(port));
        pb.environment().remove("APPLIANCE_EXEC_TIME");
        pb.environment().remove("JDK_JAVA_OPTIONS");
        try (Booted app = new Booted(pb.start())) {
            List<String> log = new ArrayList<>();
            String line;
            while ((line = app.stderr.readLine()) != null && !line.startsWith("appliance: ")) {
                log.add(line);
            }
            assertTrue(log.stream().anyMatch(l -> l.contains("Using AOT-linked classes: true")), String.join("\n", log));
            assertTrue(get(port).endsWith("Hello, World!"));
            List<String> report = app.awaitLines("appliance: boot report", 9);
            assertEquals("appliance: boot report (ms since process start (10 ms ticks))", report.get(0));
            assertEquals(0, app.terminate());
        }
    }

    /** --boot-report: after the first response, every milestone from process start on, in boot order. */
    @Test
    void bootReportAfterTheFirstResponse() throws Exception {
        int port = freePort();
        try (Booted app = Booted.start(List.of("run", "--boot-report"), port)) {
            app.awaitBootLine();
            assertTrue(get(port).endsWith("Hello, World!"));
            List<String> report = app.awaitLines("appliance: boot report", 9);
            assertEquals("appliance: boot report (ms since exec)", report.get(0), "the launcher records the exec time");
            String[] milestones = {"process start", "main", "transport chosen", "module loaded", "shard started",
                    "listener bound", "first response"};
            double previous = -1;
            for (int i = 0; i < milestones.length; i++) {
                String row = report.get(2 + i).strip();
                assertTrue(row.startsWith(milestones[i] + " "), report.toString());
                double at = Double.parseDouble(row.substring(milestones[i].length()).strip().split(" +")[0]);
                assertTrue(at >= previous, "milestones in boot order: " + report);
                previous = at;
            }
            assertTrue(previous > 0 && previous < 30_000, report.toString());
            assertEquals(0, app.terminate());
        }
    }

    @Test
    void sigtermStopsAcceptingAndDeliversTheResponseInFlight() throws Exception {
        int port = freePort();
        try (Booted app = Booted.start(List.of("run", "--boot-report"), port)) {
            app.awaitBootLine();
            assertTrue(get(port).endsWith("Hello, World!"));
            try (InFlightRequest inFlight = InFlightRequest.start(port)) {
                Thread.sleep(300); // the guest has accepted the connection and waits in recv for the rest
                // SIGTERM through the handle: Process.destroy() would also close our end of stderr, which the
                // stop report comes on
                app.process.toHandle().destroy();
                awaitRefused(port); // the listener closed at once, though the guest is still busy
                assertEquals(InFlightRequest.HELLO_RESPONSE, inFlight.finish(), "the in-flight response, whole");
                // to its end, which comes with the exit
                List<String> rest = app.stderr.lines().toList();
                assertTrue(app.process.waitFor(10, TimeUnit.SECONDS), "exits after SIGTERM");
                assertEquals(0, app.process.exitValue());
                // Once the response is out the guest has no connection left, and that ends the drain: the
                // grace's end (5 s) never had to stop it. Judged by what ended the drain, not by a wall clock,
                // which on a loaded machine measures the machine.
                StopReportText stop = StopReportText.in(rest);
                assertFalse(stop.stoppedNow(), "the drain waited for the grace: " + stop);
            }
        }
    }

    @Test
    void twoShardsShareThePort() throws Exception {
        int port = freePort();
        try (Booted app = Booted.start(List.of("run", "--shards", "2"), port)) {
            assertTrue(app.awaitBootLine().contains(", 2 shards"));
            for (int i = 0; i < 20; i++) {
                assertTrue(get(port).endsWith("Hello, World!"));
            }
            assertEquals(0, app.terminate());
        }
    }

    @Test
    void aTrapIsOneLineAndStatus134() throws Exception {
        Result r = runToEnd(List.of("run", TEST_GUESTS.resolve("trap.wasm").toString()));
        assertEquals(134, r.status, r.stderr);
        assertTrue(r.stderr.lines().anyMatch(l -> l.startsWith("appliance: shard 0: guest trapped: ") && l.contains("boom")), r.stderr);
    }

    /** --interpreter: Chicory's interpreter leaves no function in the trap; ours records it as the trap unwinds. */
    @Test
    void anInterpretedTrapNamesTheFunction() throws Exception {
        Result r = runToEnd(List.of("run", "--interpreter", TEST_GUESTS.resolve("trap.wasm").toString()));
        assertEquals(134, r.status, r.stderr);
        assertEquals(1, trapLines(r).size(), r.stderr);
        assertTrue(trapLines(r).get(0).endsWith(" in boom (function #0)"), r.stderr);
    }

    @Test
    void callStackExhaustionNamesTheFunctionCompiled() throws Exception {
        Result r = runToEnd(List.of("run", APPLIANCE_GUESTS.resolve("stack-exhaust.wasm").toString()));
        assertEquals(134, r.status, r.stderr);
        assertEquals(List.of("appliance: shard 0: guest trapped: call stack exhausted in descend (function #0)"), trapLines(r), r.stderr);
    }

    @Test
    void callStackExhaustionNamesTheFunctionInterpreted() throws Exception {
        Result r = runToEnd(List.of("run", "--interpreter", APPLIANCE_GUESTS.resolve("stack-exhaust.wasm").toString()));
        assertEquals(134, r.status, r.stderr);
        assertEquals(List.of("appliance: shard 0: guest trapped: call stack exhausted in descend (function #0)"), trapLines(r), r.stderr);
    }

    /** Built for another runtime: the missing imports explain the missing memory export, so they come first. */
    @Test
    void missingImportsLeadTheOtherDefectsOnOneLine() throws Exception {
        Path guest = APPLIANCE_GUESTS.resolve("foreign-imports.wasm");
        Result r = runToEnd(List.of("run", guest.toString()));
        assertEquals(1, r.status, r.stderr);
        assertEquals("appliance: " + guest + ": imports what this host does not provide: wasix_32v1.frobnicate, "
                + "env.mem (memory); exports no memory", r.stderr.strip());
    }

    @Test
    void aMemoryTooLargeForThisHostIsOneLine() throws Exception {
        Path guest = APPLIANCE_GUESTS.resolve("big-memory.wasm");
        Result r = runToEnd(List.of("run", guest.toString()));
        assertEquals(1, r.status, r.stderr);
        assertEquals("appliance: " + guest + ": its memory starts at 65536 pages (4096 MiB), more than the 32767 "
                + "pages (2047 MiB) a guest memory can have here", r.stderr.strip());
    }

    /**
     * A guest that grows until memory.grow fails now sees -1 (the default memory limit, derived from the heap,
     * stops it before the heap runs out) and ends as it chooses, where it used to end the appliance with an
     * OutOfMemoryError; --stats counts the refusal.
     */
    @Test
    void aGuestThatOutgrowsTheHeapGetsMinusOne() throws Exception {
        Path guest = APPLIANCE_GUESTS.resolve("grow-forever.wasm");
        Result r = runToEnd(List.of("run", "--stats", guest.toString()), Map.of("JDK_JAVA_OPTIONS", "-Xmx96m"));
        assertEquals(0, r.status, r.stderr);
        assertTrue(r.stderr.lines().anyMatch(l -> l.matches("appliance: .* on .*, max memory [0-9.]+ MiB per shard")),
                r.stderr);
        assertTrue(r.stderr.contains("appliance: shard 0 events: memory_grow_refused_total{reason=\"max_memory\"} 1"),
                r.stderr);
        assertTrue(r.stderr.lines().noneMatch(l -> l.contains("OutOfMemoryError") || l.contains("out of memory")), r.stderr);
    }

    /**
     * The boot line names every transport passed over and why; --quiet drops it, reasons included, so that
     * stderr stays the guest's own (README, --help). No native transport forces both fallbacks.
     */
    @Test
    void fallbackReasonsAreInTheBootLineAndQuietDropsThem() throws Exception {
        Map<String, String> noNative = Map.of("JDK_JAVA_OPTIONS", "-Dio.netty.transport.noNative=true");
        String exit = TEST_GUESTS.resolve("exit.wasm").toString();
        Result loud = runToEnd(List.of("run", exit), noNative);
        assertEquals(7, loud.status, loud.stderr);
        assertTrue(loud.stderr.lines().anyMatch(l -> l.startsWith("appliance: ") && l.contains(" on nio, 1 shard: exited with status 7 before listening, ")
                && l.contains("; io_uring unavailable: ") && l.contains("; epoll unavailable: ")), loud.stderr);
        Result quiet = runToEnd(List.of("run", "--quiet", exit), noNative);
        assertEquals(7, quiet.status, quiet.stderr);
        assertEquals(List.of(), quiet.stderr.lines().filter(l -> !l.startsWith("NOTE: Picked up JDK_JAVA_OPTIONS")).toList());
    }

    /** An APPLIANCE_* variable's mistake names the variable, not the flag the user never typed. */
    @Test
    void aBadVariableIsNamed() throws Exception {
        Result r = runToEnd(List.of("run"), Map.of("APPLIANCE_SHARDS", "x"));
        assertEquals(2, r.status, r.stderr);
        assertEquals("appliance: APPLIANCE_SHARDS wants a number from 1 to 1024, got 'x'", r.stderr.strip());
    }

    /**
     * APPLIANCE_MODULE set: a MODULE argument still replaces it (the command line wins), a word that names no
     * module says how to pass guest arguments, and after -- they reach the variable's guest.
     */
    @Test
    void aModuleVariableAndGuestArguments() throws Exception {
        Map<String, String> module = Map.of("APPLIANCE_MODULE", TEST_GUESTS.resolve("trap.wasm").toString());
        assertEquals(7, runToEnd(List.of("run", TEST_GUESTS.resolve("exit.wasm").toString()), module).status);
        Result word = runToEnd(List.of("run", "--verbose-guest-word"), module);
        assertEquals(2, word.status, word.stderr); // a word that looks like a flag is still our flag
        Result arg = runToEnd(List.of("run", "some-arg"), module);
        assertEquals(1, arg.status, arg.stderr);
        assertTrue(arg.stderr.strip().startsWith("appliance: some-arg: no such file, and no bundled guest of that name"),
                arg.stderr);
        assertTrue(arg.stderr.strip().endsWith("is set, and a MODULE argument replaces it: to pass arguments to its "
                + "guest, put -- before them"), arg.stderr);
        Result dashed = runToEnd(List.of("run", "--", "some-arg"), module);
        assertEquals(134, dashed.status, "the variable's guest ran: " + dashed.stderr);
    }

    /**
     * A WASIX function this host links but does not implement answers ENOTSUP and shows in --stats like any
     * syscall; one that must not return (proc_exec) ends the guest with a trap line naming it.
     */
    @Test
    void unimplementedCallsAnswerEnotsupAndShowInStats() throws Exception {
        Result r = runToEnd(List.of("run", "--stats", APPLIANCE_GUESTS.resolve("unsupported.wasm").toString()));
        assertEquals(134, r.status, "each stub answered 58, then proc_exec trapped: " + r.stderr);
        assertTrue(trapLines(r).size() == 1 && trapLines(r).get(0).startsWith(
                "appliance: shard 0: guest trapped: proc_exec is not supported by this host (ENOTSUP)"), r.stderr);
        assertTrue(trapLines(r).get(0).endsWith(" in proc_exec (function #4)"), "the call that trapped: " + r.stderr);
        for (String stub : List.of("proc_fork", "proc_signal", "proc_spawn", "proc_exec")) {
            assertTrue(r.stderr.lines().anyMatch(l -> l.matches(stub + " +1 +1 .* ENOTSUP=1")),
                    stub + " in the stats table, once, ENOTSUP: " + r.stderr);
        }
        assertTrue(r.stderr.lines().anyMatch(l -> l.matches("proc_join +1 +1 .* ECHILD=1")),
                "proc_join is real: no child to join: " + r.stderr);
    }

    @Test
    void missingImportsAreListedBeforeStart() throws Exception {
        Result r = runToEnd(List.of("run", TEST_GUESTS.resolve("missing-import.wasm").toString()));
        assertEquals(1, r.status, r.stderr);
        assertTrue(r.stderr.contains("wasix_32v1.frobnicate") && r.stderr.contains("env.not_there"), r.stderr);
        assertTrue(r.stderr.strip().lines().count() == 1, "one line: " + r.stderr);
    }

    @Test
    void proc_exitCodeIsTheExitStatus() throws Exception {
        assertEquals(7, runToEnd(List.of("run", TEST_GUESTS.resolve("exit.wasm").toString())).status);
    }

    @Test
    void aMalformedModuleIsOneLine() throws Exception {
        Path bad = Files.createTempFile("bad", ".wasm");
        Files.writeString(bad, "this is not wasm");
        Result r = runToEnd(List.of("run", bad.toString()));
        Files.delete(bad);
        assertEquals(1, r.status);
        assertEquals(1, r.stderr.strip().lines().count(), r.stderr);
        assertTrue(r.stderr.startsWith("appliance: " + bad), r.stderr);
    }

    @Test
    void anUnknownFlagIsAUsageError() throws Exception {
        Result r = runToEnd(List.of("run", "--frobnicate"));
        assertEquals(2, r.status);
        assertTrue(r.stderr.contains("unknown option '--frobnicate'"), r.stderr);
    }

    /** One line per part, versions as the build declared them, and one line per transport. */
    @Test
    void versionNamesEachPartOnItsOwnLine() throws Exception {
        Result r = runToEnd(List.of("--version"));
        assertEquals(0, r.status, r.stderr);
        List<String> lines = r.stdout.lines().toList();
        assertEquals("appliance " + System.getProperty("expected.appliance.version"), lines.get(0), r.stdout);
        assertEquals("Chicory " + System.getProperty("expected.chicory.version"), lines.get(1), r.stdout);
        assertEquals("Netty " + System.getProperty("expected.netty.version"), lines.get(2), r.stdout);
        assertTrue(lines.get(3).startsWith("JDK 25"), r.stdout);
        assertEquals(List.of("transport io_uring: ", "transport epoll: ", "transport nio: available"),
                lines.subList(4, 7).stream().map(l -> l.startsWith("transport nio") ? l : l.substring(0, l.indexOf(": ") + 2)).toList(),
                r.stdout);
        assertEquals(7, lines.size(), r.stdout);
        assertEquals(r.stdout, runToEnd(List.of("-V")).stdout);
        assertEquals(r.stdout, runToEnd(List.of("run", "--version")).stdout, "as `podman run IMAGE --version` passes it");
    }

    @Test
    void helpIsACommandToo() throws Exception {
        Result help = runToEnd(List.of("help"));
        assertEquals(0, help.status, help.stderr);
        assertTrue(help.stdout.startsWith("Usage: appliance run [OPTIONS] [MODULE] [--] [ARGS...]\n"), help.stdout);
        assertEquals(help.stdout, runToEnd(List.of("--help")).stdout);
    }

    /** A bundled guest's name works where a file does: `appliance keepalive` as `appliance x.wasm`. */
    @Test
    void aBundledGuestByNameNeedsNoRun() throws Exception {
        int port = freePort();
        try (Booted app = Booted.start(List.of("keepalive"), port)) {
            String bootLine = app.awaitBootLine();
            assertTrue(bootLine.startsWith("appliance: keepalive (compiled at build time) started on "), bootLine);
            assertTrue(get(port).endsWith("Hello, World!"));
            assertEquals(0, app.terminate());
        }
    }

    /** Without APPLIANCE_MODULE too, a word that names no module says how to pass it to the guest. */
    @Test
    void anUnknownWordSaysHowToPassGuestArguments() throws Exception {
        Result afterRun = runToEnd(List.of("run", "--quiet", "some-arg"));
        assertEquals(1, afterRun.status, afterRun.stderr);
        assertEquals("appliance: some-arg: no such file, and no bundled guest of that name (bundled: hello, keepalive); "
                + "to pass it to the guest as an argument, put -- before it: appliance run [MODULE] -- some-arg",
                afterRun.stderr.strip());
        Result first = runToEnd(List.of("frobnicate"));
        assertEquals(2, first.status, first.stderr);
        assertTrue(first.stderr.strip().startsWith("appliance: unknown command 'frobnicate': "), first.stderr);
        assertTrue(first.stderr.strip().endsWith("put -- before it: appliance run [MODULE] -- frobnicate"), first.stderr);
    }

    /** `appliance run /tmp` and `appliance run README.md`: one line saying what the path holds instead. */
    @Test
    void aDirectoryOrATextFileIsNamedForWhatItIs() throws Exception {
        Path dir = Files.createTempDirectory("not-a-module");
        try {
            Result r = runToEnd(List.of("run", dir.toString()));
            assertEquals(1, r.status, r.stderr);
            assertEquals("appliance: " + dir + ": is a directory, not a WebAssembly module", r.stderr.strip());
        } finally {
            Files.delete(dir);
        }
        Path readme = Path.of("../README.md");
        Result r = runToEnd(List.of("run", readme.toString()));
        assertEquals(1, r.status, r.stderr);
        assertEquals("appliance: " + readme + ": not a WebAssembly module (bad magic: it starts with 23 20 57 41, "
                + "a module with 00 61 73 6d)", r.stderr.strip());
    }

    /**
     * The guest's bind fails (EADDRINUSE): its own line names the errno, and the appliance's line says it
     * exited before listening, never that it started. On every transport that can run here.
     */
    @Test
    void aFailedBindIsNamedAndNothingClaimsItStarted() throws Exception {
        List<String> transports = runToEnd(List.of("--version")).stdout.lines()
                .filter(l -> l.startsWith("transport ") && l.endsWith(": available"))
                .map(l -> l.substring("transport ".length(), l.indexOf(':')))
                .toList();
        assertTrue(transports.contains("nio"), transports.toString());
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            for (String transport : transports) {
                Result r = runToEnd(List.of("run", "--transport", transport),
                        Map.of("PORT", Integer.toString(taken.getLocalPort()), "APPLIANCE_ENV", "HOST=127.0.0.1"));
                assertEquals(1, r.status, transport + ": " + r.stderr);
                List<String> lines = r.stderr.lines().toList();
                assertEquals(2, lines.size(), transport + ": " + r.stderr);
                assertEquals("hello: sock_bind failed: EADDRINUSE", lines.get(0), transport);
                assertTrue(lines.get(1).startsWith("appliance: hello (compiled at build time) on " + transport
                        + ", 1 shard: exited with status 1 before listening, "), lines.get(1));
                assertTrue(lines.stream().noneMatch(l -> l.contains("started")), r.stderr);
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private record Result(int status, String stderr, String stdout) {}

    private static List<String> trapLines(Result r) {
        return r.stderr.lines().filter(l -> l.startsWith("appliance: shard 0: guest trapped: ")).toList();
    }

    private static Result runToEnd(List<String> args) throws Exception {
        return runToEnd(args, Map.of());
    }

    private static Result runToEnd(List<String> args, Map<String, String> env) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        Process p = pb.start();
        // stdout on a thread of its own: a guest that fills one pipe while we drain the other must not stall
        var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return new Result(p.exitValue(), err, out.get(30, TimeUnit.SECONDS));
    }

    /** A running appliance whose stderr is read line by line. */
    private static final class Booted implements AutoCloseable {
        private final Process process;
        private final java.io.BufferedReader stderr;

        private Booted(Process process) {
            this.process = process;
            this.stderr = process.errorReader(StandardCharsets.UTF_8);
        }

        /** Starts the launcher; {@code javaOptions} reach its java command through JDK_JAVA_OPTIONS. */
        static Booted start(List<String> args, int port, String... javaOptions) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("PORT", Integer.toString(port));
            if (javaOptions.length > 0) {
                pb.environment().put("JDK_JAVA_OPTIONS", String.join(" ", javaOptions));
            }
            return new Booted(pb.start());
        }

        String awaitBootLine() throws IOException {
            String line;
            while ((line = stderr.readLine()) != null) {
                if (line.startsWith("appliance: ")) {
                    return line;
                }
            }
            throw new AssertionError("the appliance ended without a boot line, status " + process.exitValue());
        }

        /** The {@code count} lines of stderr starting at the first that begins with {@code first}. */
        List<String> awaitLines(String first, int count) throws IOException {
            List<String> lines = new ArrayList<>();
            String line;
            while (lines.size() < count && (line = stderr.readLine()) != null) {
                if (!lines.isEmpty() || line.startsWith(first)) {
                    lines.add(line);
                }
            }
            assertEquals(count, lines.size(), "stderr ended early: " + lines);
            return lines;
        }

        int terminate() throws InterruptedException {
            process.destroy(); // SIGTERM
            assertTrue(process.waitFor(10, TimeUnit.SECONDS), "exits within 10 s of SIGTERM");
            return process.exitValue();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    private static void awaitRefused(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            } catch (java.net.ConnectException e) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, "port " + port + " still accepts 1 s after SIGTERM");
            Thread.sleep(20);
        }
    }

    /** GET / once, retried while refused (the boot line comes once the guest listens; a retry costs nothing). */
    private static String get(int port) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                return getOnce(port);
            } catch (java.net.ConnectException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(20);
            }
        }
    }

    private static String getOnce(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}

package io.wasix.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The container image as users run it: built from the top-level Dockerfile with the engine this machine
 * has (podman, else docker), run read-only with every capability dropped, on a free loopback port. Skipped,
 * loudly, where no engine works. Each test starts its own container and removes it.
 */
@Timeout(180)
class ContainerIT {
    private static final Path TOP = Path.of("..");
    /**
     * Tagged per checkout, so that two worktrees running this test at once never build, run or remove each
     * other's image.
     */
    private static final String IMAGE = "localhost/wasix-appliance:it-"
            + Integer.toHexString(TOP.toAbsolutePath().normalize().toString().hashCode());
    private static final Path SECCOMP = Path.of("seccomp/io_uring.json");
    private static String engine;
    private static final List<String> containers = new ArrayList<>();

    @BeforeAll
    static void buildTheImage() throws Exception {
        engine = findEngine();
        if (engine == null) {
            String why = "ContainerIT SKIPPED: no working container engine (tried `podman info`, `docker info`);"
                    + " .ci/run installs podman and runc";
            System.err.println("\n!!!!!!!! " + why + " !!!!!!!!\n");
            Assumptions.abort(why);
        }
        // Quick without a layer cache: the context is the rootfs alone, copied in one layer. A cache would
        // not hit anyway (every package re-links the runtime), and podman would keep each build's
        // intermediate images; --layers=false leaves only the tagged image, which removeContainersAndImage untags.
        List<String> build = new ArrayList<>(List.of(engine, "build", "-t", IMAGE));
        if (engine.equals("podman")) {
            build.add("--layers=false");
        }
        build.add(TOP.toString());
        Run built = run(120, build.toArray(String[]::new));
        assertEquals(0, built.status, "image build failed:\n" + built.output);
    }

    @AfterAll
    static void removeContainersAndImage() throws Exception {
        for (String name : containers) {
            run(30, engine, "rm", "-f", name);
        }
        // Each build of a changed rootfs leaves an 80 MB image; untag ours so repeated runs do not pile
        // them up (the build takes seconds: its context is the rootfs alone, in one COPY layer).
        if (engine != null) {
            run(60, engine, "rmi", IMAGE);
        }
    }

    @Test
    void servesReadOnlyWithoutCapabilitiesAndFinishesTheInFlightResponseOnSigterm() throws Exception {
        int port = InFlightRequest.freePort();
        String name = start(port, List.of());
        assertEquals(InFlightRequest.HELLO_RESPONSE, InFlightRequest.get(port, 30_000));
        String bootLine = logs(name);
        // The engine's default seccomp profile blocks io_uring: a fallback with its reason, not a failure.
        assertTrue(bootLine.contains("started on epoll") && bootLine.contains("io_uring unavailable: "), bootLine);
        // The JVM warns when it will not use the AOT cache trained at build time (a jar's time or the class
        // path differs from training); boot would then be about 3 times slower.
        assertFalse(bootLine.contains("[cds]") || bootLine.contains("[aot]"), "the AOT cache was refused:\n" + bootLine);

        Set<String> mapped = MappedLibraries.of(hostPid(name));
        mapped.removeIf(l -> l.startsWith("/appliance/"));
        assertEquals(MappedLibraries.systemLibrariesIn(Path.of("target/rootfs")), mapped,
                "system libraries: carried by the rootfs (left) vs mapped by PID 1 in the container (right)");

        try (InFlightRequest inFlight = InFlightRequest.start(port)) {
            Thread.sleep(300); // the guest has accepted the connection and waits in recv for the rest
            long signalled = System.nanoTime();
            Run kill = run(30, engine, "kill", "--signal", "TERM", name);
            assertEquals(0, kill.status, kill.output);
            assertEquals(InFlightRequest.HELLO_RESPONSE, inFlight.finish(), "the in-flight response, whole");
            Run wait = run(30, engine, "wait", name);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);
            assertEquals("0", wait.output.strip(), "exit status after SIGTERM; logs:\n" + logs(name));
            assertTrue(millis < 2000, "exited " + millis + " ms after SIGTERM");
        }
    }

    @Test
    void theShippedSeccompProfileLetsIoUringRun() throws Exception {
        int port = InFlightRequest.freePort();
        String name = start(port, List.of("--security-opt", "seccomp=" + SECCOMP.toAbsolutePath()));
        assertEquals(InFlightRequest.HELLO_RESPONSE, InFlightRequest.get(port, 30_000));
        String bootLine = logs(name);
        assertTrue(bootLine.contains("started on io_uring"), bootLine);
        stop(name);
    }

    @Test
    void aLowMemlockLimitFallsBackToEpollWithItsReason() throws Exception {
        int port = InFlightRequest.freePort();
        // 96 KiB: room for one io_uring ring (about 76 KiB here) but not for two, so the check at start must
        // count every shard's ring; checking one let io_uring through and then a shard failed to start.
        // Podman replaces its configured default ulimits once any --ulimit is given; nofile and nproc are
        // set too so that no limit is raised above what this (possibly sandboxed) machine allows.
        String name = start(port, List.of("--security-opt", "seccomp=" + SECCOMP.toAbsolutePath(),
                "--ulimit", "memlock=98304:98304", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                "-e", "APPLIANCE_SHARDS=2"));
        assertEquals(InFlightRequest.HELLO_RESPONSE, InFlightRequest.get(port, 30_000));
        String bootLine = logs(name);
        assertTrue(bootLine.contains("started on epoll, 2 shards") && bootLine.contains("io_uring unavailable: ")
                && bootLine.contains("memlock"), bootLine);
        stop(name);
    }

    /** The entry point says run: `podman run IMAGE --version` and `podman run IMAGE help` still answer. */
    @Test
    void versionAndHelpWorkAfterTheImageName() throws Exception {
        Run version = run(60, engine, "run", "--rm", "--read-only", "--cap-drop=ALL", IMAGE, "--version");
        assertEquals(0, version.status, version.output);
        assertTrue(version.output.startsWith("appliance " + System.getProperty("expected.appliance.version") + "\n"),
                version.output);
        // the engine's default seccomp profile blocks io_uring; --version probes each transport as a start would
        assertTrue(version.output.contains("\ntransport io_uring: unavailable: ")
                && version.output.contains("\ntransport epoll: available\n"), version.output);
        Run help = run(60, engine, "run", "--rm", "--read-only", "--cap-drop=ALL", IMAGE, "help");
        assertEquals(0, help.status, help.output);
        assertTrue(help.output.startsWith("Usage: appliance run "), help.output);
    }

    // ------------------------------------------------------------------ helpers

    private static String start(int port, List<String> options) throws Exception {
        String name = "wasix-it-" + ProcessHandle.current().pid() + "-" + port;
        containers.add(name);
        List<String> cmd = new ArrayList<>(List.of(engine, "run", "-d", "--name", name, "--read-only",
                "--cap-drop=ALL", "-p", "127.0.0.1:" + port + ":8080"));
        cmd.addAll(options);
        cmd.add(IMAGE);
        Run r = run(60, cmd.toArray(String[]::new));
        assertEquals(0, r.status, "run failed:\n" + r.output);
        return name;
    }

    private static void stop(String name) throws Exception {
        Run r = run(30, engine, "stop", "-t", "10", name);
        assertEquals(0, r.status, r.output);
        assertEquals("0", run(30, engine, "inspect", "--format", "{{.State.ExitCode}}", name).output.strip());
    }

    private static String logs(String name) throws Exception {
        return run(30, engine, "logs", name).output;
    }

    private static long hostPid(String name) throws Exception {
        return Long.parseLong(run(30, engine, "inspect", "--format", "{{.State.Pid}}", name).output.strip());
    }

    private static String findEngine() throws InterruptedException {
        for (String candidate : new String[] {"podman", "docker"}) {
            try {
                if (run(30, candidate, "info").status == 0) {
                    return candidate;
                }
            } catch (IOException e) {
                // not installed
            }
        }
        return null;
    }

    private record Run(int status, String output) {}

    /** Runs a command to its end (bounded), stdout and stderr together. */
    private static Run run(int timeoutSeconds, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        // Read on another thread: a chatty build must not block on a full pipe while we wait.
        var out = new java.io.ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                p.getInputStream().transferTo(out);
            } catch (IOException ignored) {
                // the process ended
            }
        });
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " took over " + timeoutSeconds + " s");
        }
        reader.join(5000);
        return new Run(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }
}

package io.wasix.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.image.Engine.Run;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container image as users run it: built from the top-level Dockerfile with the engine this machine
 * has (podman, else docker), run read-only with every capability dropped, on a free loopback port. Skipped,
 * loudly, where no engine works. Each test starts its own container and removes it.
 */
@Timeout(180)
class ContainerIT {
    private static final String IMAGE = Engine.imageTag("it");
    private static final Path SECCOMP = Path.of("seccomp/io_uring.json");
    private static Engine engine;
    /** Built FROM {@link #IMAGE} by the README's recipe, with a module no image bundles. */
    private static final String DERIVED = IMAGE.replace("wasix-appliance:", "wasix-appliance-derived:");
    private static final Path HANDWRITTEN = Path.of("../wasm-host/src/test/guests/handwritten.wasm");
    /** Every image this class tagged, untagged at the end (the base last: the others are built on it). */
    private static final List<String> images = new ArrayList<>();
    private static final List<String> containers = new ArrayList<>();

    @BeforeAll
    static void buildTheImage() throws Exception {
        engine = Engine.findOrSkip("ContainerIT");
        Run built = engine.build(IMAGE);
        assertEquals(0, built.status(), "image build failed:\n" + built.output());
    }

    @AfterAll
    static void removeContainersAndImage() throws Exception {
        if (engine == null) {
            return;
        }
        for (String name : containers) {
            engine.run(30, "rm", "-f", name);
        }
        // Each build of a changed rootfs leaves an 80 MB image; untag ours so repeated runs do not pile
        // them up (the build takes seconds: its context is the rootfs alone, in one COPY layer).
        if (engine != null) {
            for (String image : images) {
                engine.run(60, "rmi", image);
            }
            engine.run(60, "rmi", IMAGE);
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
            Run kill = engine.run(30, "kill", "--signal", "TERM", name);
            assertEquals(0, kill.status(), kill.output());
            assertEquals(InFlightRequest.HELLO_RESPONSE, inFlight.finish(), "the in-flight response, whole");
            Run wait = engine.run(30, "wait", name);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);
            assertEquals("0", wait.output().strip(), "exit status after SIGTERM; logs:\n" + logs(name));
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

    /**
     * The README's way to ship your own module: FROM the image, COPY it, one exec-form RUN that compiles it
     * and retrains the AOT cache on it. The module is a test guest no image bundles (handwritten.wat); the
     * container boots it from its artifact, and its compiled classes come from the retrained AOT cache.
     */
    @Test
    @Timeout(600)
    void aDerivedImageBootsItsOwnModuleFromItsArtifactAndTheRetrainedCache(@TempDir Path context) throws Exception {
        Files.copy(HANDWRITTEN, context.resolve("server.wasm"));
        Files.writeString(context.resolve("Containerfile"), """
                FROM %s
                COPY server.wasm /srv/server.wasm
                RUN ["/appliance/bin/java", "@/appliance/lib/app/container.args", "compile", "--train", "/srv/server.wasm"]
                ENV APPLIANCE_MODULE=/srv/server.wasm
                """.formatted(IMAGE));
        images.add(DERIVED);
        Run built = engine.build(480, DERIVED, context.resolve("Containerfile"), context);
        assertEquals(0, built.status(), "derived image build failed:\n" + built.output());
        assertTrue(built.output().contains("appliance: AOT cache trained on 200 requests to 0.0.0.0:8080: "
                + "/var/cache/wasix-appliance/classes.jsa"), built.output());

        int port = InFlightRequest.freePort();
        // Class loading logged to stdout: each compiled class of the module must come from the AOT cache.
        String name = start(port, List.of("-e", "JDK_JAVA_OPTIONS=-Xlog:class+load=info:stdout"), DERIVED);
        assertEquals(InFlightRequest.HELLO_RESPONSE, InFlightRequest.get(port, 30_000));
        String log = logs(name);
        String digest = sha256(HANDWRITTEN).substring(0, 12);
        assertTrue(log.contains("appliance: /srv/server.wasm (compiled ahead of time: sha256:" + digest
                + " from /var/cache/wasix-appliance) started on epoll, 1 shard, listening on 0.0.0.0:8080, "), log);
        List<String> moduleClasses = log.lines().filter(l -> l.contains("[class,load] com.dylibso.chicory.$gen.")).toList();
        assertFalse(moduleClasses.isEmpty(), log);
        assertTrue(moduleClasses.stream().allMatch(l -> l.endsWith(" source: shared objects file")),
                "the module's classes, from the retrained AOT cache:\n" + String.join("\n", moduleClasses));
        assertFalse(log.contains("[warning]") || log.contains("[error]"), "the AOT cache was refused:\n" + log);
        stop(name);
    }

    private static String sha256(Path file) throws Exception {
        return java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    /** The entry point says run: `podman run IMAGE --version` and `podman run IMAGE help` still answer. */
    @Test
    void versionAndHelpWorkAfterTheImageName() throws Exception {
        Run version = engine.run(60, "run", "--rm", "--read-only", "--cap-drop=ALL", IMAGE, "--version");
        assertEquals(0, version.status(), version.output());
        assertTrue(version.output().startsWith("appliance " + System.getProperty("expected.appliance.version") + "\n"),
                version.output());
        // the engine's default seccomp profile blocks io_uring; --version probes each transport as a start would
        assertTrue(version.output().contains("\ntransport io_uring: unavailable: ")
                && version.output().contains("\ntransport epoll: available\n"), version.output());
        Run help = engine.run(60, "run", "--rm", "--read-only", "--cap-drop=ALL", IMAGE, "help");
        assertEquals(0, help.status(), help.output());
        assertTrue(help.output().startsWith("Usage: appliance run "), help.output());
    }

    // ------------------------------------------------------------------ helpers

    private static String start(int port, List<String> options) throws Exception {
        return start(port, options, IMAGE);
    }

    private static String start(int port, List<String> options, String image) throws Exception {
        String name = "wasix-it-" + ProcessHandle.current().pid() + "-" + port;
        containers.add(name);
        List<String> cmd = new ArrayList<>(List.of("run", "-d", "--name", name, "--read-only",
                "--cap-drop=ALL", "-p", "127.0.0.1:" + port + ":8080"));
        cmd.addAll(options);
        cmd.add(image);
        Run r = engine.run(60, cmd);
        assertEquals(0, r.status(), "run failed:\n" + r.output());
        return name;
    }

    private static void stop(String name) throws Exception {
        Run r = engine.run(30, "stop", "-t", "10", name);
        assertEquals(0, r.status(), r.output());
        assertEquals("0", engine.run(30, "inspect", "--format", "{{.State.ExitCode}}", name).output().strip());
    }

    private static String logs(String name) throws Exception {
        return engine.run(30, "logs", name).output();
    }

    private static long hostPid(String name) throws Exception {
        return Long.parseLong(engine.run(30, "inspect", "--format", "{{.State.Pid}}", name).output().strip());
    }
}

package io.wasix.image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The container engine the image tests drive (podman, else docker): finding one, building the image from the
 * top-level Dockerfile under a tag of the caller's, and running the engine's commands to their end. One test
 * thread.
 */
final class Engine {
    static final Path TOP = Path.of("..");

    final String command;

    private Engine(String command) {
        this.command = command;
    }

    /** The engine this machine has; aborts the calling test class, loudly, where none works. */
    static Engine findOrSkip(String testName) throws InterruptedException {
        for (String candidate : new String[] {"podman", "docker"}) {
            try {
                if (exec(30, new String[] {candidate, "info"}).status() == 0) {
                    return new Engine(candidate);
                }
            } catch (IOException e) {
                // not installed
            }
        }
        String why = testName + " SKIPPED: no working container engine (tried `podman info`, `docker info`);"
                + " .ci/run installs podman and runc";
        System.err.println("\n!!!!!!!! " + why + " !!!!!!!!\n");
        Assumptions.abort(why);
        throw new AssertionError("unreachable");
    }

    /**
     * An image tag per checkout and per test class, so that two worktrees, or two test classes, never build,
     * run or remove each other's image.
     */
    static String imageTag(String testKind) {
        return "localhost/wasix-appliance:" + testKind + "-"
                + Integer.toHexString(TOP.toAbsolutePath().normalize().toString().hashCode());
    }

    /** Builds the image from the rootfs `mvn package` assembled; the build's output on failure. */
    Run build(String image) throws IOException, InterruptedException {
        // Quick without a layer cache: the context is the rootfs alone, copied in one layer. A cache would
        // not hit anyway (every package re-links the runtime), and podman would keep each build's
        // intermediate images; --layers=false leaves only the tagged image, which the caller untags.
        List<String> build = new ArrayList<>(List.of(command, "build", "-t", image));
        if (command.equals("podman")) {
            build.add("--layers=false");
        }
        build.add(TOP.toString());
        return exec(120, build.toArray(String[]::new));
    }

    /** Builds {@code image} from {@code containerfile} in {@code context} (a derived image); the build's output. */
    Run build(int timeoutSeconds, String image, Path containerfile, Path context) throws IOException, InterruptedException {
        List<String> build = new ArrayList<>(List.of(command, "build", "-t", image, "-f", containerfile.toString()));
        if (command.equals("podman")) {
            build.add("--layers=false");
        }
        build.add(context.toString());
        return exec(timeoutSeconds, build.toArray(String[]::new));
    }

    /** This engine's command with ARGS, run to its end (bounded). */
    Run run(int timeoutSeconds, List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(command);
        cmd.addAll(args);
        return exec(timeoutSeconds, cmd.toArray(String[]::new));
    }

    Run run(int timeoutSeconds, String... args) throws IOException, InterruptedException {
        return run(timeoutSeconds, List.of(args));
    }

    record Run(int status, String output) {}

    /** Runs a command to its end (bounded), stdout and stderr together. */
    private static Run exec(int timeoutSeconds, String[] cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        // Read on another thread: a chatty build must not block on a full pipe while we wait.
        var out = new ByteArrayOutputStream();
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

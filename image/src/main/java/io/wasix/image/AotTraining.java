package io.wasix.image;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The AOT cache's training run, at image build time (image/pom.xml, package phase): boots the linked image's
 * appliance exactly as users do, serves real requests, stops it with SIGTERM, and the JVM writes its AOT cache
 * as it exits. One JVM, several runs of the appliance in turn (io.wasix.appliance.TrainingRuns), because a
 * cache records one JVM and each deployment path must be in it:
 *
 * <ol>
 *   <li>{@code run --transport epoll}: in a container the engine's seccomp profile blocks io_uring, and a
 *       cache trained on io_uring alone left ~50 epoll classes to be parsed and verified at every boot there;
 *   <li>{@code run --cache DIR hello.wasm}: a user's module compiled by `appliance compile` (the bundled
 *       guest's own .wasm, compiled first into a scratch directory): the digest, the artifact, its loader;
 *   <li>{@code run}: the bundled guest on io_uring, the bare default.
 * </ol>
 *
 * <p>The cache is written as lib/server/classes.jsa, the runtime's default CDS archive: every start of
 * bin/java uses it with no flag, from any directory (a FROM scratch container's ENTRYPOINT has no launcher
 * script). The JVM accepts it wherever the image is moved, as long as the class path names the same jars
 * (lib/app/wasm-host.jar then lib/app/appliance.jar, any directory prefix) and they are unchanged; the main
 * class may differ.
 *
 * <p>Everything the runs print (the appliance's boot lines and reports, the JVM's AOT warnings about JFR event
 * classes it cannot archive, the cache assembly's progress) goes to a log file, which is printed only when the
 * training fails: `mvn -q package` prints nothing on success.
 *
 * <p>Single-threaded but for the thread that reads the appliance's stderr; a build tool, never part of the image.
 */
public final class AotTraining {
    private static final int REQUESTS = 100;
    private static final long BOOT_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);

    private AotTraining() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: AotTraining IMAGE_DIR LOG_FILE USER_MODULE.wasm SCRATCH_DIR");
            System.exit(2);
        }
        Path image = Path.of(args[0]).toAbsolutePath();
        Path log = Path.of(args[1]).toAbsolutePath();
        try {
            train(image, log, Path.of(args[2]).toAbsolutePath(), Path.of(args[3]).toAbsolutePath());
        } catch (Exception e) {
            System.err.println("AOT training failed: " + e.getMessage() + "; its output (" + log + "):");
            if (Files.isReadable(log)) {
                System.err.print(Files.readString(log));
            }
            System.exit(1);
        }
    }

    private static void train(Path image, Path log, Path userModule, Path scratch) throws Exception {
        Path cache = image.resolve("lib/server/classes.jsa");
        Files.deleteIfExists(cache);
        truncateTimestamps(image);
        int port = freePort();
        Files.createDirectories(log.getParent());
        Files.writeString(log, "");

        // The user's module: a copy of the bundled guest's .wasm, compiled as `appliance compile` does.
        Files.createDirectories(scratch);
        Path module = Files.copy(userModule, scratch.resolve("user-module.wasm"), StandardCopyOption.REPLACE_EXISTING);
        Path artifacts = scratch.resolve("artifacts");
        Process compile = new ProcessBuilder(image.resolve("bin/appliance").toString(), "compile", "-o",
                artifacts.toString(), module.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        if (compile.waitFor() != 0) {
            throw new IllegalStateException("appliance compile " + module + " exited with status " + compile.exitValue());
        }

        List<List<String>> runs = List.of(
                List.of("run", "--transport", "epoll"),
                List.of("run", "--cache", artifacts.toString(), module.toString()),
                List.of("run"));
        // bin/appliance's own java command, its class path above all, with another main class.
        String bin = image.resolve("bin").toString();
        List<String> cmd = new ArrayList<>(List.of(bin + "/java", "-XX:AOTCacheOutput=" + cache, "-cp",
                bin + "/../lib/app/wasm-host.jar:" + bin + "/../lib/app/appliance.jar", "io.wasix.appliance.TrainingRuns"));
        for (int i = 0; i < runs.size(); i++) {
            if (i > 0) {
                cmd.add(";");
            }
            cmd.addAll(runs.get(i));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("PORT", Integer.toString(port));
        pb.environment().put("APPLIANCE_BOOT_REPORT", "1"); // its printing path is cached too
        // What bin/appliance sets (bash's $EPOCHREALTIME), so that the boot clock's path through java.time is
        // trained too; the runs after the first count from it as well, which only their boot lines show.
        java.time.Instant now = java.time.Instant.now();
        pb.environment().put("APPLIANCE_EXEC_TIME", String.format("%d.%06d", now.getEpochSecond(), now.getNano() / 1000));
        Process p = pb.start();
        BlockingQueue<String> bootLines = logAndWatch(p, log);
        try {
            for (List<String> run : runs) {
                awaitBootLine(p, bootLines, run);
                for (int i = 0; i < REQUESTS; i++) {
                    check(get(port));
                }
                // SIGTERM: the run stops gracefully, as a deployment does, and the next one starts. Through the
                // handle: Process.destroy() would also close our end of its stderr, and with it the boot lines.
                p.toHandle().destroy();
            }
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the training runs did not exit within 120 s of the last SIGTERM");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("the training runs exited with status " + p.exitValue());
            }
        } finally {
            p.destroyForcibly();
        }
        if (!Files.isRegularFile(cache) || Files.size(cache) == 0) {
            throw new IllegalStateException("the training run wrote no AOT cache at " + cache);
        }
        Files.writeString(log, String.format("AOT cache: %s, %.1f MB, trained on %d runs of %d requests%n", cache,
                Files.size(cache) / 1e6, runs.size(), REQUESTS), StandardOpenOption.APPEND);
    }

    /** Copies the appliance's stderr to the log, handing each boot line ("appliance: ... started on ...") over. */
    private static BlockingQueue<String> logAndWatch(Process p, Path log) {
        BlockingQueue<String> bootLines = new LinkedBlockingQueue<>();
        Thread t = new Thread(() -> {
            try (BufferedReader in = p.errorReader(StandardCharsets.UTF_8);
                    var out = Files.newBufferedWriter(log, StandardOpenOption.APPEND)) {
                for (String line; (line = in.readLine()) != null; ) {
                    out.write(line);
                    out.newLine();
                    out.flush();
                    if (line.startsWith("appliance: ") && line.contains(" started on ")) {
                        bootLines.add(line);
                    }
                }
            } catch (IOException e) {
                // the appliance has exited
            }
        }, "training-stderr");
        t.setDaemon(true);
        t.start();
        return bootLines;
    }

    /** Waits for the boot line of the next run: it comes once the guest listens. */
    private static void awaitBootLine(Process p, BlockingQueue<String> bootLines, List<String> run) throws Exception {
        long deadline = System.nanoTime() + BOOT_TIMEOUT_NANOS;
        while (bootLines.poll(20, TimeUnit.MILLISECONDS) == null) {
            if (!p.isAlive()) {
                throw new IllegalStateException("the appliance exited with status " + p.exitValue() + " before "
                        + String.join(" ", run) + " listened");
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(String.join(" ", run) + ": no boot line within 60 s");
            }
        }
    }

    /**
     * Drops the sub-second part of every file's modification time. The cache records its jars' times to the
     * nanosecond and refuses a jar whose time differs, but a container image layer keeps whole seconds: without
     * this, the cache trained here is ignored in the container ("timestamp has changed").
     */
    private static void truncateTimestamps(Path image) throws IOException {
        try (var files = Files.walk(image)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                FileTime t = Files.getLastModifiedTime(f);
                Files.setLastModifiedTime(f, FileTime.from(t.to(TimeUnit.SECONDS), TimeUnit.SECONDS));
            }
        }
    }

    private static void check(String response) {
        if (!response.startsWith("HTTP/1.1 200 ")) {
            throw new IllegalStateException("unexpected response: " + response);
        }
    }

    private static String get(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: training\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    /** A port the guest, which binds 0.0.0.0, can take now. */
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("0.0.0.0", 0));
            return s.getLocalPort();
        }
    }
}

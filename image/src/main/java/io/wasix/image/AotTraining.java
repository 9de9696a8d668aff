package io.wasix.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The AOT cache's training run, at image build time (image/pom.xml, package phase): boots the linked image
 * exactly as users do, through bin/appliance, serves real requests, stops it with SIGTERM, and the JVM writes
 * its AOT cache as it exits. JDK_JAVA_OPTIONS carries -XX:AOTCacheOutput into the launcher's own java
 * command line, so the trained class path is the launcher's.
 *
 * <p>The cache is written as lib/server/classes.jsa, the runtime's default CDS archive: every start of
 * bin/java uses it with no flag, from any directory (a FROM scratch container's ENTRYPOINT has no launcher
 * script). The JVM accepts it wherever the image is moved, as long as the class path names the same jars
 * (lib/app/wasm-host.jar then lib/app/appliance.jar, any directory prefix) and they are unchanged.
 *
 * <p>Everything the run prints (the appliance's boot line and report, the JVM's AOT warnings about JFR event
 * classes it cannot archive, the cache assembly's progress) goes to a log file, which is printed only when the
 * training fails: `mvn -q package` prints nothing on success.
 *
 * <p>Single-threaded; a build tool, never part of the image.
 */
public final class AotTraining {
    private static final int REQUESTS = 200;
    private static final long BOOT_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);

    private AotTraining() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: AotTraining IMAGE_DIR LOG_FILE");
            System.exit(2);
        }
        Path image = Path.of(args[0]).toAbsolutePath();
        Path log = Path.of(args[1]).toAbsolutePath();
        try {
            train(image, log);
        } catch (Exception e) {
            System.err.println("AOT training failed: " + e.getMessage() + "; its output (" + log + "):");
            if (Files.isReadable(log)) {
                System.err.print(Files.readString(log));
            }
            System.exit(1);
        }
    }

    private static void train(Path image, Path log) throws Exception {
        Path cache = image.resolve("lib/server/classes.jsa");
        Files.deleteIfExists(cache);
        truncateTimestamps(image);
        int port = freePort();

        Files.createDirectories(log.getParent());
        ProcessBuilder pb = new ProcessBuilder(List.of(image.resolve("bin/appliance").toString(), "run"))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("PORT", Integer.toString(port));
        pb.environment().put("APPLIANCE_BOOT_REPORT", "1"); // its printing path is cached too
        pb.environment().put("JDK_JAVA_OPTIONS", "-XX:AOTCacheOutput=" + cache);
        Process p = pb.start();
        try {
            awaitFirstResponse(p, port);
            for (int i = 1; i < REQUESTS; i++) {
                check(get(port));
            }
            p.destroy(); // SIGTERM: the appliance exits 0 and the JVM writes the cache on its way out
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the training run did not exit within 120 s of SIGTERM");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("the training run exited with status " + p.exitValue());
            }
        } finally {
            p.destroyForcibly();
        }
        if (!Files.isRegularFile(cache) || Files.size(cache) == 0) {
            throw new IllegalStateException("the training run wrote no AOT cache at " + cache);
        }
        Files.writeString(log, String.format("AOT cache: %s, %.1f MB, trained on %d requests%n", cache,
                Files.size(cache) / 1e6, REQUESTS), java.nio.file.StandardOpenOption.APPEND);
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

    private static void awaitFirstResponse(Process p, int port) throws Exception {
        long deadline = System.nanoTime() + BOOT_TIMEOUT_NANOS;
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException("the appliance exited with status " + p.exitValue() + " before answering");
            }
            try {
                check(get(port));
                return;
            } catch (java.net.ConnectException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no answer on port " + port + " within 60 s", e);
                }
                Thread.sleep(20);
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

package io.wasix.appliance.compile;

import io.wasix.appliance.Main;
import io.wasix.appliance.module.ArtifactCache;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * `appliance compile --train`: boots the module from its artifact in a child JVM of this runtime, started as
 * `appliance run` is (this JVM's class path, the runtime's own options, the caller's environment) plus
 * -XX:AOTCacheOutput; waits for the boot line to say where the guest listens, sends it HTTP requests, stops
 * it with SIGTERM, and moves the AOT cache the JVM wrote on its way out over the runtime's default CDS
 * archive, lib/server/classes.jsa (following a symlink: the container image links it into its writable cache
 * directory). The JVM maps that file at every start without a flag, as long as the class path and jars are
 * those of the training run.
 *
 * <p>Runs on main; one thread echoes the child's stderr and watches it for the listening address.
 */
final class Training {
    private static final long LISTEN_TIMEOUT_SECONDS = 60;
    /** Writing the cache forks a second JVM that assembles it: seconds, more for a large module. */
    private static final long EXIT_TIMEOUT_SECONDS = 300;
    private static final int READ_TIMEOUT_MILLIS = 2_000;
    private static final Pattern LISTENING = Pattern.compile("listening on (\\S+):(\\d+)");

    /** The training run failed; the message says how. */
    static final class TrainingException extends Exception {
        TrainingException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * @param answered requests the guest answered and closed
     * @param address where it listened
     * @param cache the AOT cache file written (the real file, past any symlink)
     */
    record Result(int answered, String address, Path cache, long bytes) {}

    private Training() {}

    static Result run(Path module, ArtifactCache artifacts, int requests, List<String> guestArgs,
            Map<String, String> env, PrintStream err) throws TrainingException {
        Path javaHome = Path.of(System.getProperty("java.home"));
        Path target = defaultArchive(javaHome);
        Path dir = target.getParent();
        if (!Files.isWritable(dir)) {
            throw new TrainingException("cannot write the AOT cache in " + dir + ": not writable by this user");
        }
        Path tmp = dir.resolve(target.getFileName() + ".training-" + ProcessHandle.current().pid());
        List<String> cmd = new ArrayList<>(List.of(javaHome.resolve("bin/java").toString(),
                "-XX:AOTCacheOutput=" + tmp, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "run", "--cache", artifacts.dir().toString(), module.toString()));
        if (!guestArgs.isEmpty()) {
            cmd.add("--");
            cmd.addAll(guestArgs);
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.INHERIT);
        pb.environment().clear();
        pb.environment().putAll(env);
        pb.environment().remove("APPLIANCE_QUIET"); // the boot line says where the guest listens
        pb.environment().put("APPLIANCE_BOOT_REPORT", "1"); // so that printing it is in the cache too
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new TrainingException("cannot start " + cmd.get(0) + ": " + e.getMessage());
        }
        try {
            CompletableFuture<String> listening = watch(p.getErrorStream(), err);
            String address = awaitListening(p, listening);
            int answered = serve(address, requests);
            // SIGTERM: the appliance stops with status 0, and the JVM writes the cache as it exits. Through the
            // handle: Process.destroy() would also close our end of its stderr, whose last lines we still echo.
            p.toHandle().destroy();
            if (!p.waitFor(EXIT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new TrainingException("the training run did not exit within " + EXIT_TIMEOUT_SECONDS
                        + " s of SIGTERM");
            }
            if (p.exitValue() != 0) {
                throw new TrainingException("the training run exited with status " + p.exitValue());
            }
            if (!Files.isRegularFile(tmp) || Files.size(tmp) == 0) {
                throw new TrainingException("the training run wrote no AOT cache at " + tmp);
            }
            long bytes = Files.size(tmp);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return new Result(answered, address, target, bytes);
        } catch (IOException e) {
            throw new TrainingException(e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TrainingException("interrupted");
        } finally {
            p.destroyForcibly();
            try {
                Files.deleteIfExists(tmp);
                Files.deleteIfExists(Path.of(tmp + ".config"));
            } catch (IOException e) {
                err.println("appliance: cannot remove " + tmp + ": " + e.getMessage());
            }
        }
    }

    /**
     * lib/server/classes.jsa, where the JVM looks for its default archive, or the file a symlink there names:
     * replacing the link itself would leave the file the image's runs map untouched.
     */
    static Path defaultArchive(Path javaHome) {
        Path link = javaHome.resolve("lib/server/classes.jsa");
        try {
            return Files.isSymbolicLink(link) ? link.toRealPath() : link;
        } catch (IOException e) {
            // a dangling link: the file it names is what the JVM would open
            try {
                return link.getParent().resolve(Files.readSymbolicLink(link)).normalize();
            } catch (IOException e2) {
                return link;
            }
        }
    }

    /** Echoes the child's stderr to {@code err}; completes with "HOST:PORT" once the boot line names it. */
    private static CompletableFuture<String> watch(InputStream stderr, PrintStream err) {
        CompletableFuture<String> listening = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (var in = new BufferedReader(new InputStreamReader(stderr, StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    err.println(line);
                    Matcher m = LISTENING.matcher(line);
                    if (line.startsWith("appliance: ") && m.find()) {
                        listening.complete(m.group(1) + ":" + m.group(2));
                    }
                }
            } catch (IOException e) {
                // the child is gone: awaitListening sees it exit
            }
            listening.complete(null);
        }, "training-stderr");
        t.setDaemon(true);
        t.start();
        return listening;
    }

    private static String awaitListening(Process p, CompletableFuture<String> listening)
            throws TrainingException, InterruptedException {
        try {
            String address = listening.get(LISTEN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (address == null) {
                p.waitFor(5, TimeUnit.SECONDS);
                throw new TrainingException("the training run ended before its guest listened"
                        + (p.isAlive() ? "" : " (status " + p.exitValue() + ")"));
            }
            return address;
        } catch (TimeoutException e) {
            throw new TrainingException("the guest did not listen within " + LISTEN_TIMEOUT_SECONDS + " s");
        } catch (ExecutionException e) {
            throw new TrainingException(e.getCause().toString());
        }
    }

    /**
     * Sends up to {@code requests} GET requests, one per connection, each read until the server closes. A
     * server that does not close within 2 s is no HTTP/1.1 server honouring "Connection: close": the
     * requests stop there, and what ran so far is the training.
     */
    private static int serve(String address, int requests) throws TrainingException {
        InetSocketAddress to = target(address);
        byte[] request = "GET / HTTP/1.1\r\nHost: training\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        int answered = 0;
        for (int i = 0; i < requests; i++) {
            try (Socket s = new Socket()) {
                s.connect(to, 5_000);
                s.setSoTimeout(READ_TIMEOUT_MILLIS);
                OutputStream out = s.getOutputStream();
                out.write(request);
                out.flush();
                s.getInputStream().readAllBytes();
                answered++;
            } catch (SocketTimeoutException e) {
                break;
            } catch (IOException e) {
                if (answered == 0) {
                    throw new TrainingException("no answer from the guest at " + to + ": " + e.getMessage());
                }
                break;
            }
        }
        return answered;
    }

    /** Where to connect for "HOST:PORT": a wildcard address is reached through loopback. */
    static InetSocketAddress target(String address) throws TrainingException {
        int colon = address.lastIndexOf(':');
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = Integer.parseInt(address.substring(colon + 1));
        try {
            InetAddress a = InetAddress.getByName(host);
            if (a.isAnyLocalAddress()) {
                a = host.contains(":") ? InetAddress.getByName("::1") : InetAddress.getLoopbackAddress();
            }
            return new InetSocketAddress(a, port);
        } catch (IOException e) {
            throw new TrainingException("cannot reach " + address + ": " + e.getMessage());
        }
    }
}

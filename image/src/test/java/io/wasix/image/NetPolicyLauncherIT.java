package io.wasix.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * --net and --listen through the jlinked launcher: the default, --net=deny and --net=none refuse a guest's
 * connection to a real listener on 127.0.0.1 (they used to allow it), rules allow what they name, a guest
 * that binds a port --listen does not list gets EACCES, the refusals show in --stats, and a value nobody
 * defined is a usage error of one line.
 */
@Timeout(120)
class NetPolicyLauncherIT {
    private static final Path LAUNCHER = Path.of("target/appliance/bin/appliance");
    private static final Path ECHO_CLIENT = Path.of("../wasm-host/src/test/guests/echo-client.wasm");

    private record Result(int status, String stdout, String stderr) {}

    private static Result run(List<String> args, Map<String, String> env) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("APPLIANCE_NET");
        pb.environment().remove("APPLIANCE_LISTEN");
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            fail(args + " " + env + " did not end; stderr: " + err.get(5, TimeUnit.SECONDS));
        }
        return new Result(p.exitValue(), out.get(5, TimeUnit.SECONDS), err.get(5, TimeUnit.SECONDS));
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(output lost: " + e.getMessage() + ")"; // the process was killed
        }
    }

    /** echo-client run with {@code flags} against a listener that must see no connection. */
    private static Result refused(List<String> flags, Map<String, String> env) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            server.configureBlocking(false);
            List<String> args = new ArrayList<>(List.of("run", "--stats"));
            args.addAll(flags);
            args.addAll(List.of(ECHO_CLIENT.toString(), Integer.toString(server.socket().getLocalPort())));
            Result r = run(args, env);
            assertEquals(12, r.status(), flags + " " + env + ": " + r.stderr());
            assertTrue(r.stderr().contains("echo-client: sock_connect errno 2\n"), r.stderr());
            assertNull(server.accept(), flags + " " + env + ": the connection reached the listener");
            assertTrue(r.stderr().lines().anyMatch(l -> l.matches("net policy refusals +1  outbound=1")), r.stderr());
            return r;
        }
    }

    @Test
    void theDefaultDenyAndNoneRefuseOutbound() throws Exception {
        refused(List.of(), Map.of());
        refused(List.of("--net=deny"), Map.of());
        refused(List.of("--net=none"), Map.of());
        refused(List.of(), Map.of("APPLIANCE_NET", "deny"));
        refused(List.of(), Map.of("APPLIANCE_NET", "0"));
        refused(List.of("--net", "--net=deny"), Map.of()); // the last one counts
        refused(List.of("--net=deny"), Map.of("APPLIANCE_NET", "1")); // the flag wins over the variable
    }

    @Test
    void rulesAllowWhatTheyName() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            int port = server.getLocalPort();
            for (List<String> flags : List.of(List.of("--net"), List.of("--net=allow"), List.of("--net=allow:127.0.0.1:" + port),
                    List.of("--net=allow:127.0.0.0/8:*"), List.of("--net=ipv4:allow=127.0.0.1:" + port))) {
                CompletableFuture<String> heard = CompletableFuture.supplyAsync(() -> {
                    try (Socket s = server.accept()) {
                        byte[] in = s.getInputStream().readAllBytes();
                        s.getOutputStream().write(in);
                        return new String(in, StandardCharsets.US_ASCII);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                List<String> args = new ArrayList<>(List.of("run", "--quiet"));
                args.addAll(flags);
                args.addAll(List.of(ECHO_CLIENT.toString(), Integer.toString(port)));
                Result r = run(args, Map.of());
                assertEquals(0, r.status(), flags + ": " + r.stderr());
                assertEquals("ping\n", r.stdout());
                assertEquals("ping\n", heard.get(10, TimeUnit.SECONDS));
            }
        }
        refused(List.of("--net=allow:127.0.0.1:1-2,[::1]:*"), Map.of());
    }

    @Test
    void aPortListenDoesNotListIsEacces() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        String other = Integer.toString(port == 65535 ? 65534 : port + 1);
        Result r = run(List.of("run", "--stats", "--listen", other), Map.of("PORT", Integer.toString(port)));
        assertEquals(1, r.status(), r.stderr());
        assertTrue(r.stderr().contains("hello: sock_bind failed: EACCES\n"), r.stderr());
        assertTrue(r.stderr().lines().anyMatch(l -> l.matches("net policy refusals +1  listen=1")), r.stderr());
    }

    @Test
    void anUnknownValueIsAUsageErrorOfOneLine() throws Exception {
        Map<List<String>, String> bad = Map.of(
                List.of("run", "--net=bogus"), "appliance: --net: unknown policy 'bogus' (want ",
                List.of("run", "--net=all"), "appliance: --net: unknown policy 'all' (want ",
                List.of("run", "--net=allow:127.0.0.1"), "appliance: --net: '127.0.0.1' is not HOST:PORTS",
                List.of("run", "--net=ipv4:allow=127.0.0.1:80/in"), "appliance: --net: 'ipv4:allow=127.0.0.1:80/in' is an inbound rule",
                List.of("run", "--listen", "http"), "appliance: --listen wants ports like 8080,8443");
        for (var e : bad.entrySet()) {
            Result r = run(e.getKey(), Map.of());
            assertEquals(2, r.status(), e.getKey() + ": " + r.stderr());
            assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
            assertTrue(r.stderr().startsWith(e.getValue()), r.stderr());
        }
        Result v = run(List.of("run"), Map.of("APPLIANCE_NET", "bogus"));
        assertEquals(2, v.status(), v.stderr());
        assertTrue(v.stderr().startsWith("appliance: APPLIANCE_NET: unknown policy 'bogus'"), v.stderr());
    }
}

package io.wasix.host;

import static io.wasix.host.ShimGuest.*;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TrapException;
import com.dylibso.chicory.wasm.ChicoryException;
import io.wasix.host.net.Transport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The committed guest modules, run whole (their _start), on every available transport. */
class GuestModulesTest {
    /** The port handwritten.wasm's address struct spells out, as its author wrote it. */
    static final int HANDWRITTEN_PORT = 8080;
    /** Where that struct's port field sits in the guest's memory (its data segment at 16, port at +2). */
    static final int HANDWRITTEN_PORT_FIELD = 16 + 2;
    static final String RESPONSE = "HTTP/1.1 200 OK\r\n"
            + "Content-Type: text/plain\r\n"
            + "Content-Length: 13\r\n"
            + "Connection: close\r\n"
            + "\r\n"
            + "Hello, World!";

    /** What a guest's _start ended with, and what it printed. */
    record Run(Throwable ended, String stdout, String stderr) {
        int exitCode() {
            assertInstanceOf(GuestExitException.class, ended, () -> "expected proc_exit, got " + ended + "; stderr: " + stderr);
            return ((GuestExitException) ended).code();
        }
    }

    /** Runs {@code file}'s _start on the current thread with {@code args}; the host is closed afterwards. */
    static Run run(Transport t, String file, List<String> args) {
        return run(HostConfig.of(t).withAllowOutbound(true).withArgs(args), file);
    }

    /** Runs {@code file}'s _start on the current thread on a host made from {@code config}, its stdout and stderr
     * captured; the host is closed afterwards. */
    static Run run(HostConfig config, String file) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        HostConfig cfg = config.withStdio(InputStream.nullInputStream(), out, err);
        Throwable ended = null;
        try (WasixHost host = new WasixHost(cfg)) {
            Instance instance = ShimGuest.instantiate(file, host);
            instance.export("_start").apply();
        } catch (Throwable e) {
            ended = e;
        }
        return new Run(ended, out.toString(US_ASCII), err.toString(US_ASCII));
    }

    // ------------------------------------------------------------------ handwritten.wasm

    /**
     * The guest runs unmodified except for one thing: after instantiation, the port field of its hand-written
     * address struct (checked to still read 8080, little-endian) is rewritten to a port that is free now. A
     * fixed 8080 made this test fail on any machine where something else holds that port; the rewrite keeps
     * what the test is about, the host reading a hand-made struct with the port little-endian.
     */
    @TransportTest
    void handwrittenServerAnswersThreeClientsThenStops(Transport t) throws Exception {
        Transports.require(t);
        int port = freePort();

        ShardRun shard = ShardRun.start("shard-" + t.label(), () -> new WasixHost(HostConfig.of(t)), h -> {
            Instance instance = ShimGuest.instantiate("handwritten.wasm", h);
            Memory mem = instance.memory();
            assertEquals(HANDWRITTEN_PORT, mem.readShort(HANDWRITTEN_PORT_FIELD) & 0xffff,
                    "handwritten.wasm's address struct no longer says port 8080 where this test expects it");
            mem.writeShort(HANDWRITTEN_PORT_FIELD, (short) port);
            return instance;
        }, 5);
        WasixHost host = shard.host();
        CompletableFuture<Throwable> ended = shard.ended();
        try {
            for (int i = 1; i <= 3; i++) {
                String response = fetch(port, ended);
                assertEquals(RESPONSE, response, "response " + i + " on " + t.label());
            }
        } finally {
            long t0 = System.nanoTime();
            host.stop();
            Throwable why = ended.get(2, TimeUnit.SECONDS);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(WasixHost.isStop(why), () -> "the server ended with " + why);
            assertTrue(ms < 2000, "stopped after " + ms + " ms");
            shard.join(2000);
        }
    }

    /** A port that 0.0.0.0 can bind without SO_REUSEADDR right now, the way handwritten.wasm binds. */
    static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(false);
            probe.bind(new InetSocketAddress("0.0.0.0", 0));
            return probe.getLocalPort();
        }
    }

    /**
     * Connects (retrying while the guest is still starting) and reads the whole response to EOF. The client
     * closes with a reset once it has read EOF, so the guest's side of the connection skips TIME_WAIT and the
     * next run (the next transport) can bind the port again without SO_REUSEADDR.
     */
    static String fetch(int port, CompletableFuture<Throwable> serverEnded) throws Exception {
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (true) {
            if (serverEnded.isDone()) {
                fail("the server guest ended early: " + serverEnded.get()
                        + (serverEnded.get() instanceof TrapException ? " (a setup call failed: is port " + port + " free?)" : ""));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                s.setSoTimeout(PEER_TIMEOUT_MS);
                s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(US_ASCII));
                String response = new String(s.getInputStream().readAllBytes(), US_ASCII);
                s.setSoLinger(true, 0);
                return response;
            } catch (java.net.ConnectException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(10);
            }
        }
    }

    // ------------------------------------------------------------------ echo-client.wasm

    @TransportTest
    void echoClientAgainstAJavaEchoServer(Transport t) throws Exception {
        Transports.require(t);
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(PEER_TIMEOUT_MS);
            CompletableFuture<String> heard = async(() -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(PEER_TIMEOUT_MS);
                    byte[] in = s.getInputStream().readAllBytes(); // the client shuts down its write side
                    s.getOutputStream().write(in);
                    return new String(in, US_ASCII);
                }
            });
            Run r = run(t, "echo-client.wasm", List.of("echo-client", Integer.toString(server.getLocalPort())));
            assertEquals(0, r.exitCode(), () -> "stderr: " + r.stderr());
            assertEquals("ping\n", r.stdout());
            assertEquals("", r.stderr());
            assertEquals("ping\n", heard.get(PEER_TIMEOUT_MS, TimeUnit.MILLISECONDS));
        }
    }

    @TransportTest
    void echoClientAgainstAClosedPort(Transport t) throws Exception {
        Transports.require(t);
        int port = SocketCallsTest.closedPort();
        Run r = run(t, "echo-client.wasm", List.of("echo-client", Integer.toString(port)));
        assertEquals(10 + 14, r.exitCode(), () -> "stderr: " + r.stderr());
        assertEquals("echo-client: sock_connect errno 14\n", r.stderr());
        assertEquals("", r.stdout());
    }

    @TransportTest
    void echoClientWithoutOutboundPermission(Transport t) throws Exception {
        Transports.require(t);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        HostConfig cfg = HostConfig.of(t).withArgs(List.of("echo-client", "9")).withStdio(InputStream.nullInputStream(), System.out, err);
        try (WasixHost host = new WasixHost(cfg)) {
            Instance instance = ShimGuest.instantiate("echo-client.wasm", host);
            GuestExitException e = assertThrows(GuestExitException.class, () -> instance.export("_start").apply());
            assertEquals(10 + 2, e.code());
        }
        assertEquals("echo-client: sock_connect errno 2\n", err.toString(US_ASCII));
    }

    // ------------------------------------------------------------------ the small ones

    @Test
    void missingImportsAreListed() {
        assertEquals(List.of("wasix_32v1.frobnicate", "env.not_there"),
                WasixHost.missingImports(ShimGuest.module("missing-import.wasm")));
        assertEquals(List.of(), WasixHost.missingImports(ShimGuest.module("abi-shim.wasm")));
        assertEquals(List.of(), WasixHost.missingImports(ShimGuest.module("echo-client.wasm")));
        assertEquals(List.of(), WasixHost.missingImports(ShimGuest.module("handwritten.wasm")));
    }

    @TransportTest
    void instantiatingAModuleWithMissingImportsFails(Transport t) {
        Transports.require(t);
        try (WasixHost host = new WasixHost(HostConfig.of(t))) {
            ChicoryException e = assertThrows(ChicoryException.class,
                    () -> ShimGuest.instantiate("missing-import.wasm", host));
            assertTrue(String.valueOf(e.getMessage()).contains("frobnicate"), e.getMessage());
        }
    }

    @TransportTest
    void trapIsATrapException(Transport t) {
        Transports.require(t);
        Run r = run(t, "trap.wasm", List.of("trap"));
        assertInstanceOf(TrapException.class, r.ended(), () -> "ended with " + r.ended());
    }

    @TransportTest
    void exitReportsItsCode(Transport t) {
        Transports.require(t);
        assertEquals(7, run(t, "exit.wasm", List.of("exit")).exitCode());
    }
}

package io.wasix.host;

import static io.wasix.host.ShimGuest.*;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.wasix.host.abi.Errno;
import io.wasix.host.fs.MountSpec;
import io.wasix.host.net.Transport;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Listening sockets the host preopens (HostConfig.listeners, the appliance's --tcplisten), on every transport:
 * they follow the mounts, and to the guest they are listeners like its own, for fd_fdstat_get, both
 * sock_accepts, poll_oneoff and epoll. A Rust std server (docs/recipes/preopened.rs, built by Debian's rustc)
 * that accepts on fd 3 serves 1,000 requests from concurrent clients.
 */
class PreopenedListenerTest {
    static final int FILETYPE_DIRECTORY = 3, FILETYPE_SOCKET_STREAM = 6;
    static final Path RUST_SERVER = Path.of("../docs/recipes/preopened.wasm");

    static InetSocketAddress loopback(int port) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    /** The filetype fd_fdstat_get reports for {@code fd}. */
    static int fileType(ShimGuest g, int fd) {
        g.zero(RET, 24);
        g.ok("fd_fdstat_get", fd, RET);
        return g.u8(RET);
    }

    @TransportTest
    void listenersFollowTheMountsAndAnswerLikeTheGuestsOwn(Transport t) throws Exception {
        int p1 = GuestModulesTest.freePort(), p2 = GuestModulesTest.freePort();
        try (ShimGuest g = ShimGuest.open(t, cfg -> cfg.withMounts(List.of(MountSpec.memory("/tmp")))
                .withListeners(List.of(loopback(p1), loopback(p2))))) {
            assertEquals(FILETYPE_DIRECTORY, fileType(g, 3), "fd 3: the mount, first");
            assertEquals(FILETYPE_SOCKET_STREAM, fileType(g, 4), "fd 4: the first listener");
            assertEquals(FILETYPE_SOCKET_STREAM, fileType(g, 5), "fd 5: the second");
            assertEquals(p1, g.localPort(4));
            assertEquals(p2, g.localPort(5));
            g.ok("sock_get_opt_flag", 4, OPT_LISTENING, RET);
            assertEquals(1, g.u8(RET), "already listening when the guest starts");
            assertEquals(6, g.openStream(), "the guest's own fds come after them");

            // poll_oneoff sees fd 4 readable once a client connects; preview 1's three-argument sock_accept
            // (Rust std's) takes the connection
            try (Socket c = client(p1)) {
                PollTest.fdSub(g, 0, 41, PollTest.FD_READ, 4);
                PollTest.clockSub(g, 1, 42, 1, 2_000_000_000L);
                assertEquals(1, PollTest.poll(g, 2));
                assertEquals(41, PollTest.event(g, 0).userdata(), "the listener, not the clock");
                g.ok("p1_sock_accept", 4, 0, RET);
                int conn = g.i32(RET);
                g.send(conn, "one".getBytes(US_ASCII));
                g.close(conn);
                CompletableFuture<byte[]> got = async(() -> c.getInputStream().readAllBytes());
                assertArrayEquals("one".getBytes(US_ASCII), g.pumpUntil(got));
            }

            // epoll reports fd 5 with its data; wasix's sock_accept_v2 takes the connection and names the peer
            int ep = EpollTest.create(g);
            EpollTest.ctl(g, EpollTest.ADD, ep, 5, EpollTest.IN, EpollTest.data(5));
            assertEquals(0, EpollTest.await(g, ep, 0), "no client yet");
            try (Socket c = client(p2)) {
                assertEquals(1, EpollTest.await(g, ep, 2000));
                assertEquals(EpollTest.IN, EpollTest.events(g, 0));
                assertArrayEquals(EpollTest.data(5), EpollTest.dataOf(g, 0));
                int conn = g.accept(5, 0);
                assertEquals(c.getLocalPort(), g.addrOut(ADDR_OUT).getPort());
                g.send(conn, "two".getBytes(US_ASCII));
                g.close(conn);
                CompletableFuture<byte[]> got = async(() -> c.getInputStream().readAllBytes());
                assertArrayEquals("two".getBytes(US_ASCII), g.pumpUntil(got));
            }
            g.close(ep);
        }
    }

    /** Without a mount, the first listener is fd 3, where wasmtime puts it and Rust std's servers look. */
    @TransportTest
    void withoutAMountTheFirstListenerIsFd3(Transport t) throws Exception {
        int port = GuestModulesTest.freePort();
        try (ShimGuest g = ShimGuest.open(t, cfg -> cfg.withMounts(List.of()).withListeners(List.of(loopback(port))))) {
            assertEquals(FILETYPE_SOCKET_STREAM, fileType(g, 3));
            assertEquals(port, g.localPort(3));
        }
    }

    /**
     * A port already taken: building the host fails with the errno and the address, and the listener bound
     * before it is closed again (its port can be bound at once).
     */
    @TransportTest
    void aListenerThatCannotBindFailsTheHostAndLeavesNothingBound(Transport t) throws Exception {
        Transports.require(t);
        int free = GuestModulesTest.freePort();
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(loopback(0));
            HostConfig cfg = HostConfig.of(t).withMounts(List.of())
                    .withListeners(List.of(loopback(free), loopback(taken.getLocalPort())));
            ListenerPreopenException e = assertThrows(ListenerPreopenException.class, () -> new WasixHost(cfg).close());
            assertEquals(Errno.ADDRINUSE, e.errno());
            assertEquals(taken.getLocalPort(), e.address().getPort());
            assertEquals("cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": EADDRINUSE", e.getMessage());
        }
        try (ServerSocket again = new ServerSocket()) {
            again.setReuseAddress(false);
            again.bind(loopback(free)); // throws if the first listener were still open
        }
    }

    // ------------------------------------------------------------------ Rust std under load

    static final int REQUESTS = 1000, CLIENTS = 8;

    /**
     * docs/recipes/preopened.wasm, unmodified: Rust 1.63's std accepting on fd 3 with preview 1's
     * sock_accept, reading and writing the connections with fd_read and fd_write. Eight clients send 1,000
     * requests, one per connection; every answer is whole, and the server counted each request once.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aRustStdServerAcceptsOnTheListenerUnderLoad(Transport t) throws Exception {
        Transports.require(t);
        WasmModule module = Parser.parse(RUST_SERVER);
        assertEquals(List.of(), WasixHost.missingImports(module));
        assertTrue(importsOnlyPreview1(module), "a preview 1 program: nothing WASIX in it");
        var machine = MachineFactoryCompiler.compile(module);
        int port = GuestModulesTest.freePort();
        HostConfig cfg = HostConfig.of(t).withMounts(List.of()).withListeners(List.of(loopback(port)))
                .withEnv(List.of("GREETING=Hi")).withArgs(List.of("preopened.wasm"))
                .withStdio(InputStream.nullInputStream(), OutputStream.nullOutputStream(), System.err);

        ShardRun shard = ShardRun.start("shard-rust-" + t.label(), () -> new WasixHost(cfg),
                h -> Instance.builder(module).withImportValues(h.imports(module))
                        .withMachineFactory(machine).withMemoryFactory(WasixHost::newMemory).withStart(false).build(),
                30);
        WasixHost host = shard.host();
        CompletableFuture<Throwable> ended = shard.ended();

        Pattern body = Pattern.compile("HTTP/1\\.1 200 OK\r\nContent-Length: (\\d+)\r\nConnection: close\r\n\r\n"
                + "(Hi from Rust std, request (\\d+)\n)");
        Set<Integer> counted = new TreeSet<>();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<List<Integer>>> work = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                work.add(clients.submit(() -> {
                    List<Integer> seen = new ArrayList<>();
                    for (int i = 0; i < REQUESTS / CLIENTS; i++) {
                        String response = get(port);
                        Matcher m = body.matcher(response);
                        assertTrue(m.matches(), "a whole answer on " + t.label() + ": " + response);
                        assertEquals(Integer.parseInt(m.group(1)), m.group(2).length(), "Content-Length");
                        seen.add(Integer.parseInt(m.group(3)));
                    }
                    return seen;
                }));
            }
            for (Future<List<Integer>> f : work) {
                for (int n : f.get(90, TimeUnit.SECONDS)) {
                    assertTrue(counted.add(n), "request " + n + " answered twice");
                }
            }
        } finally {
            clients.shutdownNow();
            host.stop();
            Throwable why = ended.get(10, TimeUnit.SECONDS);
            // a stop ends the guest in a host call (GuestStoppedException) or in its own code (interrupted)
            assertTrue(WasixHost.isStop(why), () -> "the server ended with " + why);
            shard.join(2000);
        }
        assertEquals(REQUESTS, counted.size());
        assertEquals(1, ((TreeSet<Integer>) counted).first());
        assertEquals(REQUESTS, ((TreeSet<Integer>) counted).last(), "each request counted once, none lost");
    }

    static boolean importsOnlyPreview1(WasmModule module) {
        var imports = module.importSection();
        for (int i = 0; i < imports.importCount(); i++) {
            if (!imports.getImport(i).module().equals("wasi_snapshot_preview1")) {
                return false;
            }
        }
        return true;
    }

    /** One GET on a connection of its own; the whole response, read to the server's close. */
    static String get(int port) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(loopback(port), 10_000);
            s.setSoTimeout(30_000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(US_ASCII));
            return new String(s.getInputStream().readAllBytes(), US_ASCII);
        }
    }
}

package io.wasix.host;

import static io.wasix.host.ShimGuest.*;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.Instance;
import io.wasix.host.abi.Errno;
import io.wasix.host.metrics.NetPolicyRefusals;
import io.wasix.host.metrics.SyscallMetrics;
import io.wasix.host.net.Transport;
import io.wasix.host.net.policy.IpPrefix;
import io.wasix.host.net.policy.NetPolicy;
import io.wasix.host.net.policy.NetRule;
import io.wasix.host.net.policy.PortRange;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The network policy as a guest meets it, on every transport: echo-client.wasm connecting to real listeners
 * (through {@code resolve} when given a host), the shim binding ports, resolve.wasm looking names up.
 * A refusal is EACCES, reaches no peer, and is counted.
 */
class NetPolicyGuestTest {
    static final InetAddress V4 = InetAddress.ofLiteral("127.0.0.1"), V6 = InetAddress.ofLiteral("::1");
    /** A name with a label longer than DNS allows: the resolver refuses it without asking any server. */
    static final String UNKNOWN_NAME = "x".repeat(64) + ".invalid";

    record Run(int exit, String stdout, String stderr, NetPolicyRefusals.Counts refusals) {}

    static Run run(Transport t, NetPolicy policy, String file, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        SyscallMetrics metrics = new SyscallMetrics(0, false, null);
        HostConfig cfg = HostConfig.of(t).withNet(policy).withArgs(List.of(args))
                .withStdio(InputStream.nullInputStream(), out, err);
        Throwable ended = null;
        try (WasixHost host = new WasixHost(cfg, metrics)) {
            Instance instance = ShimGuest.instantiate(file, host);
            instance.export("_start").apply();
        } catch (Throwable e) {
            ended = e;
        }
        Throwable e = ended;
        assertInstanceOf(GuestExitException.class, e, () -> "expected proc_exit, got " + e + "; stderr " + err);
        return new Run(((GuestExitException) e).code(), out.toString(US_ASCII), err.toString(US_ASCII),
                metrics.snapshot().netPolicyRefusals());
    }

    /** A listener that echoes one connection, run while {@code guest} runs; fails if none came. */
    static Run echoed(InetAddress at, java.util.function.IntFunction<Run> guest) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(at, 0));
            CompletableFuture<String> heard = CompletableFuture.supplyAsync(() -> {
                try (Socket s = server.socket().accept()) {
                    s.setSoTimeout(PEER_TIMEOUT_MS);
                    byte[] in = s.getInputStream().readAllBytes();
                    s.getOutputStream().write(in);
                    return new String(in, US_ASCII);
                } catch (Exception ex) {
                    throw new RuntimeException(ex);
                }
            });
            Run r = guest.apply(server.socket().getLocalPort());
            assertEquals(0, r.exit(), () -> "stderr: " + r.stderr());
            assertEquals("ping\n", r.stdout());
            assertEquals("ping\n", heard.get(PEER_TIMEOUT_MS, TimeUnit.MILLISECONDS));
            return r;
        }
    }

    /** A listener that must see no connection while {@code guest} runs (it is refused before any is made). */
    static Run refused(InetAddress at, java.util.function.IntFunction<Run> guest, String call) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(at, 0));
            server.configureBlocking(false);
            Run r = guest.apply(server.socket().getLocalPort());
            assertEquals(10 + 2, r.exit(), () -> "stderr: " + r.stderr());
            assertEquals("echo-client: " + call + " errno 2\n", r.stderr(), "EACCES");
            assertNull(server.accept(), "the refused connection never reached the listener");
            return r;
        }
    }

    static NetPolicy allowing(NetRule... rules) {
        return NetPolicy.rules(List.of(rules), List.of());
    }

    static NetRule.Address address(InetAddress a, int bits, PortRange ports) {
        return new NetRule.Address(new IpPrefix(a, bits), ports);
    }

    // ------------------------------------------------------------------ outbound

    @TransportTest
    void denyReallyDenies(Transport t) throws Exception {
        Transports.require(t);
        Run r = refused(V4, port -> run(t, NetPolicy.DENY_ALL, "echo-client.wasm", "echo-client", "" + port), "sock_connect");
        assertEquals(new NetPolicyRefusals.Counts(1, 0), r.refusals());
        // IPv6, through resolve: a numeric address needs no permission to be looked up, only to be reached
        Run r6 = refused(V6, port -> run(t, NetPolicy.DENY_ALL, "echo-client.wasm", "echo-client", "" + port, "::1"),
                "sock_connect");
        assertEquals(new NetPolicyRefusals.Counts(1, 0), r6.refusals());
        // the unspecified address reaches the loopback: a rule against the loopback refuses it too
        NetPolicy notLoopback = NetPolicy.rules(List.of(new NetRule.Address(null, PortRange.ANY)),
                List.of(address(InetAddress.ofLiteral("127.0.0.0"), 8, PortRange.ANY)));
        refused(V4, port -> run(t, notLoopback, "echo-client.wasm", "echo-client", "" + port, "0.0.0.0"), "sock_connect");
        refused(V4, port -> run(t, notLoopback, "echo-client.wasm", "echo-client", "" + port), "sock_connect");
    }

    @TransportTest
    void anAddressAndPortRuleAllowsThatPortOnly(Transport t) throws Exception {
        Transports.require(t);
        echoed(V4, port -> run(t, allowing(new NetRule.Address(IpPrefix.of(V4), PortRange.of(port))),
                "echo-client.wasm", "echo-client", "" + port));
        Run r = refused(V4, port -> run(t, allowing(new NetRule.Address(IpPrefix.of(V4), PortRange.of(port == 1 ? 2 : port - 1))),
                "echo-client.wasm", "echo-client", "" + port), "sock_connect");
        assertEquals(new NetPolicyRefusals.Counts(1, 0), r.refusals());
    }

    @TransportTest
    void cidrRulesOnBothFamilies(Transport t) throws Exception {
        Transports.require(t);
        echoed(V4, port -> run(t, allowing(address(InetAddress.ofLiteral("127.0.0.0"), 8, PortRange.ANY)),
                "echo-client.wasm", "echo-client", "" + port));
        refused(V4, port -> run(t, allowing(address(InetAddress.ofLiteral("10.0.0.0"), 8, PortRange.ANY)),
                "echo-client.wasm", "echo-client", "" + port), "sock_connect");
        echoed(V6, port -> run(t, allowing(address(V6, 128, PortRange.of(port))),
                "echo-client.wasm", "echo-client", "" + port, "::1"));
        refused(V6, port -> run(t, allowing(address(InetAddress.ofLiteral("fd00::"), 8, PortRange.ANY)),
                "echo-client.wasm", "echo-client", "" + port, "::1"), "sock_connect");
        // an IPv4 rule does not open IPv6, nor the reverse
        refused(V6, port -> run(t, allowing(address(V4, 32, PortRange.ANY)),
                "echo-client.wasm", "echo-client", "" + port, "::1"), "sock_connect");
    }

    @TransportTest
    void aNameRuleAllowsTheAddressesResolveAnswered(Transport t) throws Exception {
        Transports.require(t);
        // localhost is 127.0.0.1 first, from /etc/hosts, as the JDK resolves it here
        assertEquals(V4, InetAddress.getAllByName("localhost")[0], "this test needs localhost to be 127.0.0.1 first");
        echoed(V4, port -> run(t, allowing(new NetRule.Name("localhost", PortRange.of(port))),
                "echo-client.wasm", "echo-client", "" + port, "localhost"));
        // the same rule does not allow 127.0.0.1 to a guest that did not look the name up
        refused(V4, port -> run(t, allowing(new NetRule.Name("localhost", PortRange.of(port))),
                "echo-client.wasm", "echo-client", "" + port, "127.0.0.1"), "sock_connect");
        // an address rule lets no name be looked up
        Run r = refused(V4, port -> run(t, allowing(new NetRule.Address(IpPrefix.of(V4), PortRange.ANY)),
                "echo-client.wasm", "echo-client", "" + port, "localhost"), "resolve");
        assertEquals(new NetPolicyRefusals.Counts(1, 0), r.refusals());
        // a name allowed, and its address denied
        refused(V4, port -> run(t, NetPolicy.rules(List.of(new NetRule.Name("localhost", PortRange.ANY)),
                        List.of(address(V4, 32, PortRange.ANY))),
                "echo-client.wasm", "echo-client", "" + port, "localhost"), "sock_connect");
    }

    // ------------------------------------------------------------------ listen

    @TransportTest
    void listenAllowsTheListedPortsOnly(Transport t) throws Exception {
        int allowed = GuestModulesTest.freePort();
        SyscallMetrics metrics = new SyscallMetrics(0, false, null);
        NetPolicy policy = NetPolicy.DENY_ALL.withListen(List.of(PortRange.of(allowed)));
        try (ShimGuest g = ShimGuest.open(t, metrics, cfg -> cfg.withNet(policy))) {
            int fd = g.openStream();
            g.addrIn(ADDR_IN, allowed == 65535 ? 65534 : allowed + 1);
            g.expect(Errno.ACCES, "sock_bind", fd, ADDR_IN);
            g.addrIn(ADDR_IN, 0);
            g.expect(Errno.ACCES, "sock_bind", fd, ADDR_IN);     // an ephemeral port is not listed
            g.expect(Errno.ACCES, "sock_listen", fd, 16);         // nor is listening without a bind
            g.addrIn(ADDR_IN, allowed);
            g.ok("sock_bind", fd, ADDR_IN);                      // the refusals left it unbound
            g.ok("sock_listen", fd, 16);
            try (Socket c = new Socket(V4, allowed)) {
                g.close(g.accept(fd, 0));
            }
            g.close(fd);
            assertEquals(new NetPolicyRefusals.Counts(0, 3), metrics.snapshot().netPolicyRefusals());
        }
        NetPolicy ephemeral = NetPolicy.DENY_ALL.withListen(List.of(PortRange.of(0)));
        try (ShimGuest g = ShimGuest.open(t, cfg -> cfg.withNet(ephemeral))) {
            int fd = g.openStream();
            g.ok("sock_listen", fd, 16);
            g.close(fd);
        }
    }

    // ------------------------------------------------------------------ resolve

    @Test
    void resolveAnswersNumericHostsWithoutPermission() {
        Run r = run(Transport.NIO, NetPolicy.DENY_ALL, "resolve.wasm", "resolve", "checks");
        assertEquals(0, r.exit(), r.stderr());
        assertTrue(r.stdout().matches("resolve: \\d+ checks passed\\n"), r.stdout());
        Run n = run(Transport.NIO, NetPolicy.DENY_ALL, "resolve.wasm", "resolve", "10.1.2.3", "::1", "localhost");
        assertEquals("10.1.2.3 10.1.2.3\n::1 0:0:0:0:0:0:0:1\nlocalhost errno 2\n", n.stdout());
        assertEquals(new NetPolicyRefusals.Counts(1, 0), n.refusals());
    }

    @Test
    void resolveLooksNamesUpWithTheJdkResolver() throws Exception {
        String localhost = Arrays.stream(InetAddress.getAllByName("localhost")).limit(8)
                .map(InetAddress::getHostAddress).collect(Collectors.joining(" "));
        assertTrue(localhost.contains("127.0.0.1") || localhost.contains("0:0:0:0:0:0:0:1"), localhost);
        Run r = run(Transport.NIO, NetPolicy.ALLOW_ALL, "resolve.wasm", "resolve", "localhost", UNKNOWN_NAME);
        assertEquals("localhost " + localhost + "\n" + UNKNOWN_NAME + " errno 44\n", r.stdout());
        assertEquals(NetPolicyRefusals.Counts.NONE, r.refusals());
    }
}

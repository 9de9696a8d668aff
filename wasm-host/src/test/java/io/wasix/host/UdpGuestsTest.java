package io.wasix.host;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.wasix.host.net.Transport;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The UDP test guests, written in C on wasix.h, run whole on every transport. */
class UdpGuestsTest {

    @TransportTest
    void theProbeFindsLinuxsUdpSemanticsOverIpv4(Transport t) {
        probe(t, "4");
    }

    @TransportTest
    void theProbeFindsLinuxsUdpSemanticsOverIpv6(Transport t) {
        probe(t, "6");
    }

    private static void probe(Transport t, String family) {
        Transports.require(t);
        GuestModulesTest.Run run = GuestModulesTest.run(t, "udp-probe.wasm", List.of("udp-probe", family));
        assertEquals("""
                ok fresh
                ok nonblocking
                ok timeout
                ok poll
                ok epoll
                ok truncation
                ok peek
                ok connected
                ok refused
                ok size
                """, run.stdout(), () -> "stderr: " + run.stderr() + " on " + t.label());
        assertEquals(0, run.exitCode(), run.stderr());
    }

    @TransportTest
    void theEchoServerAnswersAJavaClientOverIpv4(Transport t) throws Exception {
        echo(t, "4", InetAddress.getLoopbackAddress(), false);
    }

    @TransportTest
    void theEchoServerAnswersAJavaClientOverIpv6(Transport t) throws Exception {
        echo(t, "6", InetAddress.getByName("::1"), false);
    }

    /** After the first datagram the guest connects to its sender and echoes with fd_read and fd_write. */
    @TransportTest
    void theConnectedEchoServerAnswersItsPeerOnly(Transport t) throws Exception {
        echo(t, "4", InetAddress.getLoopbackAddress(), true);
    }

    private static void echo(Transport t, String family, InetAddress loopback, boolean connected) throws Exception {
        Transports.require(t);
        byte[][] datagrams = {
            "hello".getBytes(US_ASCII), new byte[1], new byte[1472], new byte[family.equals("4") ? 65_507 : 65_527],
        };
        for (int i = 1; i < datagrams.length; i++) {
            for (int j = 0; j < datagrams[i].length; j++) {
                datagrams[i][j] = (byte) (i * 31 + j);
            }
        }
        PortWatch stdout = new PortWatch();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        List<String> args = connected
                ? List.of("udp-echo", family, String.valueOf(datagrams.length), "connected")
                : List.of("udp-echo", family, String.valueOf(datagrams.length));
        HostConfig cfg = HostConfig.of(t).withArgs(args).withStdio(InputStream.nullInputStream(), stdout, stderr);
        CompletableFuture<Throwable> ended = ShardRun.start("shard-" + t.label(), () -> new WasixHost(cfg),
                h -> ShimGuest.instantiate("udp-echo.wasm", h), 5).ended();
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(loopback, 0));
                DatagramSocket stranger = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
            client.setSoTimeout(ShimGuest.PEER_TIMEOUT_MS);
            int port = stdout.port.get(ShimGuest.PEER_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            InetSocketAddress guest = new InetSocketAddress(loopback, port);
            for (int i = 0; i < datagrams.length; i++) {
                if (connected && i == 1) {
                    // not from the peer the guest connected to: the kernel filters it out, nothing echoes it
                    stranger.send(new DatagramPacket(new byte[] {'x'}, 1, guest));
                }
                client.send(new DatagramPacket(datagrams[i], datagrams[i].length, guest));
                DatagramPacket p = new DatagramPacket(new byte[70_000], 70_000);
                client.receive(p);
                assertEquals(guest, p.getSocketAddress(), "from the guest's port");
                byte[] got = java.util.Arrays.copyOf(p.getData(), p.getLength());
                assertArrayEquals(datagrams[i], got, "datagram " + i + " (" + datagrams[i].length + " bytes) on " + t.label());
            }
        }
        Throwable why = ended.get(ShimGuest.PEER_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        assertInstanceOf(GuestExitException.class, why, () -> "ended with " + why + "; stderr: " + stderr);
        assertEquals(0, ((GuestExitException) why).code(), stderr::toString);
        StringBuilder want = new StringBuilder("port " + stdout.port.join() + "\n");
        for (byte[] d : datagrams) {
            want.append("echoed ").append(d.length).append(" bytes\n");
        }
        assertEquals(want.toString(), stdout.text());
    }

    /** The guest's stdout, which completes {@link #port} at its "port N" line. */
    private static final class PortWatch extends OutputStream {
        private static final Pattern PORT = Pattern.compile("port (\\d+)\n");
        final CompletableFuture<Integer> port = new CompletableFuture<>();
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            out.write(b);
            seen();
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            out.write(b, off, len);
            seen();
        }

        private void seen() {
            Matcher m = PORT.matcher(out.toString(US_ASCII));
            if (!port.isDone() && m.lookingAt()) {
                port.complete(Integer.parseInt(m.group(1)));
            }
        }

        synchronized String text() {
            return out.toString(US_ASCII);
        }
    }
}

package io.wasix.host;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wasix.host.fs.MountSpec;
import io.wasix.host.net.Transport;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** sock_send_file (send-file.wasm, C) from an in-memory file to a TCP and a UDP peer, on every transport. */
class SendFileTest {
    static final int LEN = 104_000;

    @TransportTest
    void aFilesBytesGoDownTheSocketFromTheOffsetGiven(Transport t) throws Exception {
        Transports.require(t);
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (ServerSocket server = new ServerSocket(0, 1, lo);
                DatagramSocket udp = new DatagramSocket(new InetSocketAddress(lo, 0))) {
            server.setSoTimeout(ShimGuest.PEER_TIMEOUT_MS);
            udp.setSoTimeout(ShimGuest.PEER_TIMEOUT_MS);
            CompletableFuture<byte[]> tcpBytes = ShimGuest.async(() -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(ShimGuest.PEER_TIMEOUT_MS);
                    return s.getInputStream().readAllBytes();
                }
            });
            HostConfig cfg = HostConfig.of(t).withAllowOutbound(true).withMounts(List.of(MountSpec.memory("/")))
                    .withArgs(List.of("send-file", String.valueOf(server.getLocalPort()), String.valueOf(udp.getLocalPort())));
            GuestModulesTest.Run run = GuestModulesTest.run(cfg, "send-file.wasm");
            assertEquals(0, run.exitCode(), run::stderr);
            assertEquals("tcp " + (LEN - 10) + "\npos " + LEN + "\ntcp-eof 0\nudp 30\nerrors ok\n", run.stdout());

            byte[] file = new byte[LEN];
            for (int i = 0; i < LEN; i++) {
                file[i] = (byte) ('a' + i % 26);
            }
            assertArrayEquals(java.util.Arrays.copyOfRange(file, 10, LEN), tcpBytes.get(ShimGuest.PEER_TIMEOUT_MS, TimeUnit.MILLISECONDS),
                    "the file from offset 10, whole, on " + t.label());
            DatagramPacket p = new DatagramPacket(new byte[100], 100);
            udp.receive(p);
            assertEquals("abcdefghijklmnopqrstuvwxyzabcd", new String(p.getData(), 0, p.getLength(), US_ASCII), "one datagram");
        }
    }
}

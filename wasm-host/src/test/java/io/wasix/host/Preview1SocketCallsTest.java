package io.wasix.host;

import static io.wasix.host.ShimGuest.*;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wasix.host.abi.Errno;
import io.wasix.host.net.Transport;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;

/**
 * sock_recv, sock_send and sock_shutdown imported from wasi_snapshot_preview1 (as wasi-libc's preview1 guests
 * and wasi-testsuite import them), not from wasix_32v1: the same calls with the same signatures and flags.
 */
class Preview1SocketCallsTest {

    @TransportTest
    void recvSendAndShutdownUnderPreview1(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                g.ok("p1_sock_accept", lfd, 0, RET);
                int cfd = g.i32(RET);
                c.getOutputStream().write("hello p1".getBytes(US_ASCII));

                // recv, scattered over two iovecs, with PEEK first (riflags are the same bits)
                StringBuilder got = new StringBuilder();
                while (got.length() < 8) {
                    g.iovec(IOVS, 0, BUF, 3);
                    g.iovec(IOVS, 1, BUF + 100, 100);
                    g.putI32(RET, -1);
                    g.ok("p1_sock_recv", cfd, IOVS, 2, 0, RET, RET + 4);
                    int n = g.i32(RET);
                    assertEquals(0, g.u16(RET + 4), "roflags");
                    got.append(new String(g.bytes(BUF, Math.min(n, 3)), US_ASCII));
                    if (n > 3) {
                        got.append(new String(g.bytes(BUF + 100, n - 3), US_ASCII));
                    }
                }
                assertEquals("hello p1", got.toString());

                int parts = g.ciovecs("via ".getBytes(US_ASCII), "preview1".getBytes(US_ASCII));
                g.ok("p1_sock_send", cfd, IOVS, parts, 0, RET);
                assertEquals(12, g.i32(RET), "bytes sent");
                g.ok("p1_sock_shutdown", cfd, SHUT_WR);
                CompletableFuture<byte[]> echoed = async(() -> c.getInputStream().readAllBytes());
                assertEquals("via preview1", new String(g.pumpUntil(echoed), US_ASCII), "the data, then EOF");
                g.expect(Errno.PIPE, "p1_sock_send", cfd, IOVS, g.ciovecs("late".getBytes(US_ASCII)), 0, RET);
                g.expect(Errno.INVAL, "p1_sock_shutdown", cfd, 0);

                c.shutdownOutput();
                g.ok("p1_sock_recv", cfd, IOVS, 1, 0, RET, RET + 4);
                assertEquals(0, g.i32(RET), "the peer's FIN reads as 0");
                g.close(cfd);
            }
            g.expect(Errno.NOTSOCK, "p1_sock_recv", 1, IOVS, 1, 0, RET, RET + 4);
            g.expect(Errno.BADF, "p1_sock_shutdown", 99, SHUT_RD);
            g.close(lfd);
        }
    }
}

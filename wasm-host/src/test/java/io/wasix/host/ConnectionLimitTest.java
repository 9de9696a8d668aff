package io.wasix.host;

import static io.wasix.host.ShimGuest.ADDR_OUT;
import static io.wasix.host.ShimGuest.NONBLOCK;
import static io.wasix.host.ShimGuest.RET;
import static io.wasix.host.ShimGuest.client;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wasix.host.abi.Errno;
import io.wasix.host.metrics.LimitCounters;
import io.wasix.host.net.Transport;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * HostConfig.Limits#maxConnections (--max-connections): at the limit the host stops accepting, so the kernel
 * holds the rest in its backlog, and a connection's close lets the next one in. The host never takes more
 * than the limit from the kernel, even from a burst that one read of the listener could take at once.
 */
class ConnectionLimitTest {
    private static ShimGuest open(Transport t, int maxConnections) {
        return ShimGuest.open(t, cfg -> cfg.withLimits(new HostConfig.Limits(HostConfig.Limits.NONE.maxMemoryPages(),
                maxConnections)));
    }

    @TransportTest
    void acceptsPauseAtTheLimitAndResumeWhenAConnectionCloses(Transport t) throws Exception {
        try (ShimGuest g = open(t, 2)) {
            LimitCounters counters = g.host.metrics().limits();
            int lfd = g.listener();
            int port = g.localPort(lfd);
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    clients.add(client(port)); // the kernel completes every handshake: its backlog holds them
                }
                int first = g.accept(lfd, 0);
                int second = g.accept(lfd, 0);
                g.setFlags(lfd, NONBLOCK);
                g.pump(200);
                g.expect(Errno.AGAIN, "sock_accept_v2", lfd, 0, RET, ADDR_OUT);
                assertEquals(2, counters.connectionsOpen());
                assertEquals(1, counters.acceptPausesCount());

                g.close(first);
                g.setFlags(lfd, 0);
                int third = g.accept(lfd, 0); // the close made room for one
                g.setFlags(lfd, NONBLOCK);
                g.pump(200);
                g.expect(Errno.AGAIN, "sock_accept_v2", lfd, 0, RET, ADDR_OUT);
                assertEquals(2, counters.connectionsOpen());
                assertEquals(2, counters.acceptPausesCount());

                g.close(second);
                g.close(third);
                g.setFlags(lfd, 0);
                g.accept(lfd, 0); // the fourth client, at last
                assertEquals(1, counters.connectionsOpen());
                assertEquals(2, counters.acceptPausesCount());
            } finally {
                for (Socket c : clients) {
                    c.close();
                }
            }
        }
    }

    /** Twenty clients at once against a limit of three: not one more reaches the host's accept queue. */
    @TransportTest
    void aBurstIsNotTakenPastTheLimit(Transport t) throws Exception {
        try (ShimGuest g = open(t, 3)) {
            LimitCounters counters = g.host.metrics().limits();
            int lfd = g.listener();
            int port = g.localPort(lfd);
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 20; i++) {
                    clients.add(client(port));
                }
                g.pump(300); // the host's loop runs: it reads the listener as far as the limit lets it
                assertEquals(3, counters.connectionsOpen(), "accepted by the host, queued for the guest");
                for (int i = 0; i < 3; i++) {
                    g.accept(lfd, 0);
                }
                g.setFlags(lfd, NONBLOCK);
                g.pump(100);
                g.expect(Errno.AGAIN, "sock_accept_v2", lfd, 0, RET, ADDR_OUT);
                assertEquals(3, counters.connectionsOpen());
            } finally {
                for (Socket c : clients) {
                    c.close();
                }
            }
        }
    }

    /** Without a limit nothing pauses, and the gauge follows the connections. */
    @TransportTest
    void noLimitNoPause(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            LimitCounters counters = g.host.metrics().limits();
            int lfd = g.listener();
            int port = g.localPort(lfd);
            try (Socket a = client(port); Socket b = client(port); Socket c = client(port)) {
                int fa = g.accept(lfd, 0);
                g.accept(lfd, 0);
                g.accept(lfd, 0);
                assertEquals(3, counters.connectionsOpen());
                g.close(fa);
                g.pump(50);
                assertEquals(2, counters.connectionsOpen());
                assertEquals(0, counters.acceptPausesCount());
            }
        }
    }
}

package io.wasix.host;

import static io.wasix.host.ShimGuest.async;
import static io.wasix.host.ShimGuest.client;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wasix.host.net.Transport;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@link WasixHost#stopGracefully}: what a SIGTERM does to a guest. The listeners close at once, a
 * connection the guest already has is served to its end, a wait for a new connection ends the guest, and
 * the grace period bounds a connection that never finishes.
 */
class GracefulStopTest {
    private static final byte[] PING = "ping".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PONG = "pong".getBytes(StandardCharsets.US_ASCII);

    @TransportTest
    void aConnectionInFlightIsServedToItsEndAndNewOnesAreRefused(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            int port = g.localPort(lfd);
            try (Socket c = client(port)) {
                int cfd = g.accept(lfd, 0);
                g.host.stopGracefully(TimeUnit.SECONDS.toNanos(5));
                CompletableFuture<byte[]> reply = async(() -> {
                    Thread.sleep(200); // the guest is in recv by now, after the stop
                    assertRefused(port);
                    c.getOutputStream().write(PING);
                    return c.getInputStream().readAllBytes();
                });
                long t0 = System.nanoTime();
                assertArrayEquals(PING, g.recvExactly(cfd, PING.length), "recv goes on during the grace");
                assertEquals(PONG.length, g.send(cfd, PONG));
                g.close(cfd);
                // Nothing left in flight: the wait for a new connection ends the guest, at once.
                assertThrows(GuestStoppedException.class, () -> g.call("sock_accept_v2", lfd, 0, 0, 96));
                assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2), "well within the grace");
                g.host.close(); // what the appliance does next: flush queued writes, then close
                assertArrayEquals(PONG, reply.get(5, TimeUnit.SECONDS), "the reply, whole, then EOF");
            }
        }
    }

    @TransportTest
    void aWaitForANewConnectionEndsTheGuestAtOnce(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                g.accept(lfd, 0); // a connection stays open, yet accept does not wait for the grace
                CompletableFuture<Void> stopper = async(() -> {
                    Thread.sleep(100);
                    g.host.stopGracefully(TimeUnit.SECONDS.toNanos(5));
                    return null;
                });
                long t0 = System.nanoTime();
                assertThrows(GuestStoppedException.class, () -> g.call("sock_accept_v2", lfd, 0, 0, 96));
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertTrue(ms >= 80 && ms < 2000, "accept ended " + ms + " ms after it started (stop at ~100)");
                stopper.join();
            }
        }
    }

    @TransportTest
    void theGraceBoundsAConnectionThatNeverFinishes(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                g.host.stopGracefully(TimeUnit.MILLISECONDS.toNanos(300));
                long t0 = System.nanoTime();
                assertThrows(GuestStoppedException.class, () -> g.tryRecv(cfd, 16), "the client never sends");
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertTrue(ms >= 250 && ms < 2000, "recv ended " + ms + " ms after a 300 ms grace began");
            }
        }
    }

    @TransportTest
    void aGuestUnderLoadThatNeverWaitsStillSeesItsListenersClose(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            int port = g.localPort(lfd);
            try (Socket a = client(port); Socket b = client(port)) {
                g.pump(100); // both connections reach the host's accept queue
                g.host.stopGracefully(TimeUnit.SECONDS.toNanos(5));
                int first = g.accept(lfd, 0); // queued before the stop: still served, without waiting
                int second = g.accept(lfd, 0);
                assertRefused(port);
                g.close(first);
                g.close(second);
                assertThrows(GuestStoppedException.class, () -> g.call("sock_accept_v2", lfd, 0, 0, 96));
            }
        }
    }

    /** The hard stop: a guest whose every call finds its data ready (so never waits) stops at its next call. */
    @TransportTest
    void aHardStopReachesAGuestThatNeverWaits(Transport t) throws Exception {
        try (ShimGuest g = ShimGuest.open(t)) {
            int lfd = g.listener();
            try (Socket c = client(g.localPort(lfd))) {
                int cfd = g.accept(lfd, 0);
                c.getOutputStream().write(new byte[64]);
                assertEquals(1, g.recv(cfd, 1).length, "data is there: this recv does not wait");
                g.host.stop();
                assertThrows(GuestStoppedException.class, () -> g.recv(cfd, 1), "recv with data ready");
                assertThrows(GuestStoppedException.class, () -> g.call("sched_yield"), "any call");
            }
        }
    }

    /** Connecting fails: the listener is closed (bounded: the close completes within a loop run). */
    private static void assertRefused(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (true) {
            try (Socket s = client(port)) {
                assertTrue(System.nanoTime() < deadline, "port " + port + " still accepts after the stop");
            } catch (ConnectException e) {
                return;
            } catch (IOException e) {
                return; // reset: refused too
            }
            Thread.sleep(20);
        }
    }
}

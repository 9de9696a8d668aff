package io.wasix.host;

import static io.wasix.host.GuestModulesTest.HANDWRITTEN_PORT_FIELD;
import static io.wasix.host.GuestModulesTest.RESPONSE;
import static io.wasix.host.GuestModulesTest.fetch;
import static io.wasix.host.GuestModulesTest.freePort;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.Instance;
import io.wasix.host.net.Transport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** The milestones a host reports to its embedder (the appliance's boot report), from real guests. */
class HostEventsTest {

    /** Every event as "name@thread[:address:port]", in the order they came. */
    static final class Recorder implements HostEvents {
        final List<String> seen = new CopyOnWriteArrayList<>();

        @Override
        public void listenerBound(InetSocketAddress local) {
            seen.add("bound@" + Thread.currentThread().getName() + ":" + local.getAddress().getHostAddress() + ":"
                    + local.getPort());
        }

        @Override
        public void firstResponse() {
            seen.add("response@" + Thread.currentThread().getName());
        }

        /** Waits (bounded) until {@code n} events came; the assertions after it say which. */
        void awaitCount(int n) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ShimGuest.PEER_TIMEOUT_MS);
            while (seen.size() < n && System.nanoTime() - deadline < 0) {
                Thread.sleep(5);
            }
        }
    }

    @TransportTest
    void serverReportsItsListenerThenItsFirstResponseOnce(Transport t) throws Exception {
        Transports.require(t);
        int port = freePort();
        Recorder events = new Recorder();
        ShardRun shard = ShardRun.start("events-" + t.label(), () -> new WasixHost(HostConfig.of(t), events), h -> {
            Instance instance = ShimGuest.instantiate("handwritten.wasm", h);
            instance.memory().writeShort(HANDWRITTEN_PORT_FIELD, (short) port);
            return instance;
        }, 5);
        WasixHost host = shard.host();
        CompletableFuture<Throwable> ended = shard.ended();
        try {
            assertEquals(RESPONSE, fetch(port, ended));
            // The client can have its response (and the close after it) before the host has taken the send's
            // completion: on io_uring the send and the close that follows it are linked in the kernel, and the
            // host learns of the send at its next loop run. The guest is waiting for its next connection: that
            // run comes, and with it the report. The address is the one the guest bound, an IPv4 wildcard.
            events.awaitCount(2);
            assertEquals(List.of("bound@events-" + t.label() + ":0.0.0.0:" + port, "response@events-" + t.label()),
                    events.seen, "after one request on " + t.label());
            assertEquals(RESPONSE, fetch(port, ended));
            assertEquals(RESPONSE, fetch(port, ended));
            assertEquals(2, events.seen.size(), () -> "first response reported once only: " + events.seen);
        } finally {
            host.stop();
            Throwable end = ended.get(2, TimeUnit.SECONDS);
            assertTrue(WasixHost.isStop(end), () -> "ended with " + end);
            shard.join(2000);
        }
    }

    /** Through the ABI shim: bound at sock_bind, nothing at accept, the first send once it has left. */
    @TransportTest
    void firstResponseIsTheFirstCompletedSendOnAnAcceptedConnection(Transport t) throws Exception {
        Recorder events = new Recorder();
        try (ShimGuest g = ShimGuest.open(t, events)) {
            String me = Thread.currentThread().getName();
            int lfd = g.listener();
            int port = g.localPort(lfd);
            assertEquals(List.of("bound@" + me + ":127.0.0.1:" + port), events.seen);
            try (Socket c = ShimGuest.client(port)) {
                int cfd = g.accept(lfd, 0);
                g.pump(20);
                assertEquals(1, events.seen.size(), () -> "an accept is no response: " + events.seen);
                g.send(cfd, "HTTP/1.1 200 OK\r\n\r\n".getBytes(US_ASCII));
                g.pump(50); // the write completes in a loop run
                assertEquals(List.of("bound@" + me + ":127.0.0.1:" + port, "response@" + me), events.seen);
                g.send(cfd, "more".getBytes(US_ASCII));
                g.pump(50);
                assertEquals(2, events.seen.size(), () -> "reported once only: " + events.seen);
                c.setSoTimeout(ShimGuest.PEER_TIMEOUT_MS);
                assertEquals("HTTP/1.1 200 OK\r\n\r\nmore",
                        new String(c.getInputStream().readNBytes(23), US_ASCII));
                g.close(cfd);
            }
            g.close(lfd);
        }
    }

    /** A client's sends are requests, not responses; and a host with no listener reports no bind. */
    @TransportTest
    void aClientsSendsAreNotResponses(Transport t) throws Exception {
        Recorder events = new Recorder();
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
                ShimGuest g = ShimGuest.open(t, events)) {
            int cfd = g.connect(server.getLocalPort());
            try (Socket peer = server.accept()) {
                peer.setSoTimeout(ShimGuest.PEER_TIMEOUT_MS);
                g.send(cfd, "ping".getBytes(US_ASCII));
                g.pump(50); // the write completes in a loop run
                assertEquals("ping", new String(peer.getInputStream().readNBytes(4), US_ASCII));
            }
            g.close(cfd);
        }
        assertEquals(List.of(), events.seen);
    }
}

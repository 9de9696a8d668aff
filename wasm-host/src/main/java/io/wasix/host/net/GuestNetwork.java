package io.wasix.host.net;

import io.wasix.host.HostEvents;
import io.wasix.host.net.policy.NetGate;
import java.net.InetSocketAddress;

/**
 * One guest instance's network: its event loop, its policy, a count of channels still open so that
 * exit can wait for queued responses to leave, and a count of the datagrams its UDP sockets dropped.
 *
 * <p>Threading: the guest thread in direct mode; in threaded mode any guest thread holding the shard lock,
 * and the I/O thread's close listeners, which take it. {@link #datagramsDropped()} may be read from any thread.
 *
 * @param gate what the guest may reach: every connect's destination and every bound port pass it (--net, --listen)
 * @param forceReusePort whether every listener binds with SO_REUSEPORT (set when several shards share a port)
 */
public final class GuestNetwork {
    /** Connections accepted by the kernel but not yet by the guest; past this the listener stops accepting. */
    public static final int ACCEPT_QUEUE_LIMIT = 256;
    /** Bytes received but not yet read by the guest; past this the connection stops reading. */
    public static final int INBOUND_HIGH_WATER = 256 * 1024;
    /** Reading resumes when the guest has drained the queue below this. */
    public static final int INBOUND_LOW_WATER = 64 * 1024;
    /** Listen backlog used for every listener (fixed when the listener is bound). */
    public static final int LISTEN_BACKLOG = 1024;

    private final GuestLoop loop;
    private final NetGate gate;
    private final boolean forceReusePort;
    private final HostEvents events;
    private boolean responded;
    private int openChannels;
    private int openConnections;
    private final java.util.Set<io.netty.channel.ServerChannel> listeners = new java.util.HashSet<>();
    /** Written on the I/O side (the loop's handlers), read by whoever reports metrics. */
    private final java.util.concurrent.atomic.AtomicLong datagramsDropped = new java.util.concurrent.atomic.AtomicLong();
    /** Run once when the next channel closes; see {@link #whenChannelCloses}. */
    private final java.util.Set<Runnable> onChannelClose = new java.util.LinkedHashSet<>();

    public GuestNetwork(GuestLoop loop, NetGate gate, boolean forceReusePort, HostEvents events) {
        this.loop = loop;
        this.gate = gate;
        this.forceReusePort = forceReusePort;
        loop.onDrain(this::stopListening, () -> openConnections == 0);
        this.events = events;
    }

    void listenerBound(java.net.InetSocketAddress local) {
        events.listenerBound(local);
    }

    /** A write on an accepted connection completed: reported once, the first time. */
    void responseWritten() {
        if (!responded) {
            responded = true;
            events.firstResponse();
        }
    }

    public GuestLoop loop() {
        return loop;
    }

    public Transport transport() {
        return loop.transport();
    }

    public NetGate gate() {
        return gate;
    }

    /**
     * EACCES unless the policy lets the guest send to {@code destination} (a connect, or a datagram sent to that
     * address); the refusal is counted.
     */
    public void requireOutbound(InetSocketAddress destination) {
        gate.requireOutbound(destination);
    }

    /** EACCES unless the policy lets the guest bind {@code port} (0: an ephemeral one); the refusal is counted. */
    public void requireListen(int port) {
        gate.requireListen(port);
    }

    public boolean forceReusePort() {
        return forceReusePort;
    }

    /** Registers a channel and counts it until its close completes. */
    void register(io.netty.channel.Channel channel) {
        loop.register(channel);
        openChannels++;
        if (channel instanceof io.netty.channel.ServerChannel server) {
            listeners.add(server);
            channel.closeFuture().addListener(f -> {
                loop.enter();
                try {
                    openChannels--;
                    listeners.remove(server);
                    loop.changed(); // a close or a drain waits for this
                    channelClosed();
                } finally {
                    loop.exit();
                }
            });
        } else if (channel instanceof io.netty.channel.socket.DatagramChannel) {
            // Not a connection: a graceful stop need not wait for a UDP socket, whose next datagram is new
            // work, as a listener's next connection is. Its queued sends still leave before exit.
            channel.closeFuture().addListener(f -> {
                loop.enter();
                try {
                    openChannels--;
                    loop.changed();
                    channelClosed();
                } finally {
                    loop.exit();
                }
            });
        } else {
            openConnections++;
            channel.closeFuture().addListener(f -> {
                loop.enter();
                try {
                    openChannels--;
                    openConnections--;
                    loop.changed();
                    channelClosed();
                } finally {
                    loop.exit();
                }
            });
        }
    }

    /** A datagram that arrived while its socket's receive queue was full, dropped as the kernel drops it. */
    void datagramDropped() {
        datagramsDropped.incrementAndGet();
    }

    /** Datagrams dropped so far because their socket's receive queue was full. Any thread. */
    public long datagramsDropped() {
        return datagramsDropped.get();
    }

    /**
     * Runs {@code task} once, when the next of this guest's channels has closed (and so freed its fd). The same
     * task asked for twice before then runs once.
     */
    void whenChannelCloses(Runnable task) {
        onChannelClose.add(task);
    }

    private void channelClosed() {
        if (!onChannelClose.isEmpty()) {
            var tasks = java.util.List.copyOf(onChannelClose);
            onChannelClose.clear();
            tasks.forEach(Runnable::run);
        }
    }

    /**
     * A graceful stop's first step: close every listener, so the kernel refuses new connections instead of
     * queueing them for a guest that is about to exit. The guest's sockets stay LISTENING: it still takes
     * what was already queued, then its next wait for a connection ends the guest.
     */
    private void stopListening() {
        java.util.List<io.netty.channel.ChannelFuture> closed = new java.util.ArrayList<>();
        for (var server : java.util.List.copyOf(listeners)) {
            closed.add(server.close());
        }
        // As GuestSocket's own listener close: NIO and io_uring let go of the fd only when the loop runs
        // again, and a guest busy with queued connections may not wait (run the loop) for a while.
        loop.drain(() -> closed.stream().allMatch(java.util.concurrent.Future::isDone),
                GuestLoop.deadline(LISTENER_CLOSE_NANOS));
        loop.turn();
    }

    /** Bound on the wait in {@link #stopListening}; a close normally completes within one loop run. */
    private static final long LISTENER_CLOSE_NANOS = 1_000_000_000L;

    public int openChannels() {
        return openChannels;
    }

    /** Runs the loop until every channel has closed (so pending writes are flushed), then shuts it down. */
    public void drainAndClose(long graceNanos) {
        long deadline = GuestLoop.deadline(graceNanos);
        loop.drain(() -> openChannels == 0, deadline);
        loop.shutdown(Math.max(0, deadline - System.nanoTime()));
    }
}

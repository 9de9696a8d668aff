package io.wasix.host.net;

import io.wasix.host.HostEvents;
import io.wasix.host.net.policy.NetGate;
import java.net.InetSocketAddress;

/**
 * One guest instance's network: its event loop, its policy, a count of channels still open so that
 * exit can wait for queued responses to leave, and a count of the datagrams its UDP sockets dropped. Owned by
 * the guest thread; {@link #datagramsDropped()} may be read from any.
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
    private final java.util.Set<Listener> listeners = new java.util.LinkedHashSet<>();
    private Ring ring;
    /** Written on the guest thread, read by whoever reports metrics. */
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
        // Not a connection: a listener's next connection is new work, and so is a UDP socket's next datagram;
        // a graceful stop need not wait for either. Their queued sends still leave before exit.
        boolean connection = !(channel instanceof io.netty.channel.ServerChannel
                || channel instanceof io.netty.channel.socket.DatagramChannel);
        socketOpened(connection);
        channel.closeFuture().addListener(f -> {
            loop.enter();
            try {
                socketClosed(connection);
            } finally {
                loop.exit();
            }
        });
    }

    /** A kernel socket of this guest was opened: counted until {@link #socketClosed}. */
    void socketOpened(boolean connection) {
        openChannels++;
        if (connection) {
            openConnections++;
        }
    }

    /** A kernel socket of this guest was closed, and its fd is free. Loop thread; shard lock held. */
    void socketClosed(boolean connection) {
        openChannels--;
        if (connection) {
            openConnections--;
        }
        loop.changed(); // a close or a drain waits for this
        channelClosed();
    }

    /** A listener was made: a graceful stop closes it. */
    void listenerOpened(Listener l) {
        listeners.add(l);
    }

    void listenerClosed(Listener l) {
        listeners.remove(l);
        loop.changed();
    }

    /** The shard's io_uring ring as the guest's TCP sockets use it, made with the first of them. */
    Ring ring() {
        if (ring == null) {
            ring = new Ring(loop);
            ring.start();
        }
        return ring;
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
        // Each waits (briefly) until the kernel has let go of its port, as a guest's own close of it does.
        for (Listener l : java.util.List.copyOf(listeners)) {
            l.close();
        }
    }

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

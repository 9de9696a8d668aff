package io.wasix.host.net;

import io.wasix.host.HostConfig;
import io.wasix.host.HostEvents;
import io.wasix.host.metrics.LimitCounters;
import io.wasix.host.net.policy.NetGate;
import io.wasix.host.net.uring.Ring;
import io.wasix.host.net.uring.RingListener;
import java.net.InetSocketAddress;

/**
 * One guest instance's network: its event loop, its policy, a count of channels still open so that
 * exit can wait for queued responses to leave, a count of the datagrams its UDP sockets dropped, and the count
 * of accepted connections that --max-connections bounds. {@link #datagramsDropped()} may be read from any thread.
 *
 * <p>Threading: the guest thread in direct mode; in threaded mode any guest thread holding the shard lock,
 * and the I/O thread's close listeners, which take it (the connection count included).
 *
 * <p>The connection limit: an accepted connection counts from the moment the host accepts it (queued for the
 * guest or taken) until its kernel socket closes. At the limit every listener stops accepting, so the kernel
 * queues new connections in its backlog, as nginx's worker_connections does; the first close below the limit
 * resumes them. A listener never takes more connections in one go than there is room for.
 *
 * <p>The counting calls (socketOpened/Closed, listenerOpened/Closed, inboundClosed, register, connectionRoom)
 * are public for the transports' listeners and connections, which live in their own packages.
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
    private final boolean forceReuseAddr;
    private final HostEvents events;
    private final int maxConnections;
    private final LimitCounters counters;
    /** Accepted connections open, queued ones included; see the class comment. */
    private int inbound;
    private boolean pausedAtLimit;
    /** Each listening socket's way to take up reading again once it may (see {@link GuestSocket}). */
    private final java.util.Set<Runnable> listenerResumes = new java.util.LinkedHashSet<>();
    private boolean responded;
    private int openChannels;
    private int openConnections;
    private final java.util.Set<Listener> listeners = new java.util.LinkedHashSet<>();
    private Ring ring;
    /** Written on the I/O side (the loop's handlers), read by whoever reports metrics. */
    private final java.util.concurrent.atomic.AtomicLong datagramsDropped = new java.util.concurrent.atomic.AtomicLong();
    /** Run once when the next channel closes; see {@link #whenChannelCloses}. */
    private final java.util.Set<Runnable> onChannelClose = new java.util.LinkedHashSet<>();

    public GuestNetwork(GuestLoop loop, NetGate gate, boolean forceReusePort, HostEvents events) {
        this(loop, gate, forceReusePort, false, 0, events, new LimitCounters());
    }

    /** The network {@code config} asks for: its listeners' options and its connection limit, behind {@code gate}. */
    public GuestNetwork(GuestLoop loop, NetGate gate, HostConfig config, HostEvents events, LimitCounters counters) {
        this(loop, gate, config.forceReusePort(), config.forceReuseAddr(), config.limits().maxConnections(), events,
                counters);
    }

    private GuestNetwork(GuestLoop loop, NetGate gate, boolean forceReusePort, boolean forceReuseAddr,
            int maxConnections, HostEvents events, LimitCounters counters) {
        this.loop = loop;
        this.gate = gate;
        this.forceReusePort = forceReusePort;
        this.forceReuseAddr = forceReuseAddr;
        this.maxConnections = maxConnections;
        this.counters = counters;
        loop.onDrain(this::stopListening, () -> openConnections == 0);
        this.events = events;
        counters.connections(0);
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

    /** Whether every listener binds with SO_REUSEADDR, whatever the guest asked (set for a restarted guest). */
    public boolean forceReuseAddr() {
        return forceReuseAddr;
    }

    // ---------------------------------------------------------------- the connection limit

    /** Whether the guest holds as many accepted connections as it may; listeners must not read. */
    boolean atConnectionLimit() {
        return connectionRoom() == 0;
    }

    /**
     * How many more connections may be accepted now without passing the limit ({@link Integer#MAX_VALUE}: no
     * limit). A listener takes no more than this in one go: a read of a Netty server channel
     * ({@link io.wasix.host.net.channel.ChannelListener}) or the accepts in flight in the kernel
     * ({@link RingListener}).
     */
    public int connectionRoom() {
        return maxConnections == 0 ? Integer.MAX_VALUE : Math.max(0, maxConnections - inbound);
    }

    /** A listener of this guest takes up reading through {@code resume} when the limit allows it again. */
    void listening(Runnable resume) {
        listenerResumes.add(resume);
    }

    void notListening(Runnable resume) {
        listenerResumes.remove(resume);
    }

    /** The host accepted a connection for the guest: at the limit, every listener stops reading. */
    void inboundOpened() {
        inbound++;
        counters.connections(inbound);
        if (atConnectionLimit() && !pausedAtLimit) {
            pausedAtLimit = true;
            counters.acceptsPaused();
            for (Listener l : java.util.List.copyOf(listeners)) {
                l.accepting(false);
            }
        }
    }

    /** An accepted connection closed (or was dropped from an accept queue): below the limit, listeners resume. */
    public void inboundClosed() {
        inbound--;
        counters.connections(inbound);
        if (pausedAtLimit && !atConnectionLimit()) {
            pausedAtLimit = false;
            java.util.List.copyOf(listenerResumes).forEach(Runnable::run);
        }
    }

    /** Registers a connection the guest accepted: counted as above, and inbound until its close completes. */
    public void registerAccepted(io.netty.channel.Channel channel) {
        register(channel, acceptedClosed);
    }

    /** Registers a channel and counts it until its close completes. */
    public void register(io.netty.channel.Channel channel) {
        register(channel, connectionClosed);
    }

    private void register(io.netty.channel.Channel channel, io.netty.channel.ChannelFutureListener onConnectionClose) {
        loop.register(channel);
        // Not a connection: a listener's next connection is new work, and so is a UDP socket's next datagram;
        // a graceful stop need not wait for either. Their queued sends still leave before exit.
        boolean connection = !(channel instanceof io.netty.channel.ServerChannel
                || channel instanceof io.netty.channel.socket.DatagramChannel);
        socketOpened(connection);
        channel.closeFuture().addListener(connection ? onConnectionClose : otherClosed);
    }

    /*
     * What a channel's close does: one listener shared by every channel, not a lambda each, since an idle
     * connection is what the appliance holds thousands of (each extra listener on a future also costs Netty an
     * array of them). In threaded mode the I/O thread runs them, and the counts are the lock's.
     */
    private final io.netty.channel.ChannelFutureListener otherClosed = f -> closed(false, false);
    private final io.netty.channel.ChannelFutureListener connectionClosed = f -> closed(true, false);
    /** A connection the guest accepted also counts against --max-connections. */
    private final io.netty.channel.ChannelFutureListener acceptedClosed = f -> closed(true, true);

    private void closed(boolean connection, boolean accepted) {
        loop.enter();
        try {
            socketClosed(connection);
            if (accepted) {
                inboundClosed();
            }
        } finally {
            loop.exit();
        }
    }

    /** A kernel socket of this guest was opened: counted until {@link #socketClosed}. */
    public void socketOpened(boolean connection) {
        openChannels++;
        if (connection) {
            openConnections++;
        }
    }

    /** A kernel socket of this guest was closed, and its fd is free. Loop thread; shard lock held. */
    public void socketClosed(boolean connection) {
        openChannels--;
        if (connection) {
            openConnections--;
        }
        loop.changed(); // a close or a drain waits for this
        channelClosed();
    }

    /** A listener was made: a graceful stop closes it. */
    public void listenerOpened(Listener l) {
        listeners.add(l);
    }

    public void listenerClosed(Listener l) {
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

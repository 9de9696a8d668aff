package io.wasix.host.net;

import io.wasix.host.HostConfig;
import io.wasix.host.HostEvents;
import io.wasix.host.metrics.LimitCounters;

/**
 * One guest instance's network: its event loop, its policy, a count of channels still open so that exit can
 * wait for queued responses to leave, and the count of accepted connections that --max-connections bounds.
 * Owned by the guest thread.
 *
 * <p>The connection limit: an accepted connection counts from the moment the host accepts it (queued for the
 * guest or taken) until its channel closes. At the limit every listener stops reading (autoRead off), so the
 * kernel queues new connections in its backlog, as nginx's worker_connections does; the first close below
 * the limit resumes them. A listener never reads more connections in one go than there is room for.
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
    private final boolean allowOutbound;
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
    private final java.util.Set<io.netty.channel.ServerChannel> listeners = new java.util.HashSet<>();
    /** Run once when the next channel closes; see {@link #whenChannelCloses}. */
    private final java.util.Set<Runnable> onChannelClose = new java.util.LinkedHashSet<>();

    public GuestNetwork(GuestLoop loop, boolean allowOutbound, boolean forceReusePort) {
        this(loop, allowOutbound, forceReusePort, HostEvents.NONE);
    }

    public GuestNetwork(GuestLoop loop, boolean allowOutbound, boolean forceReusePort, HostEvents events) {
        this(loop, allowOutbound, forceReusePort, false, 0, events, new LimitCounters());
    }

    /** The network {@code config} asks for: its policy, its listeners' options and its connection limit. */
    public GuestNetwork(GuestLoop loop, HostConfig config, HostEvents events, LimitCounters counters) {
        this(loop, config.allowOutbound(), config.forceReusePort(), config.forceReuseAddr(),
                config.limits().maxConnections(), events, counters);
    }

    private GuestNetwork(GuestLoop loop, boolean allowOutbound, boolean forceReusePort, boolean forceReuseAddr,
            int maxConnections, HostEvents events, LimitCounters counters) {
        this.loop = loop;
        this.allowOutbound = allowOutbound;
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

    public boolean allowOutbound() {
        return allowOutbound;
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
        return maxConnections > 0 && inbound >= maxConnections;
    }

    /**
     * How many connections a listener may accept in its next read: the room left below the limit, at most
     * {@code usual}, at least 1 (a listener at the limit does not read at all).
     */
    int acceptRoom(int usual) {
        return maxConnections == 0 ? usual : Math.max(1, Math.min(usual, maxConnections - inbound));
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
            for (var server : listeners) {
                server.config().setAutoRead(false);
            }
        }
    }

    /** An accepted connection closed (or was dropped from an accept queue): below the limit, listeners resume. */
    void inboundClosed() {
        inbound--;
        counters.connections(inbound);
        if (pausedAtLimit && !atConnectionLimit()) {
            pausedAtLimit = false;
            java.util.List.copyOf(listenerResumes).forEach(Runnable::run);
        }
    }

    /** Registers a connection the guest accepted: counted as above, and inbound until its close completes. */
    void registerAccepted(io.netty.channel.Channel channel) {
        register(channel);
        channel.closeFuture().addListener(f -> inboundClosed());
    }

    /** Registers a channel and counts it until its close completes. */
    void register(io.netty.channel.Channel channel) {
        loop.register(channel);
        openChannels++;
        if (channel instanceof io.netty.channel.ServerChannel server) {
            listeners.add(server);
            channel.closeFuture().addListener(f -> {
                openChannels--;
                listeners.remove(server);
                channelClosed();
            });
        } else {
            openConnections++;
            channel.closeFuture().addListener(f -> {
                openChannels--;
                openConnections--;
                channelClosed();
            });
        }
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
        loop.poll();
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

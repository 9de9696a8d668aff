package io.wasix.host.net;

import io.wasix.host.HostEvents;

/**
 * One guest instance's network: its event loop, its policy, and a count of channels still open so that
 * exit can wait for queued responses to leave. Owned by the guest thread.
 *
 * @param allowOutbound whether sock_connect may reach out (the appliance's --net); listening is always allowed
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
    private final boolean allowOutbound;
    private final boolean forceReusePort;
    private final HostEvents events;
    private boolean responded;
    private int openChannels;

    public GuestNetwork(GuestLoop loop, boolean allowOutbound, boolean forceReusePort) {
        this(loop, allowOutbound, forceReusePort, HostEvents.NONE);
    }

    public GuestNetwork(GuestLoop loop, boolean allowOutbound, boolean forceReusePort, HostEvents events) {
        this.loop = loop;
        this.allowOutbound = allowOutbound;
        this.forceReusePort = forceReusePort;
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

    public boolean allowOutbound() {
        return allowOutbound;
    }

    public boolean forceReusePort() {
        return forceReusePort;
    }

    /** Registers a channel and counts it until its close completes. */
    void register(io.netty.channel.Channel channel) {
        loop.register(channel);
        openChannels++;
        channel.closeFuture().addListener(f -> openChannels--);
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

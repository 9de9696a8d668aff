package io.wasix.host.net.channel;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DuplexChannel;
import io.wasix.host.net.GuestLoop;
import io.wasix.host.net.GuestNetwork;
import io.wasix.host.net.GuestSocket;
import io.wasix.host.net.InboundHandler;
import io.wasix.host.net.Listener;
import io.wasix.host.net.ListenerEvents;
import io.wasix.host.net.NetErrors;
import io.wasix.host.net.OptionTarget;
import io.wasix.host.net.SocketOptions;
import java.net.Inet6Address;
import java.net.InetSocketAddress;

/**
 * A listening TCP socket on a Netty server channel (NIO, the portable path). Bound and listening when made;
 * its reads (autoRead) are the accepting switch. Each accepted child channel is handed over unregistered: it
 * reads nothing until the guest takes it ({@link ChannelConnection#start}).
 *
 * <p>Threading: as {@link ChannelConnection}.
 *
 * <p>Public because {@link GuestSocket} makes it at sock_bind on NIO.
 */
public final class ChannelListener implements Listener {
    /** Bound on the wait in {@link #close}; a close normally completes within one loop run. */
    private static final long CLOSE_NANOS = 1_000_000_000L;

    private final GuestNetwork net;
    private final boolean ipv6;
    private final SocketOptions options;
    private final ListenerEvents events;
    private final ServerChannel server;
    private final InetSocketAddress local;
    private boolean closed;

    /** Binds and listens, as sock_bind does here; EADDRINUSE and the real port are known when this returns. */
    public ChannelListener(GuestNetwork net, boolean ipv6, SocketOptions options, InetSocketAddress address,
            ListenerEvents events) {
        this.net = net;
        this.ipv6 = ipv6;
        this.options = options;
        this.events = events;
        ServerChannel ch = GuestSocket.newChannel(() -> net.transport().newServerChannel(ipv6));
        try {
            ch.config().setOption(ChannelOption.SO_BACKLOG, GuestNetwork.LISTEN_BACKLOG);
            ch.config().setOption(ChannelOption.SO_REUSEADDR, options.reuseAddr() || net.forceReuseAddr());
            if (options.reusePort() || net.forceReusePort()) {
                ch.config().setOption(net.transport().reusePortOption(), true);
            }
            if (options.recvBufSize() > 0) {
                ch.config().setOption(ChannelOption.SO_RCVBUF, options.recvBufSize());
            }
        } catch (ChannelException e) {
            ch.unsafe().closeForcibly();
            throw NetErrors.errno(e).fail();
        }
        ch.config().setAutoRead(false);
        ch.pipeline().addLast(new AcceptHandler());
        net.register(ch);
        ChannelFuture bound = ch.bind(address);
        net.loop().awaitDone(bound, GuestLoop.NO_DEADLINE);
        if (!bound.isSuccess()) {
            ch.close();
            throw NetErrors.errno(bound.cause()).fail();
        }
        this.server = ch;
        this.local = (InetSocketAddress) ch.localAddress();
        net.listenerOpened(this);
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public void accepting(boolean on) {
        if (closed || server.config().isAutoRead() == on) {
            return;
        }
        if (on) {
            limitNextRead();
        }
        server.config().setAutoRead(on);
        if (on) {
            server.read();
        }
    }

    /**
     * Closes the channel and waits (briefly) until the kernel has let go of its port: both NIO (a registered
     * channel's fd is released at the selector's next select) and io_uring (the fd stays referenced by the
     * pending accept until it is cancelled) release it only when the loop runs again.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ChannelFuture done = server.close();
        net.loop().drain(done::isDone, GuestLoop.deadline(CLOSE_NANOS));
        net.loop().turn();
        net.listenerClosed(this);
    }

    @Override
    public OptionTarget options() {
        return OptionTarget.of(server);
    }

    /** Netty's server channels accept up to 16 connections per read. */
    private static final int ACCEPTS_PER_READ = 16;

    /**
     * Bounds the next read by the room left under the connection limit: Netty checks autoRead only between
     * the accepts of one read (NIO not even then), so turning it off at the limit alone could let a read take
     * up to 15 more. At least 1 (Netty refuses 0): a listener at the limit does not read at all.
     */
    private void limitNextRead() {
        if (server.config().getRecvByteBufAllocator() instanceof MaxMessagesRecvByteBufAllocator a) {
            a.maxMessagesPerRead(Math.max(1, Math.min(ACCEPTS_PER_READ, net.connectionRoom())));
        }
    }

    /** Receives the accepted children; runs inside a loop run (threaded mode: under the lock). */
    private final class AcceptHandler extends InboundHandler {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            net.loop().enter();
            try {
                accepted((Channel) msg);
            } finally {
                net.loop().exit();
            }
        }

        private void accepted(Channel child) {
            if (closed) {
                child.unsafe().closeForcibly();
                return;
            }
            if (!ipv6 && child.remoteAddress() instanceof InetSocketAddress peer && peer.getAddress() instanceof Inet6Address) {
                // Only where Netty's IPv4 listeners are dual-stack (its io_uring channels): an AF_INET socket on
                // Linux never meets an IPv6 peer, so reset it as the kernel would have refused it.
                child.config().setOption(ChannelOption.SO_LINGER, 0);
                child.unsafe().closeForcibly();
                return;
            }
            events.accepted(new ChannelConnection(net, (DuplexChannel) child, true));
            limitNextRead();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // Accept errors are transient for a listener; the next accept retries. The guest's accept does not
            // see them, as on Linux, where the connection stays in the kernel's queue until an accept succeeds.
            net.loop().enter();
            try {
                events.acceptFailed(NetErrors.errno(cause));
            } finally {
                net.loop().exit();
            }
        }
    }
}

package io.wasix.host.net.channel;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.wasix.host.net.Connection;
import io.wasix.host.net.ConnectionEvents;
import io.wasix.host.net.GuestBuffers;
import io.wasix.host.net.GuestNetwork;
import io.wasix.host.net.GuestSocket;
import io.wasix.host.net.InboundHandler;
import io.wasix.host.net.NetErrors;
import io.wasix.host.net.OptionTarget;
import io.wasix.host.net.SocketOptions;
import java.net.InetSocketAddress;

/**
 * A TCP connection on a Netty channel: every connection on NIO (the portable path), and the connections the
 * guest makes with sock_connect on every transport. Received bytes come through a one-handler pipeline;
 * writes go through {@code writeAndFlush}; autoRead is the flow control.
 *
 * <p>A close waits for the channel's last write to complete before closing it, because io_uring would
 * otherwise drop a write still in flight. A shutdown of the output is made on the loop's next run, not at
 * once: a guest that closes right after (shutdown-then-close, as every connection-per-request server does)
 * then gets one close, which sends the FIN anyway, instead of a shutdown(2) plus a close; Netty's
 * shutdownOutput also builds an exception with a stack trace on every call.
 *
 * <p>Threading: the guest's calls on the guest thread (threaded mode: under the shard lock; Netty hands channel
 * operations to the loop). The handler and the future listeners run on the loop's thread and take the shard
 * lock in threaded mode.
 *
 * <p>Public because {@link GuestSocket} makes one for each outbound connection, on every transport.
 */
public final class ChannelConnection implements Connection {
    private final GuestNetwork net;
    private final DuplexChannel channel;
    private ConnectionEvents events;
    /** Accepted from a listener (counted against the connection limit until it closes), not connected out. */
    private final boolean accepted;
    private boolean started;
    private boolean outputShutdownPending;
    private ChannelFuture lastWrite;
    /** One listener per connection, not one per write. */
    private final GenericFutureListener<Future<? super Void>> writeDone = this::writeDone;
    private final Runnable shutdownLater = this::shutdownOutputNow;

    public ChannelConnection(GuestNetwork net, DuplexChannel channel, boolean accepted) {
        this.net = net;
        this.channel = channel;
        this.accepted = accepted;
    }

    DuplexChannel channel() {
        return channel;
    }

    @Override
    public void attach(ConnectionEvents events) {
        this.events = events;
    }

    /**
     * Registers the channel, with the options the guest set (Netty sets its own defaults on a new channel):
     * an accepted child reads nothing until the guest takes it.
     */
    @Override
    public void start(SocketOptions options) {
        if (started) {
            return;
        }
        started = true;
        channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        options.applyTo(OptionTarget.of(channel));
        channel.pipeline().addLast(new Handler());
        if (accepted) {
            net.registerAccepted(channel);
        } else {
            net.register(channel);
        }
    }

    @Override
    public void setReading(boolean on) {
        if (channel.config().isAutoRead() != on) {
            channel.config().setAutoRead(on);
            if (on) {
                channel.read();
            }
        }
    }

    @Override
    public boolean isActive() {
        return channel.isActive();
    }

    @Override
    public boolean isWritable() {
        return channel.isWritable();
    }

    @Override
    public long writableBytes() {
        return channel.bytesBeforeUnwritable();
    }

    @Override
    public void write(GuestBuffers src, int len) {
        ByteBuf buf = channel.alloc().buffer(len);
        try {
            src.take(buf, len);
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
        lastWrite = channel.writeAndFlush(buf);
        lastWrite.addListener(writeDone);
    }

    private void writeDone(Future<? super Void> f) {
        net.loop().enter();
        try {
            events.writeCompleted(f.isSuccess() ? null : NetErrors.errno(f.cause()));
        } finally {
            net.loop().exit();
        }
    }

    @Override
    public void shutdownOutput() {
        outputShutdownPending = true;
        net.loop().later(shutdownLater);
    }

    private void shutdownOutputNow() {
        if (outputShutdownPending) {
            outputShutdownPending = false;
            afterLastWrite(channel::shutdownOutput);
        }
    }

    @Override
    public void shutdownInput() {
        channel.shutdownInput();
    }

    @Override
    public void close(boolean dropShutdown) {
        if (!started) {
            channel.unsafe().closeForcibly(); // a child the guest never took: registered nowhere yet
            if (accepted) {
                net.inboundClosed();
            }
            return;
        }
        if (dropShutdown) {
            outputShutdownPending = false;
        }
        shutdownOutputNow();
        afterLastWrite(channel::close);
    }

    private void afterLastWrite(Runnable action) {
        if (lastWrite == null || lastWrite.isDone()) {
            action.run();
        } else {
            lastWrite.addListener(f -> action.run());
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) channel.remoteAddress();
    }

    @Override
    public OptionTarget options() {
        return OptionTarget.of(channel);
    }

    /** Feeds the socket from the channel; runs inside a loop run (threaded mode: on the I/O thread, locked). */
    private final class Handler extends InboundHandler {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            net.loop().enter();
            try {
                events.received((ByteBuf) msg);
            } finally {
                net.loop().exit();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                inputClosed();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            inputClosed();
        }

        private void inputClosed() {
            net.loop().enter();
            try {
                events.inputClosed();
            } finally {
                net.loop().exit();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            net.loop().enter();
            try {
                events.writabilityChanged();
            } finally {
                net.loop().exit();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            net.loop().enter();
            try {
                events.failed(NetErrors.errno(cause));
            } finally {
                net.loop().exit();
            }
            ctx.close();
        }
    }
}

package io.wasix.host.net;


import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.wasix.host.abi.Errno;
import io.wasix.host.abi.SockAddr;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.function.BooleanSupplier;

/**
 * A guest's TCP socket, backed by a Netty channel on the guest's own loop.
 *
 * <p>A socket starts {@code FRESH} (options recorded, no channel). sock_bind creates a listening server channel
 * at once, so EADDRINUSE and the chosen port are known at bind time, as on Linux; it accepts nothing until
 * sock_listen turns reading on. sock_connect creates a client channel. Received bytes and accepted
 * connections wait in bounded queues; when one is full, the channel stops reading (autoRead off) so the
 * kernel, not the host, holds the excess. A send queues at most the channel's room under its write high-water
 * mark at a time, so the host holds little more than that per connection, whatever the guest sends. Shutdowns
 * and closes are queued on the channel and return at once; a close waits for the last queued write to complete
 * before closing the channel, because io_uring would otherwise drop a write still in flight.
 *
 * <p>Threading: in direct mode, owned by the guest thread; its Netty handlers run on that same thread, inside
 * the loop runs that the guest's blocking calls make, and nothing is locked. In threaded mode, guest threads
 * call in holding the shard lock, and the handlers and future listeners, which run on the shard's I/O thread,
 * take it ({@link GuestLoop#enter()}) before they touch any field here. A blocking call releases the lock
 * while it waits, so another guest thread may close the socket meanwhile: the wait then ends with EBADF.
 */
public final class GuestSocket implements NetSocket {
    /** The life of a socket, as sock_status and the calls below see it. */
    public enum State { FRESH, BOUND, LISTENING, CONNECTING, CONNECTED, FAILED, CLOSED }

    private final GuestNetwork net;
    private final boolean ipv6;
    private final SocketOptions options;
    /** A connection the guest accepted: what it sends there is a response (for {@link GuestNetwork#responseWritten}). */
    private final boolean accepted;
    private State state;
    private long readinessSeq;

    // listener side
    private ServerChannel server;
    private final ArrayDeque<Channel> acceptQueue = new ArrayDeque<>();
    private boolean acceptPaused;      // out of fds: not reading the listener until one is freed

    // connection side
    private DuplexChannel channel;
    private final ArrayDeque<ByteBuf> inbound = new ArrayDeque<>();
    private int inboundBytes;
    private boolean peerClosedInput;   // FIN or close seen from the peer
    private boolean localInputShut;    // shutdown(RD)
    private boolean localOutputShut;   // shutdown(WR)
    private boolean outputShutdownPending; // shutdown(WR) not yet passed to the channel
    private boolean everRead;          // the guest has received bytes on this connection
    private Errno pendingError;        // reported once by the next call that can fail, as SO_ERROR is
    private Errno lastError = Errno.SUCCESS;
    private ChannelFuture lastWrite;

    public GuestSocket(GuestNetwork net, boolean ipv6) {
        this.net = net;
        this.ipv6 = ipv6;
        this.options = new SocketOptions();
        this.accepted = false;
        this.state = State.FRESH;
    }

    /** A socket for a connection the guest accepted. */
    private GuestSocket(GuestNetwork net, boolean ipv6, SocketOptions inherited, DuplexChannel child) {
        this.net = net;
        this.ipv6 = ipv6;
        this.options = inherited.copyForAccepted();
        this.accepted = true;
        this.state = State.CONNECTED;
        adoptConnection(child);
    }

    public State state() {
        return state;
    }

    @Override
    public boolean ipv6() {
        return ipv6;
    }

    @Override
    public SocketOptions options() {
        return options;
    }

    // ---------------------------------------------------------------- bind, listen, accept

    @Override
    public void bind(InetSocketAddress local) {
        if (state != State.FRESH) {
            throw Errno.INVAL.fail();
        }
        net.requireListen(local.getPort()); // a bind listens at once here, so every bind is a listen (see README)
        ServerChannel ch = newChannel(() -> net.transport().newServerChannel(ipv6));
        try {
            ch.config().setOption(ChannelOption.SO_BACKLOG, GuestNetwork.LISTEN_BACKLOG);
            ch.config().setOption(ChannelOption.SO_REUSEADDR, options.reuseAddr || net.forceReuseAddr());
            if (options.reusePort || net.forceReusePort()) {
                ch.config().setOption(net.transport().reusePortOption(), true);
            }
            if (options.recvBufSize > 0) {
                ch.config().setOption(ChannelOption.SO_RCVBUF, options.recvBufSize);
            }
        } catch (ChannelException e) {
            ch.unsafe().closeForcibly();
            throw NetErrors.errno(e).fail();
        }
        ch.config().setAutoRead(false);
        ch.pipeline().addLast(new AcceptHandler());
        net.register(ch);
        ChannelFuture bound = ch.bind(local);
        net.loop().awaitDone(bound, GuestLoop.NO_DEADLINE);
        if (!bound.isSuccess()) {
            ch.close();
            throw NetErrors.errno(bound.cause()).fail();
        }
        server = ch;
        state = State.BOUND;
        net.listenerBound(localAddress()); // as the guest bound it: 0.0.0.0, not io_uring's dual-stack [::]
    }

    /**
     * Makes a channel, which opens its socket: out of fds (EMFILE, ENFILE) that fails here, and the guest gets
     * the errno its socket(2) would have had on Linux, where sock_open has no channel to make yet.
     */
    static <C extends Channel> C newChannel(java.util.function.Supplier<C> make) {
        try {
            return make.get();
        } catch (ChannelException e) {
            throw NetErrors.errno(e).fail();
        }
    }

    public void listen() {
        switch (state) {
            case FRESH -> {
                bind(SockAddr.any(ipv6));
                listen();
            }
            case BOUND -> {
                state = State.LISTENING;
                net.listening(resumeReading);
                resumeReading();
            }
            case LISTENING -> { }
            default -> throw Errno.INVAL.fail();
        }
    }

    /**
     * Closes the listening channel and waits (briefly) until the kernel has let go of its port, as close(2) of a
     * listener does: the guest may bind the same port again at once (or connect from it, after bind). Both NIO
     * (a registered channel's fd is released at the selector's next select) and io_uring (the fd stays referenced
     * by the pending accept until it is cancelled) release it only when the loop runs again.
     */
    private void closeServer() {
        ChannelFuture closed = server.close();
        server = null;
        net.loop().drain(closed::isDone, GuestLoop.deadline(SERVER_CLOSE_NANOS));
        net.loop().turn();
    }

    /** Bound on the wait in {@link #closeServer}; a close normally completes within one loop run. */
    private static final long SERVER_CLOSE_NANOS = 1_000_000_000L;

    @Override
    public boolean isListening() {
        return state == State.LISTENING;
    }

    /**
     * Takes the next accepted connection, waiting for one unless non-blocking.
     *
     * @return the new socket, or null only for a non-blocking call with nothing queued (EAGAIN)
     */
    public GuestSocket accept(boolean nonBlocking) {
        if (state != State.LISTENING) {
            throw Errno.INVAL.fail();
        }
        if (acceptQueue.isEmpty()) {
            if (nonBlocking) {
                net.loop().poll();
            } else {
                net.loop().awaitNewWork(() -> !acceptQueue.isEmpty() || state != State.LISTENING,
                        GuestLoop.deadline(options.acceptTimeoutNanos));
                throwIfClosed();
            }
            if (acceptQueue.isEmpty()) {
                throw Errno.AGAIN.fail();
            }
        }
        Channel child = acceptQueue.poll();
        resumeReading();
        return new GuestSocket(net, ipv6, options, (DuplexChannel) child);
    }

    /**
     * A wait this socket was in ended because another guest thread closed it meanwhile (threaded mode): the
     * call answers EBADF, the fd it was made on being gone. (Linux would keep the closed file alive until the
     * call returns; a guest that closes a socket under another thread's call wants that call to end.)
     */
    private void throwIfClosed() {
        if (state == State.CLOSED) {
            throw Errno.BADF.fail();
        }
    }

    /** Receives the listener's accepted children; runs inside a loop run (threaded mode: under the lock). */
    private final class AcceptHandler extends InboundHandler {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            net.loop().enter();
            try {
                accepted(ctx, (Channel) msg);
            } finally {
                net.loop().exit();
            }
        }

        private void accepted(ChannelHandlerContext ctx, Channel child) {
            if (state == State.CLOSED) {
                child.unsafe().closeForcibly();
                return;
            }
            if (!ipv6 && child.remoteAddress() instanceof InetSocketAddress peer && peer.getAddress() instanceof Inet6Address) {
                // Only on io_uring, whose IPv4 listeners are dual-stack (see Transport): an AF_INET socket on
                // Linux never meets an IPv6 peer, so reset it as the kernel would have refused it.
                child.config().setOption(ChannelOption.SO_LINGER, 0);
                child.unsafe().closeForcibly();
                return;
            }
            acceptQueue.add(child);
            moved();
            net.inboundOpened();
            if (acceptQueue.size() >= GuestNetwork.ACCEPT_QUEUE_LIMIT) {
                ctx.channel().config().setAutoRead(false);
            }
            limitNextRead(ctx.channel());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // Accept errors are transient for a listener; the next accept retries. The guest's accept does not
            // see them, as on Linux, where the connection stays in the kernel's queue until an accept succeeds.
            Errno e = NetErrors.errno(cause);
            net.loop().enter();
            try {
                lastError = e;
                if (e == Errno.MFILE || e == Errno.NFILE || e == Errno.NOBUFS || e == Errno.NOMEM) {
                    pauseAccepting();
                }
            } finally {
                net.loop().exit();
            }
        }
    }

    /**
     * Stops reading the listener after an accept failed for lack of fds or memory. The connection is still
     * pending in the kernel, so the listener stays readable: reading on would fail again at once, for ever,
     * burning a core while the guest waits. Accepting resumes when one of this guest's channels closes (its
     * fd is free again: the usual way out, a server closing a connection) or, for fds freed elsewhere (another
     * shard, a file, another process), after {@link #ACCEPT_RETRY_NANOS}. Netty's ServerBootstrap pauses 1 s
     * on such errors; we retry sooner because a retry costs one failed accept(2), a few microseconds, while
     * each second paused is a second a waiting client is not served.
     */
    private void pauseAccepting() {
        if (acceptPaused || server == null) {
            return;
        }
        acceptPaused = true;
        server.config().setAutoRead(false);
        net.whenChannelCloses(resumeAccepting);
        net.loop().schedule(this::resumeAccepting, ACCEPT_RETRY_NANOS);
    }

    /** One instance, so that pausing again before any channel closed does not queue a second wake-up. */
    private final Runnable resumeAccepting = this::resumeAccepting;

    /** Bound on an accept pause when no channel of this guest closes; see {@link #pauseAccepting}. */
    static final long ACCEPT_RETRY_NANOS = 100_000_000L;

    private void resumeAccepting() {
        if (!acceptPaused) {
            return; // the other trigger came first
        }
        acceptPaused = false;
        resumeReading();
    }

    /**
     * Reads the listener again unless something still holds it back: out of fds ({@link #pauseAccepting}), a
     * full accept queue, or the guest's connection limit ({@link GuestNetwork#atConnectionLimit}).
     */
    private void resumeReading() {
        if (state != State.LISTENING || server == null || acceptPaused || server.config().isAutoRead()
                || acceptQueue.size() >= GuestNetwork.ACCEPT_QUEUE_LIMIT || net.atConnectionLimit()) {
            return;
        }
        limitNextRead(server);
        server.config().setAutoRead(true);
        server.read();
    }

    /** One instance, registered with the network while listening: the connection limit resumes it. */
    private final Runnable resumeReading = this::resumeReading;

    /** Netty's server channels accept up to 16 connections per read. */
    private static final int ACCEPTS_PER_READ = 16;

    /**
     * Bounds the listener's next read by the room left under the connection limit: Netty checks autoRead only
     * between the accepts of one read (NIO not even then), so turning it off at the limit alone could let a
     * read take up to 15 more.
     */
    private void limitNextRead(Channel listener) {
        if (listener.config().getRecvByteBufAllocator() instanceof MaxMessagesRecvByteBufAllocator a) {
            a.maxMessagesPerRead(net.acceptRoom(ACCEPTS_PER_READ));
        }
    }

    // ---------------------------------------------------------------- connect

    public void connect(InetSocketAddress remote, boolean nonBlocking) {
        net.requireOutbound(remote);
        switch (state) {
            case FRESH, BOUND -> { }
            case CONNECTING -> throw Errno.ALREADY.fail();
            case CONNECTED, LISTENING -> throw Errno.ISCONN.fail(); // Linux answers EISCONN for a listener too
            default -> throw Errno.INVAL.fail();
        }
        // Before the listener closes: a socket that cannot be made (EMFILE) leaves a bound socket bound.
        DuplexChannel ch = newChannel(() -> net.transport().newSocketChannel(ipv6));
        InetSocketAddress local = null;
        if (state == State.BOUND) {
            // bind() made a listener; a bind-then-connect socket becomes a client bound to that address.
            local = (InetSocketAddress) server.localAddress();
            closeServer();
        }
        if (local != null) {
            ch.config().setOption(ChannelOption.SO_REUSEADDR, true);
        }
        state = State.CONNECTING;
        adoptConnection(ch);
        ChannelFuture connected = local == null ? ch.connect(remote) : ch.connect(remote, local);
        connected.addListener(f -> {
            net.loop().enter();
            try {
                if (state != State.CONNECTING) {
                    return;
                }
                if (f.isSuccess()) {
                    state = State.CONNECTED;
                } else {
                    state = State.FAILED;
                    pendingError = NetErrors.errno(f.cause());
                    lastError = pendingError;
                }
                moved();
            } finally {
                net.loop().exit();
            }
        });
        if (nonBlocking) {
            if (connected.isDone()) {
                finishConnect();
                return;
            }
            throw Errno.INPROGRESS.fail();
        }
        if (!net.loop().await(() -> connected.isDone() || state == State.CLOSED,
                GuestLoop.deadline(options.connectTimeoutNanos))) {
            state = State.FAILED;
            lastError = Errno.TIMEDOUT;
            ch.close();
            throw Errno.TIMEDOUT.fail();
        }
        finishConnect();
    }

    private void finishConnect() {
        throwIfClosed();
        if (state == State.FAILED) {
            Errno e = takePendingError();
            throw (e == null ? Errno.CONNREFUSED : e).fail();
        }
    }

    // ---------------------------------------------------------------- the connection

    private void adoptConnection(DuplexChannel ch) {
        channel = ch;
        ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        options.applyTo(ch);
        ch.pipeline().addLast(new ConnectionHandler());
        if (accepted) {
            net.registerAccepted(ch);
        } else {
            net.register(ch);
        }
    }

    /**
     * Feeds the socket's queues from its channel; runs inside a loop run (threaded mode: on the I/O thread,
     * each event under the shard lock).
     */
    private final class ConnectionHandler extends InboundHandler {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            net.loop().enter();
            try {
                if (localInputShut || state == State.CLOSED) {
                    buf.release();
                    return;
                }
                inbound.add(buf);
                inboundBytes += buf.readableBytes();
                moved();
                if (inboundBytes >= GuestNetwork.INBOUND_HIGH_WATER) {
                    ctx.channel().config().setAutoRead(false);
                }
            } finally {
                net.loop().exit();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                net.loop().enter();
                try {
                    peerClosedInput = true;
                    moved();
                } finally {
                    net.loop().exit();
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            net.loop().enter();
            try {
                peerClosedInput = true;
                moved();
            } finally {
                net.loop().exit();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            net.loop().enter();
            try {
                moved();
            } finally {
                net.loop().exit();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            net.loop().enter();
            try {
                pendingError = NetErrors.errno(cause);
                lastError = pendingError;
                moved();
            } finally {
                net.loop().exit();
            }
            ctx.close();
        }
    }

    private Errno takePendingError() {
        Errno e = pendingError;
        pendingError = null;
        return e;
    }

    /**
     * Readiness moved: the counter edge-triggered epoll compares, and, in threaded mode, a wake-up for the
     * guest threads waiting on this socket or an epoll set that holds it. Lock held.
     */
    private void moved() {
        readinessSeq++;
        net.loop().changed();
    }

    private boolean readable() {
        return inboundBytes > 0 || peerClosedInput || localInputShut || pendingError != null;
    }

    private boolean readableOrClosed() {
        return readable() || state == State.CLOSED;
    }

    private void requireConnected() {
        switch (state) {
            case CONNECTED -> { }
            case FAILED -> {
                Errno e = takePendingError();
                throw (e == null ? Errno.NOTCONN : e).fail();
            }
            default -> throw Errno.NOTCONN.fail();
        }
    }

    /**
     * Copies received bytes into {@code dst}, waiting for some unless non-blocking. The wait, including one for
     * a connect still in progress, ends at the RecvTimeout, as SO_RCVTIMEO ends Linux's (EAGAIN).
     *
     * @param peek leave the bytes queued
     * @param waitAll keep waiting (within the timeout) until {@code dst} is full, the peer closes or an error
     *     arrives; bytes are copied as they come, so nothing is buffered for the whole request
     * @return bytes copied; 0 means end of stream
     */
    public int recv(GuestBuffers dst, boolean nonBlocking, boolean peek, boolean waitAll) {
        int len = (int) Math.min(dst.total(), Integer.MAX_VALUE);
        long deadline = deadline(options.recvTimeoutNanos);
        if (state == State.CONNECTING) {
            if (nonBlocking) {
                net.loop().poll();
            } else {
                net.loop().await(() -> state != State.CONNECTING, deadline);
            }
            if (state == State.CONNECTING) {
                throw Errno.AGAIN.fail(); // Linux: a read on a socket still connecting is EAGAIN, not ENOTCONN
            }
        }
        throwIfClosed();
        requireConnected();
        if (!readable()) {
            if (nonBlocking) {
                net.loop().poll();
            } else {
                net.loop().await(this::readableOrClosed, deadline);
                throwIfClosed();
            }
            if (!readable()) {
                throw Errno.AGAIN.fail();
            }
        }
        if (inboundBytes == 0 && pendingError != null) {
            throw takePendingError().fail();
        }
        if (peek) {
            return copyOut(dst, len, true);
        }
        int n = copyOut(dst, len, false);
        everRead |= n > 0;
        while (waitAll && !nonBlocking && n < len && !peerClosedInput && !localInputShut) {
            resumeReadingIfDrained(); // the queue was emptied: let more in while we wait
            if (!awaitUnlessSignalled(this::readableOrClosed, deadline) || inboundBytes == 0) {
                break; // closed meanwhile, or a signal came: what was copied is the answer
            }
            n += copyOut(dst, len - n, false);
        }
        resumeReadingIfDrained();
        return n;
    }

    /**
     * A wait in the middle of a call that has already moved bytes: a signal ends it like a timeout (false), so
     * that the call answers the count so far, as Linux's does, rather than EINTR, which would lose it.
     */
    private boolean awaitUnlessSignalled(BooleanSupplier ready, long deadline) {
        try {
            return net.loop().await(ready, deadline);
        } catch (io.wasix.host.abi.WasiException e) {
            if (e.errno() != Errno.INTR) {
                throw e;
            }
            return false;
        }
    }

    /**
     * A deadline for a socket timeout option. Zero means no timeout, as a zero SO_RCVTIMEO/SO_SNDTIMEO does on
     * Linux (wasmer instead times out at once, and waits 30 s when none is set; guests are written for Linux).
     */
    static long deadline(long timeoutNanos) {
        return timeoutNanos == 0 ? GuestLoop.NO_DEADLINE : GuestLoop.deadline(timeoutNanos);
    }

    private int copyOut(GuestBuffers dst, int len, boolean peek) {
        int n = 0;
        var it = inbound.iterator();
        while (n < len && it.hasNext()) {
            ByteBuf buf = it.next();
            int take = Math.min(buf.readableBytes(), len - n);
            dst.put(buf, buf.readerIndex(), take);
            if (!peek) {
                buf.skipBytes(take);
                inboundBytes -= take;
                if (!buf.isReadable()) {
                    it.remove();
                    buf.release();
                }
            }
            n += take;
        }
        return n;
    }

    private void resumeReadingIfDrained() {
        if (channel != null && !channel.config().isAutoRead() && inboundBytes < GuestNetwork.INBOUND_LOW_WATER) {
            channel.config().setAutoRead(true);
            channel.read();
        }
    }

    /** Bytes received and not yet read, for FIONREAD-like answers (poll's nbytes). */
    public int available() {
        return inboundBytes;
    }

    /**
     * Queues bytes of {@code src} for sending, at most what the channel has room for under its write high-water
     * mark at a time (at least one byte while it is writable), so one call never buffers more than that however
     * much the guest hands over. As Linux's send on a TCP socket: a blocking call goes on, waiting for room,
     * until everything is queued, and returns what it queued so far when the SendTimeout passes (EAGAIN if
     * nothing) or the connection fails (the error is then reported by the next call); a non-blocking call
     * queues what fits now (EAGAIN if nothing). A connect still in progress is waited for within the same
     * timeout. Queued is not sent: the channel flushes each piece to the kernel as the loop runs.
     *
     * @return bytes accepted
     */
    public int send(GuestBuffers src, boolean nonBlocking) {
        long total = Math.min(src.total(), Integer.MAX_VALUE);
        long deadline = deadline(options.sendTimeoutNanos);
        if (state == State.CONNECTING && !nonBlocking) {
            net.loop().await(() -> state != State.CONNECTING, deadline);
        }
        if (state == State.CONNECTING) {
            throw Errno.AGAIN.fail();
        }
        throwIfClosed();
        requireConnected();
        if (localOutputShut) {
            throw Errno.PIPE.fail();
        }
        if (pendingError != null) {
            throw takePendingError().fail();
        }
        if (!channel.isActive()) {
            throw Errno.PIPE.fail();
        }
        if (total == 0) {
            return 0; // as Linux: a zero-length send on a connection never waits
        }
        int sent = 0;
        do {
            int room = sendRoom(nonBlocking, deadline, sent > 0);
            if (room == 0) {
                break;
            }
            int take = (int) Math.min(room, total - sent);
            ByteBuf buf = channel.alloc().buffer(take);
            try {
                src.take(buf, take);
            } catch (RuntimeException e) {
                buf.release();
                throw e;
            }
            lastWrite = channel.writeAndFlush(buf);
            lastWrite.addListener(writeDone);
            sent += take;
        } while (sent < total);
        return sent;
    }

    /**
     * How many bytes the channel takes now, waiting for room unless non-blocking. When nothing can be taken:
     * 0 if this call already queued something ({@code partial}: it returns that count), else the errno.
     */
    private int sendRoom(boolean nonBlocking, long deadline, boolean partial) {
        if (!channel.isWritable()) {
            if (nonBlocking) {
                if (partial) {
                    return 0;
                }
                net.loop().poll();
            } else {
                BooleanSupplier room = () -> channel.isWritable() || !channel.isActive() || pendingError != null
                        || state == State.CLOSED;
                if (partial) {
                    awaitUnlessSignalled(room, deadline); // a signal ends it with the count queued so far
                } else {
                    net.loop().await(room, deadline);
                }
                throwIfClosed();
            }
            if (!channel.isWritable()) {
                if (partial) {
                    return 0;
                }
                if (pendingError != null) {
                    throw takePendingError().fail();
                }
                throw (channel.isActive() ? Errno.AGAIN : Errno.PIPE).fail();
            }
        }
        // Writable means under the high-water mark; the room can still be 0 when exactly at it.
        return (int) Math.max(1, Math.min(channel.bytesBeforeUnwritable(), Integer.MAX_VALUE));
    }

    /**
     * Reports a completed send to the embedder (the first response on an accepted connection) and a failed
     * one to the guest's next call; one instance per socket, not one per send.
     */
    private final io.netty.util.concurrent.GenericFutureListener<io.netty.util.concurrent.Future<? super Void>>
            writeDone = this::writeDone;

    private void writeDone(io.netty.util.concurrent.Future<? super Void> f) {
        net.loop().enter();
        try {
            if (f.isSuccess()) {
                if (accepted) {
                    net.responseWritten();
                }
            } else if (state != State.CLOSED) {
                pendingError = NetErrors.errno(f.cause());
                lastError = pendingError;
                moved();
            }
        } finally {
            net.loop().exit();
        }
    }

    @Override
    public void shutdown(int how) {
        if (how < 1 || how > 3) {
            throw Errno.INVAL.fail();
        }
        if (state != State.CONNECTED) {
            throw Errno.NOTCONN.fail();
        }
        if ((how & 1) != 0 && !localInputShut) {
            localInputShut = true;
            releaseInbound();
            moved(); // a receive blocked in another guest thread now sees the end
            channel.shutdownInput();
        }
        if ((how & 2) != 0 && !localOutputShut) {
            localOutputShut = true;
            moved();
            DuplexChannel ch = channel;
            // On the loop's next run, not now: a guest that closes right after having read its request
            // (shutdown-then-close, as every connection-per-request server does) then gets one close, which
            // sends the FIN anyway, instead of a shutdown(2) plus a close; Netty's shutdownOutput also builds
            // an exception with a stack trace on every call. Sends are submitted at the next run too, so
            // nothing is reordered.
            outputShutdownPending = true;
            net.loop().later(this::shutdownOutputNow);
        }
    }

    private void shutdownOutputNow() {
        if (outputShutdownPending) {
            outputShutdownPending = false;
            DuplexChannel ch = channel;
            afterLastWrite(ch::shutdownOutput);
        }
    }

    private void afterLastWrite(Runnable action) {
        if (lastWrite == null || lastWrite.isDone()) {
            action.run();
        } else {
            lastWrite.addListener(f -> action.run());
        }
    }

    private void releaseInbound() {
        for (ByteBuf b : inbound) {
            b.release();
        }
        inbound.clear();
        inboundBytes = 0;
    }

    // ---------------------------------------------------------------- status, addresses

    @Override
    public InetSocketAddress localAddress() {
        if (server != null) {
            return asGuestFamily((InetSocketAddress) server.localAddress());
        }
        if (channel != null && channel.localAddress() != null) {
            return asGuestFamily((InetSocketAddress) channel.localAddress());
        }
        return SockAddr.any(ipv6);
    }

    /**
     * Netty opens io_uring sockets dual-stack IPv6, so there an AF_INET4 socket bound to 0.0.0.0 is bound to [::]:
     * report the address the guest bound, as getsockname on an AF_INET socket would.
     */
    private InetSocketAddress asGuestFamily(InetSocketAddress local) {
        if (!ipv6 && local.getAddress() instanceof java.net.Inet6Address v6 && v6.isAnyLocalAddress()) {
            return new InetSocketAddress(SockAddr.any(false).getAddress(), local.getPort());
        }
        return local;
    }

    @Override
    public InetSocketAddress peerAddress() {
        if (state != State.CONNECTED || channel.remoteAddress() == null) {
            throw Errno.NOTCONN.fail();
        }
        return (InetSocketAddress) channel.remoteAddress();
    }

    @Override
    public int status() {
        return switch (state) {
            case FRESH, CONNECTING -> 0;
            case BOUND, LISTENING, CONNECTED -> channel != null && !channel.isActive() ? 2 : 1;
            case CLOSED -> 2;
            case FAILED -> 3;
        };
    }

    @Override
    public Errno takeLastError() {
        Errno e = pendingError != null ? takePendingError() : lastError;
        lastError = Errno.SUCCESS;
        return e;
    }

    /** The live channel the options apply to, or null before there is one. */
    Channel liveChannel() {
        return channel != null ? channel : server;
    }

    /** The connection channel, or null for a listener or a socket with no channel yet. */
    Channel connection() {
        return channel;
    }

    // ---------------------------------------------------------------- Descriptor

    @Override
    public FileType fileType() {
        return FileType.SOCKET_STREAM;
    }

    /** Readiness as Linux's tcp_poll computes it for a socket in the same state. */
    @Override
    public int readiness() {
        return switch (state) {
            // neither connected nor connecting: hung up, and "writable" (a write would fail at once, not block)
            case FRESH, BOUND -> OUT | HUP;
            case LISTENING -> acceptQueue.isEmpty() ? 0 : IN;
            case CONNECTING -> 0;
            // a failed connect has shut both directions; the error shows until it is read (SO_ERROR, a call)
            case FAILED -> IN | OUT | RDHUP | HUP | (pendingError != null ? ERR : 0);
            case CLOSED -> HUP;
            case CONNECTED -> {
                int r = 0;
                if (readable()) {
                    r |= IN;
                }
                boolean inputDone = peerClosedInput || localInputShut;
                if (inputDone) {
                    r |= RDHUP;
                }
                if (pendingError != null) {
                    r |= ERR;
                }
                boolean active = channel.isActive();
                // OUT while there is room, and for good once sending is shut down (a send fails, never blocks)
                if (localOutputShut || !active || channel.isWritable()) {
                    r |= OUT;
                }
                if (!active || (inputDone && localOutputShut)) {
                    r |= HUP;
                }
                yield r;
            }
        };
    }

    @Override
    public long readinessSeq() {
        return readinessSeq;
    }

    @Override
    public void close() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        moved(); // a call blocked on this socket in another guest thread ends (EBADF)
        if (server != null) {
            net.notListening(resumeReading);
            closeServer();
            for (Channel child : acceptQueue) {
                child.unsafe().closeForcibly();
                net.inboundClosed();
            }
            acceptQueue.clear();
        }
        if (channel != null) {
            // Skip the pending shutdown only when the guest read its peer's data and left nothing unread:
            // otherwise the FIN must leave first, as on Linux, or the peer may see a reset before the
            // response (a guest that never reads, like a hand-written accept/send/close loop).
            if (everRead && inboundBytes == 0) {
                outputShutdownPending = false;
            }
            shutdownOutputNow();
            releaseInbound();
            DuplexChannel ch = channel;
            afterLastWrite(ch::close);
        }
    }
}

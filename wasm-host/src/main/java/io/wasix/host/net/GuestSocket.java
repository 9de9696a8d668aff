package io.wasix.host.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DuplexChannel;
import io.wasix.host.abi.Errno;
import io.wasix.host.abi.SockAddr;
import io.wasix.host.net.channel.ChannelConnection;
import io.wasix.host.net.channel.ChannelListener;
import io.wasix.host.net.epoll.EpollListener;
import io.wasix.host.net.uring.RingListener;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.function.BooleanSupplier;

/**
 * A guest's TCP socket: what the guest sees of it (its state, the bytes received and not yet read, the
 * connections accepted and not yet taken, the error its next call reports), over a kernel socket that one of
 * the transports drives: a {@link Listener} once bound, a {@link Connection} once connected or accepted. On
 * io_uring and epoll, listeners and accepted connections are plain fds driven straight on the shard's ring
 * or epoll set ({@link RingListener}, {@link EpollListener}); on NIO, and for every outbound connection, they
 * are Netty channels ({@link ChannelListener}, {@link ChannelConnection}).
 *
 * <p>A socket starts {@code FRESH} (options recorded, no kernel socket). sock_bind makes a listener at once,
 * so EADDRINUSE and the chosen port are known at bind time, as on Linux; it accepts nothing until sock_listen.
 * sock_connect makes a connection. Received bytes and accepted connections wait in bounded queues; when one is
 * full, the transport stops reading (or accepting) so the kernel, not the host, holds the excess. A send
 * queues at most the connection's room under its write high-water mark at a time, so the host holds little
 * more than that per connection, whatever the guest sends. Shutdowns and closes are queued and return at
 * once; a close goes out after the last queued write, never before it.
 *
 * <p>Threading: in direct mode, owned by the guest thread; the transports' events arrive on that same thread,
 * inside the loop runs that the guest's blocking calls make, and nothing is locked. In threaded mode, guest
 * threads call in holding the shard lock, and the events, which arrive on the shard's I/O thread, are
 * delivered holding it too. A blocking call releases the lock while it waits, so another guest thread may
 * close the socket meanwhile: the wait then ends with EBADF.
 *
 * <p>{@link #newChannel} is public for the channel transport's listener ({@code net.channel}).
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
    private Listener listener;
    private ArrayDeque<GuestSocket> acceptQueue; // made at the first listen
    private boolean acceptPaused;      // out of fds: not accepting until one is freed

    // connection side
    private Connection conn;
    private final Events events = new Events();
    private ArrayDeque<ByteBuf> inbound; // made at the first byte received
    private int inboundBytes;
    private boolean readingPaused;     // the inbound queue reached its high-water mark
    private boolean peerClosedInput;   // FIN or close seen from the peer
    private boolean localInputShut;    // shutdown(RD)
    private boolean localOutputShut;   // shutdown(WR)
    private boolean everRead;          // the guest has received bytes on this connection
    private Errno pendingError;        // reported once by the next call that can fail, as SO_ERROR is
    private Errno lastError = Errno.SUCCESS;

    public GuestSocket(GuestNetwork net, boolean ipv6) {
        this.net = net;
        this.ipv6 = ipv6;
        this.options = new SocketOptions();
        this.accepted = false;
        this.state = State.FRESH;
    }

    /** A connection its listener accepted, waiting in the listener's queue until the guest takes it. */
    private GuestSocket(GuestNetwork net, boolean ipv6, SocketOptions inherited, Connection accepted) {
        this.net = net;
        this.ipv6 = ipv6;
        this.options = inherited.copyForAccepted();
        this.accepted = true;
        this.state = State.CONNECTED;
        this.conn = accepted;
        accepted.attach(events);
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
        ListenerEvents le = new Accepted();
        listener = switch (net.transport()) {
            case IO_URING -> new RingListener(net.ring(), net, listenerSocket(), local, le);
            case EPOLL -> new EpollListener(net, listenerSocket(), local, le);
            case NIO -> new ChannelListener(net, ipv6, options, local, le);
        };
        state = State.BOUND;
        net.listenerBound(localAddress()); // as the guest bound it: 0.0.0.0, not a dual-stack [::]
    }

    /**
     * A kernel socket for a listener driven without a channel, with the options the guest set so far: its
     * accepted connections inherit them from the kernel, as on Linux, so none is set per connection.
     */
    private NativeSocket listenerSocket() {
        NativeSocket s;
        try {
            s = NativeSocket.stream(ipv6);
        } catch (ChannelException e) {
            throw NetErrors.errno(e).fail(); // out of fds: the errno socket(2) would have given
        }
        try {
            options.applyToListener(s, net.forceReusePort(), net.forceReuseAddr());
        } catch (RuntimeException e) {
            s.closeQuietly();
            throw e;
        }
        return s;
    }

    /**
     * Makes a channel, which opens its socket: out of fds (EMFILE, ENFILE) that fails here, and the guest gets
     * the errno its socket(2) would have had on Linux, where sock_open has no channel to make yet.
     */
    public static <C extends Channel> C newChannel(java.util.function.Supplier<C> make) {
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
                acceptQueue = new ArrayDeque<>();
                net.listening(resumeReading);
                resumeReading();
            }
            case LISTENING -> { }
            default -> throw Errno.INVAL.fail();
        }
    }

    @Override
    public boolean isListening() {
        return state == State.LISTENING;
    }

    /**
     * Takes the next accepted connection, waiting for one unless non-blocking.
     *
     * @param wantPeer the guest asks for the peer's address with it (see {@link Listener#peersWanted})
     * @return the new socket, or null only for a non-blocking call with nothing queued (EAGAIN)
     */
    public GuestSocket accept(boolean nonBlocking, boolean wantPeer) {
        if (state != State.LISTENING) {
            throw Errno.INVAL.fail();
        }
        if (wantPeer) {
            listener.peersWanted();
        }
        net.loop().noticeStop(); // a guest that never has to wait (a full accept queue) must still see its listeners close
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
        GuestSocket child = acceptQueue.poll();
        resumeReading();
        child.conn.start(child.options);
        return child;
    }

    /**
     * The peer address for sock_accept's answer: the connection's, or, for a peer that reset the connection
     * before the kernel was asked (where the transport asks only now), the any-address of the socket's
     * family: the guest has the connection already, and its next call reports the reset.
     */
    public InetSocketAddress acceptedPeer() {
        InetSocketAddress peer = conn.remoteAddress();
        return peer != null ? peer : SockAddr.any(ipv6);
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

    /** What the listener reports; inside a loop run (threaded mode: under the lock). */
    private final class Accepted implements ListenerEvents {
        @Override
        public void accepted(Connection c) {
            net.inboundOpened(); // until its kernel socket closes, whoever closes it (at the limit: stops accepting)
            if (state != State.LISTENING) {
                c.close(true); // the socket closed (or was never listening): the kernel's connection goes
                return;
            }
            acceptQueue.add(new GuestSocket(net, ipv6, options, c));
            moved();
            if (acceptQueue.size() >= GuestNetwork.ACCEPT_QUEUE_LIMIT) {
                listener.accepting(false);
            }
        }

        @Override
        public void acceptFailed(Errno e) {
            // Accept errors are transient for a listener; the next accept retries. The guest's accept does not
            // see them, as on Linux, where the connection stays in the kernel's queue until an accept succeeds.
            lastError = e;
            if (e == Errno.MFILE || e == Errno.NFILE || e == Errno.NOBUFS || e == Errno.NOMEM) {
                pauseAccepting();
            }
        }
    }

    /**
     * Stops accepting after an accept failed for lack of fds or memory. The connection is still pending in the
     * kernel, so the listener stays readable: accepting on would fail again at once, for ever, burning a core
     * while the guest waits. Accepting resumes when one of this guest's sockets closes (its fd is free again:
     * the usual way out, a server closing a connection) or, for fds freed elsewhere (another shard, a file,
     * another process), after {@link #ACCEPT_RETRY_NANOS}. Netty's ServerBootstrap pauses 1 s on such errors; we
     * retry sooner because a retry costs one failed accept(2), a few microseconds, while each second paused is
     * a second a waiting client is not served.
     */
    private void pauseAccepting() {
        if (acceptPaused || listener == null) {
            return;
        }
        acceptPaused = true;
        listener.accepting(false);
        net.whenChannelCloses(resumeAccepting);
        net.loop().schedule(this::resumeAccepting, ACCEPT_RETRY_NANOS);
    }

    /** One instance, so that pausing again before any socket closed does not queue a second wake-up. */
    private final Runnable resumeAccepting = this::resumeAccepting;

    /** Bound on an accept pause when no socket of this guest closes; see {@link #pauseAccepting}. */
    static final long ACCEPT_RETRY_NANOS = 100_000_000L;

    private void resumeAccepting() {
        if (!acceptPaused) {
            return; // the other trigger came first
        }
        acceptPaused = false;
        resumeReading();
    }

    /**
     * Accepts again unless something still holds it back: out of fds ({@link #pauseAccepting}), a full accept
     * queue, or the guest's connection limit ({@link GuestNetwork#atConnectionLimit}).
     */
    private void resumeReading() {
        if (state == State.LISTENING && listener != null && !acceptPaused
                && acceptQueue.size() < GuestNetwork.ACCEPT_QUEUE_LIMIT && !net.atConnectionLimit()) {
            listener.accepting(true);
        }
    }

    /** One instance, registered with the network while listening: the connection limit resumes it. */
    private final Runnable resumeReading = this::resumeReading;

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
            local = listener.localAddress();
            listener.close();
            listener = null;
        }
        if (local != null) {
            ch.config().setOption(ChannelOption.SO_REUSEADDR, true);
        }
        state = State.CONNECTING;
        ChannelConnection cc = new ChannelConnection(net, ch, false);
        conn = cc;
        cc.attach(events);
        cc.start(options);
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

    /** What the connection reports; inside a loop run (threaded mode: under the lock). */
    private final class Events implements ConnectionEvents {
        @Override
        public void received(ByteBuf data) {
            if (localInputShut || state == State.CLOSED) {
                data.release();
                return;
            }
            if (inbound == null) {
                inbound = new ArrayDeque<>(4);
            }
            inbound.add(data);
            inboundBytes += data.readableBytes();
            moved();
            if (inboundBytes >= GuestNetwork.INBOUND_HIGH_WATER && !readingPaused) {
                readingPaused = true;
                conn.setReading(false);
            }
        }

        @Override
        public void inputClosed() {
            peerClosedInput = true;
            moved();
        }

        @Override
        public void failed(Errno error) {
            pendingError = error;
            lastError = error;
            moved();
        }

        @Override
        public void writabilityChanged() {
            moved();
        }

        @Override
        public void writeCompleted(Errno failure) {
            if (failure == null) {
                if (accepted) {
                    net.responseWritten();
                }
            } else if (state != State.CLOSED) {
                pendingError = failure;
                lastError = failure;
                moved();
            }
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
            conn.readNow(); // what the kernel holds already, where the transport can read it without the loop
        }
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
            conn.refresh();
            if (!readableOrClosed() && !awaitUnlessSignalled(this::readableOrClosed, deadline) || inboundBytes == 0) {
                break; // timed out, ended, closed meanwhile, or a signal came: what was copied is the answer
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
        if (inbound == null) {
            return 0;
        }
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
        if (readingPaused && inboundBytes < GuestNetwork.INBOUND_LOW_WATER && conn != null) {
            readingPaused = false;
            conn.setReading(true);
        }
    }

    /** Bytes received and not yet read, for FIONREAD-like answers (poll's nbytes). */
    public int available() {
        return inboundBytes;
    }

    /**
     * Queues bytes of {@code src} for sending, at most what the connection has room for under its write
     * high-water mark at a time (at least one byte while it is writable), so one call never buffers more than
     * that however much the guest hands over. As Linux's send on a TCP socket: a blocking call goes on,
     * waiting for room, until everything is queued, and returns what it queued so far when the SendTimeout
     * passes (EAGAIN if nothing) or the connection fails (the error is then reported by the next call); a
     * non-blocking call queues what fits now (EAGAIN if nothing). A connect still in progress is waited for
     * within the same timeout. Queued is not sent: the transport sends each piece to the kernel as the loop
     * runs (epoll: at once).
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
        if (!conn.isActive()) {
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
            conn.write(src, take);
            sent += take;
        } while (sent < total);
        return sent;
    }

    /**
     * How many bytes the connection takes now, waiting for room unless non-blocking. When nothing can be
     * taken: 0 if this call already queued something ({@code partial}: it returns that count), else the errno.
     */
    private int sendRoom(boolean nonBlocking, long deadline, boolean partial) {
        if (!conn.isWritable()) {
            if (nonBlocking) {
                if (partial) {
                    return 0;
                }
                net.loop().poll();
            } else {
                BooleanSupplier room = () -> conn.isWritable() || !conn.isActive() || pendingError != null
                        || state == State.CLOSED;
                if (partial) {
                    awaitUnlessSignalled(room, deadline); // a signal ends it with the count queued so far
                } else {
                    net.loop().await(room, deadline);
                }
                throwIfClosed();
            }
            if (!conn.isWritable()) {
                if (partial) {
                    return 0;
                }
                if (pendingError != null) {
                    throw takePendingError().fail();
                }
                throw (conn.isActive() ? Errno.AGAIN : Errno.PIPE).fail();
            }
        }
        // Writable means under the high-water mark; the room can still be 0 when exactly at it.
        return (int) Math.max(1, Math.min(conn.writableBytes(), Integer.MAX_VALUE));
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
            conn.shutdownInput();
        }
        if ((how & 2) != 0 && !localOutputShut) {
            localOutputShut = true;
            moved();
            conn.shutdownOutput();
        }
    }

    private void releaseInbound() {
        if (inbound != null) {
            for (ByteBuf b : inbound) {
                b.release();
            }
            inbound.clear();
        }
        inboundBytes = 0;
    }

    // ---------------------------------------------------------------- status, addresses

    @Override
    public InetSocketAddress localAddress() {
        if (listener != null) {
            return asGuestFamily(listener.localAddress());
        }
        InetSocketAddress local = conn != null ? conn.localAddress() : null;
        return local != null ? asGuestFamily(local) : SockAddr.any(ipv6);
    }

    /**
     * Netty opens io_uring channels dual-stack IPv6, so there an AF_INET4 socket bound to 0.0.0.0 is bound to
     * [::]: report the address the guest bound, as getsockname on an AF_INET socket would.
     */
    private InetSocketAddress asGuestFamily(InetSocketAddress local) {
        if (!ipv6 && local.getAddress() instanceof java.net.Inet6Address v6 && v6.isAnyLocalAddress()) {
            return new InetSocketAddress(SockAddr.any(false).getAddress(), local.getPort());
        }
        return local;
    }

    @Override
    public InetSocketAddress peerAddress() {
        InetSocketAddress peer = state == State.CONNECTED ? conn.remoteAddress() : null;
        if (peer == null) {
            throw Errno.NOTCONN.fail();
        }
        return peer;
    }

    @Override
    public int status() {
        return switch (state) {
            case FRESH, CONNECTING -> 0;
            case BOUND, LISTENING, CONNECTED -> conn != null && !conn.isActive() ? 2 : 1;
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

    /**
     * Where the options at the TCP level (Nagle, keep-alive, linger) and the send buffer go: the connection,
     * or a listener whose connections inherit them from the kernel (not a channel listener: Netty sets its
     * own on each child, and the guest's are applied there). Null when there is none yet.
     */
    OptionTarget streamOptions() {
        if (conn != null) {
            return conn.options();
        }
        return listener != null && !(listener instanceof ChannelListener) ? listener.options() : null;
    }

    /** Where the receive buffer size goes: the connection, or the listener. */
    OptionTarget liveOptions() {
        if (conn != null) {
            return conn.options();
        }
        return listener != null ? listener.options() : null;
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
                // Someone is about to wait for this fd, even when it is readable already (an edge-triggered
                // wait must hear of the next arrival): the loop must hear of it.
                conn.refresh();
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
                boolean active = conn.isActive();
                // OUT while there is room, and for good once sending is shut down (a send fails, never blocks)
                if (localOutputShut || !active || conn.isWritable()) {
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
        if (listener != null) {
            net.notListening(resumeReading);
            listener.close();
            listener = null;
        }
        if (acceptQueue != null) {
            for (GuestSocket child : acceptQueue) {
                child.conn.close(true);
            }
            acceptQueue.clear();
        }
        if (conn != null) {
            // Leave a pending shutdown out only when the guest read its peer's data and left nothing unread:
            // otherwise the FIN must leave first, as on Linux, or the peer may see a reset before the response
            // (a guest that never reads, like a hand-written accept/send/close loop).
            boolean dropShutdown = everRead && inboundBytes == 0;
            releaseInbound();
            conn.close(dropShutdown);
        }
    }
}

package io.wasix.host.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.wasix.host.abi.Errno;
import io.wasix.host.abi.SockAddr;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A guest's UDP socket, backed by a Netty DatagramChannel on the guest's own loop, with Linux's UDP semantics.
 *
 * <p>The channel is made by sock_open, as socket(2) makes the socket (EMFILE shows there), and is active from
 * its registration on, so it can be bound, connected and disconnected in any order, as a UDP socket can; a send or
 * connect on an unbound socket binds it to an ephemeral port first, as Linux's autobind does. Options go straight
 * to the channel, so the kernel checks them.
 *
 * <p>Receiving: every read takes a buffer that holds any UDP datagram (64 KiB), so a datagram larger than the
 * guest's buffers is known to be truncated, as MSG_TRUNC reports it; what is queued is a copy of the datagram's
 * exact size. The queue is bounded by the socket's receive buffer size (SO_RCVBUF, as the kernel reports it),
 * each datagram counting its payload plus {@link #DATAGRAM_OVERHEAD}; a datagram that arrives when it is full is
 * dropped, as the kernel drops it, and counted ({@link GuestNetwork#datagramsDropped}). An ICMP error (port
 * unreachable) reaches a connected socket only, as on Linux, and is reported once by its next receive or send.
 *
 * <p>Sending: a datagram is all or nothing. It is queued on the channel when the channel is under its write
 * high-water mark (else a blocking send waits, within SendTimeout, and a non-blocking one answers EAGAIN). The
 * kernel's verdict on it is the send's own answer wherever it is known before the call returns: epoll and NIO send
 * at once, and io_uring is given one non-blocking loop run to submit it (see {@link #send}).
 *
 * <p>Threading: in direct mode, owned by the guest thread; its Netty handler runs on that same thread, inside the
 * loop runs that the guest's blocking calls make, and nothing is locked. In threaded mode, guest threads call in
 * holding the shard lock, and the handler and future listeners, which run on the shard's I/O thread, take it
 * ({@link GuestLoop#enter()}) before they touch any field here. Either way every change a waiter could be
 * waiting for goes through {@link #moved()}. A blocking call releases the lock while it waits, so another guest
 * thread may close the socket meanwhile: the wait then ends with EBADF, as GuestSocket's do.
 */
public final class GuestUdpSocket implements NetSocket {
    /** The largest payload of an IPv4 (IPv6) UDP datagram: 65535 less the IP (IPv4 only) and UDP headers. */
    static final int MAX_PAYLOAD_V4 = 65_507, MAX_PAYLOAD_V6 = 65_527;
    /** What a queued datagram counts beyond its payload, as the kernel counts its buffer's overhead. */
    static final int DATAGRAM_OVERHEAD = 256;
    /** One read's buffer: larger than any UDP payload, so the host always sees a datagram whole. */
    private static final int READ_BUFFER = 65_536;

    /** What one receive took: bytes copied, the datagram's full length, and its sender (null at end of input). */
    public record Received(int copied, int length, InetSocketAddress sender) {
        public boolean truncated() {
            return length > copied;
        }
    }

    private final GuestNetwork net;
    private final boolean ipv6;
    private final SocketOptions options = new SocketOptions();
    private DatagramChannel channel;
    private boolean closed;
    /** The connected peer, as the guest named it; null while unconnected. */
    private InetSocketAddress peer;
    /** Group memberships, kept to carry over to a replacement channel and, on NIO, to answer as Linux. */
    private final Set<Membership> memberships = new LinkedHashSet<>();
    private final RecentPeers recentPeers = new RecentPeers();

    private final ArrayDeque<DatagramPacket> inbound = new ArrayDeque<>();
    private long queuedCharge;
    private long receiveLimit;
    private boolean inputShut;
    private boolean outputShut;
    private Errno pendingError;        // reported once by the next receive or send, as sk_err is
    private Errno lastError = Errno.SUCCESS;
    private ChannelFuture lastWrite;
    private long readinessSeq;

    public GuestUdpSocket(GuestNetwork net, boolean ipv6) {
        this.net = net;
        this.ipv6 = ipv6;
        this.channel = openChannel();
        receiveBufferChanged();
    }

    private DatagramChannel openChannel() {
        DatagramChannel ch = GuestSocket.newChannel(() -> net.transport().newDatagramChannel(ipv6));
        ch.config().setOption(ChannelOption.DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION, true);
        ch.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(READ_BUFFER));
        ch.pipeline().addLast(new DatagramHandler());
        net.register(ch);
        return ch;
    }

    @Override
    public boolean ipv6() {
        return ipv6;
    }

    @Override
    public SocketOptions options() {
        return options;
    }

    DatagramChannel channel() {
        return channel;
    }

    Transport transport() {
        return net.transport();
    }

    // ---------------------------------------------------------------- bind, connect

    @Override
    public void bind(InetSocketAddress local) {
        if (isBound()) {
            throw Errno.INVAL.fail(); // as bind(2) on a bound socket, an autobound one included
        }
        net.requireListen(local.getPort()); // --listen, as for a TCP listener (an autobind is a client's: not checked)
        applyReuse(options.reuseAddr);
        bindChannel(local);
    }

    private void applyReuse(boolean reuseAddr) {
        try {
            channel.config().setOption(ChannelOption.SO_REUSEADDR, reuseAddr);
            // With --shards N every shard binds the same port; SO_REUSEPORT lets the kernel spread the datagrams.
            if (options.reusePort || net.forceReusePort()) {
                channel.config().setOption(net.transport().reusePortOption(), true);
            }
        } catch (io.netty.channel.ChannelException e) {
            throw NetErrors.errno(e).fail();
        }
    }

    private void bindChannel(InetSocketAddress local) {
        ChannelFuture bound = channel.bind(local);
        net.loop().awaitDone(bound, GuestLoop.NO_DEADLINE);
        if (!bound.isSuccess()) {
            throw NetErrors.errno(bound.cause()).fail();
        }
        moved();
    }

    /** Linux's autobind: a send or connect on an unbound socket binds it to the any-address, ephemeral port. */
    private void autobind() {
        if (!isBound()) {
            bindChannel(SockAddr.any(ipv6));
        }
    }

    /**
     * The local address as the channel knows it now. Not Channel.localAddress(), which caches its first answer:
     * after a disconnect the kernel may unbind an ephemeral port, and a later bind would not show.
     */
    private InetSocketAddress localOrNull() {
        return (InetSocketAddress) channel.unsafe().localAddress();
    }

    private boolean isBound() {
        InetSocketAddress local = localOrNull();
        return local != null && local.getPort() != 0;
    }

    /**
     * Sets the peer: sends without an address go there, and only its datagrams are received, as connect(2) on a
     * UDP socket does; it never waits and never fails for want of a listener. Connecting again changes the peer.
     */
    public void connect(InetSocketAddress remote) {
        checkOutbound(remote);
        if (peer != null) {
            disconnectChannel(); // (Linux lets go of an ephemeral port here, and binds a new one below)
        }
        autobind(); // here, not in the kernel's connect, so the channel knows its local address
        InetSocketAddress local = localOrNull(); // (a closed channel may no longer say)
        ChannelFuture done = channel.connect(remote);
        net.loop().awaitDone(done, GuestLoop.NO_DEADLINE); // no handshake: io_uring completes it in one run
        if (!done.isSuccess()) {
            Errno e = NetErrors.errno(done.cause());
            if (!channel.isOpen()) {
                replaceChannel(local); // epoll and NIO close a channel whose connect failed; a UDP socket lives on
            }
            throw e.fail();
        }
        peer = remote;
        moved();
    }

    /** connect(2) with AF_UNSPEC: back to unconnected, receiving from anyone. */
    public void disconnect() {
        if (peer != null) {
            disconnectChannel();
            moved();
        }
    }

    private void disconnectChannel() {
        ChannelFuture done = channel.disconnect();
        net.loop().awaitDone(done, GuestLoop.NO_DEADLINE);
        peer = null;
        if (!done.isSuccess()) {
            throw NetErrors.errno(done.cause()).fail();
        }
    }

    /**
     * A new channel for this socket after the old one was closed under it, with what the guest had set on it:
     * options, memberships and, if it was bound, the same local address (free again: UDP leaves no TIME_WAIT).
     * Received datagrams stay queued.
     */
    private void replaceChannel(InetSocketAddress local) {
        net.loop().turn(); // NIO lets go of a closed channel's fd (and port) at the selector's next run
        channel = openChannel();
        options.applyToDatagram(channel, net.transport(), ipv6);
        for (Membership m : memberships) {
            try {
                DatagramOptions.membership(channel, net.transport(), true, m);
            } catch (io.wasix.host.abi.WasiException refusedNow) {
                // the kernel took it for the old channel; nothing the guest can act on here
            }
        }
        if (local != null && local.getPort() != 0) {
            try {
                applyReuse(true);
                bindChannel(local);
            } catch (RuntimeException taken) {
                // someone took the port meanwhile: the socket is unbound, and its next send binds it anew
            }
        }
        receiveBufferChanged();
    }

    /**
     * The outbound rule, in one place for UDP (sock_connect and sock_send_to): an answer, to a peer this socket
     * has lately received from ({@link RecentPeers}), always goes; any other destination is the network policy's
     * (--net) to allow, as a TCP connect is.
     */
    private void checkOutbound(InetSocketAddress to) {
        if (!recentPeers.heardFrom(to)) {
            net.requireOutbound(to);
        }
    }

    // ---------------------------------------------------------------- receiving

    /**
     * Queues the channel's datagrams; runs inside a loop run (direct mode: on the guest thread; threaded mode: on
     * the I/O thread, each event under the shard lock).
     */
    private final class DatagramHandler extends InboundHandler {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            DatagramPacket packet = (DatagramPacket) msg;
            net.loop().enter();
            try {
                if (closed) {
                    return;
                }
                ByteBuf content = packet.content();
                int size = content.readableBytes();
                long charge = (long) size + DATAGRAM_OVERHEAD;
                if (!inbound.isEmpty() && queuedCharge + charge > receiveLimit) {
                    net.datagramDropped();
                    return;
                }
                // A copy of the datagram's own size: the read buffer is 64 KiB whatever came.
                ByteBuf copy = ctx.alloc().heapBuffer(size, size);
                copy.writeBytes(content, content.readerIndex(), size);
                inbound.add(new DatagramPacket(copy, packet.recipient(), packet.sender()));
                queuedCharge += charge;
                recentPeers.heard(packet.sender());
                moved();
            } finally {
                net.loop().exit();
                packet.release();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // An ICMP error for what this socket sent (ECONNREFUSED for a closed port). The kernel reports such
            // errors to connected sockets only; the channel stays open, as a UDP socket does.
            net.loop().enter();
            try {
                Errno e = NetErrors.errno(cause);
                lastError = e;
                if (peer != null) {
                    pendingError = e;
                }
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
    }

    /**
     * Readiness moved: the counter edge-triggered epoll compares, and, in threaded mode, a wake-up for the guest
     * threads waiting on this socket or an epoll set that holds it. Lock held.
     */
    private void moved() {
        readinessSeq++;
        net.loop().changed();
    }

    /** A wait on this socket ended because another guest thread closed it meanwhile (threaded mode): EBADF. */
    private void throwIfClosed() {
        if (closed) {
            throw Errno.BADF.fail();
        }
    }

    /**
     * Takes the next datagram into {@code dst}, waiting for one unless non-blocking (within RecvTimeout, then
     * EAGAIN). As Linux's udp_recvmsg: a pending error comes first; one datagram per call, what does not fit is
     * lost (unless {@code peek}, which leaves it queued); after shutdown(RD) a blocking call with nothing queued
     * returns 0 at once, while a non-blocking one still answers EAGAIN.
     */
    public Received receive(GuestBuffers dst, boolean nonBlocking, boolean peek) {
        if (pendingError != null) {
            throw takePendingError().fail();
        }
        if (inbound.isEmpty()) {
            if (nonBlocking) {
                net.loop().poll();
            } else if (!inputShut) {
                net.loop().await(() -> !inbound.isEmpty() || pendingError != null || inputShut || closed,
                        GuestSocket.deadline(options.recvTimeoutNanos));
                throwIfClosed();
            }
            if (pendingError != null) {
                throw takePendingError().fail();
            }
            if (inbound.isEmpty()) {
                if (inputShut && !nonBlocking) {
                    return new Received(0, 0, null);
                }
                throw Errno.AGAIN.fail();
            }
        }
        DatagramPacket d = peek ? inbound.peek() : inbound.poll();
        ByteBuf content = d.content();
        int length = content.readableBytes();
        int n = (int) Math.min(length, dst.total());
        dst.put(content, content.readerIndex(), n);
        if (!peek) {
            queuedCharge -= (long) length + DATAGRAM_OVERHEAD;
            d.release();
        }
        return new Received(n, length, guestForm(d.sender()));
    }

    /** The size of the next datagram, as FIONREAD answers on a UDP socket (poll's nbytes); 0 if none. */
    public int available() {
        DatagramPacket d = inbound.peek();
        return d == null ? 0 : d.content().readableBytes();
    }

    /** Called when the receive buffer size may have changed: the queue's bound follows the kernel's answer. */
    void receiveBufferChanged() {
        int size = channel.config().getOption(ChannelOption.SO_RCVBUF);
        // The JDK halves what Linux reports (the kernel doubles SO_RCVBUF for its bookkeeping); the native
        // transports pass the kernel's answer on. The bound is the kernel's buffer either way.
        receiveLimit = net.transport().rawSocketOptions() ? size : 2L * size;
    }

    // ---------------------------------------------------------------- sending

    /**
     * Sends the buffers as one datagram, to {@code to}, or to the connected peer when it is null. Checks come in
     * udp_sendmsg's order: EMSGSIZE beyond 64 KiB, the address (EDESTADDRREQ, EINVAL for port 0, EACCES by the
     * outbound rule), EMSGSIZE beyond the family's payload, a pending error, EPIPE after shutdown(WR), then room.
     *
     * <p>The kernel's refusal of the datagram itself (EACCES for a broadcast without SO_BROADCAST, ENETUNREACH,
     * ECONNREFUSED on a connected socket) is this call's answer: epoll and NIO send within writeAndFlush, and on
     * io_uring the loop runs once without blocking to submit the send and take its completion, which sendmsg on a
     * UDP socket gives at once. A send that is still in flight after that (the socket buffer was full) reports a
     * failure as an ICMP error is reported: to a connected socket's next call, else to SO_ERROR only.
     *
     * @return bytes sent: the datagram's whole length
     */
    public int send(GuestBuffers src, InetSocketAddress to, boolean nonBlocking) {
        autobind();
        long total = src.total();
        if (total > 0xFFFF) {
            throw Errno.MSGSIZE.fail();
        }
        if (to == null && peer == null) {
            throw Errno.DESTADDRREQ.fail();
        }
        if (to != null) {
            if (to.getPort() == 0) {
                throw Errno.INVAL.fail();
            }
            checkOutbound(to);
        }
        InetSocketAddress dest = to != null ? to : peer;
        boolean v4 = !ipv6 || dest.getAddress() instanceof Inet4Address;
        if (total > (v4 ? MAX_PAYLOAD_V4 : MAX_PAYLOAD_V6)) {
            throw Errno.MSGSIZE.fail();
        }
        if (pendingError != null) {
            throw takePendingError().fail();
        }
        if (outputShut) {
            throw Errno.PIPE.fail();
        }
        if (!channel.isWritable()) {
            if (nonBlocking) {
                net.loop().poll();
            } else {
                net.loop().await(() -> channel.isWritable() || pendingError != null || !channel.isOpen() || closed,
                        GuestSocket.deadline(options.sendTimeoutNanos));
                throwIfClosed();
            }
            if (pendingError != null) {
                throw takePendingError().fail();
            }
            if (!channel.isWritable()) {
                throw Errno.AGAIN.fail();
            }
        }
        int len = (int) total;
        ByteBuf buf = channel.alloc().buffer(len, len);
        try {
            src.take(buf, len);
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
        // Addressed even on a connected socket (sendto to the peer itself): the channels' own record of the peer
        // is not kept up to date by every transport across a reconnect.
        ChannelFuture sent = channel.writeAndFlush(new DatagramPacket(buf, dest));
        if (!sent.isDone()) {
            if (net.loop().isThreaded()) {
                // The I/O thread sends it: epoll and NIO within the write task, which runs before the turn's; io_uring
                // takes the completion one run later.
                for (int i = 0; i < 2 && !sent.isDone(); i++) {
                    net.loop().turn();
                }
            } else {
                net.loop().poll();
            }
        }
        lastWrite = sent;
        if (!sent.isDone()) {
            sent.addListener(lateSendResult);
        } else if (!sent.isSuccess()) {
            Errno e = NetErrors.errno(sent.cause());
            lastError = e;
            throw e.fail();
        }
        return len;
    }

    /** One listener per socket for sends the loop completes after their call returned (see {@link #send}). */
    private final GenericFutureListener<Future<? super Void>> lateSendResult = this::lateSendResult;

    private void lateSendResult(Future<? super Void> f) {
        if (f.isSuccess()) {
            return;
        }
        net.loop().enter();
        try {
            if (!closed) {
                lastError = NetErrors.errno(f.cause());
                if (peer != null) {
                    pendingError = lastError;
                }
                moved();
            }
        } finally {
            net.loop().exit();
        }
    }

    // ---------------------------------------------------------------- shutdown, status, addresses

    /**
     * As Linux's inet_shutdown on a UDP socket: shutdown(RD) makes receives end (see {@link #receive}) and the
     * socket readable, shutdown(WR) makes sends EPIPE, both make it hung up; datagrams still queue. On an
     * unconnected socket it takes effect all the same, and then answers ENOTCONN.
     */
    @Override
    public void shutdown(int how) {
        if (how < 1 || how > 3) {
            throw Errno.INVAL.fail();
        }
        inputShut |= (how & 1) != 0;
        outputShut |= (how & 2) != 0;
        moved();
        if (peer == null) {
            throw Errno.NOTCONN.fail();
        }
    }

    /** 0 Opening until bound or connected (wasmer's pre-socket), then 1 Opened; 2 once closed. */
    @Override
    public int status() {
        if (closed) {
            return 2;
        }
        return isBound() || peer != null ? 1 : 0;
    }

    @Override
    public InetSocketAddress localAddress() {
        InetSocketAddress local = localOrNull();
        return local != null ? local : SockAddr.any(ipv6);
    }

    @Override
    public InetSocketAddress peerAddress() {
        if (peer == null) {
            throw Errno.NOTCONN.fail();
        }
        return guestForm(peer);
    }

    /**
     * An address as Linux reports it on this socket: an IPv4 peer of an IPv6 socket is v4-mapped IPv6
     * (::ffff:a.b.c.d), where Java would hand out an Inet4Address.
     */
    private InetSocketAddress guestForm(InetSocketAddress a) {
        if (!ipv6 || !(a.getAddress() instanceof Inet4Address v4)) {
            return a;
        }
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(v4.getAddress(), 0, mapped, 12, 4);
        try {
            return new InetSocketAddress(Inet6Address.getByAddress(null, mapped, -1), a.getPort());
        } catch (UnknownHostException e) {
            throw new AssertionError(e); // sixteen bytes are always an address
        }
    }

    @Override
    public Errno takeLastError() {
        Errno e = pendingError != null ? takePendingError() : lastError;
        lastError = Errno.SUCCESS;
        return e;
    }

    private Errno takePendingError() {
        Errno e = pendingError;
        pendingError = null;
        return e;
    }

    @Override
    public boolean isListening() {
        return false;
    }

    // ---------------------------------------------------------------- multicast

    /**
     * IP_ADD_MEMBERSHIP / IPV6_ADD_MEMBERSHIP, or the DROP ones. The kernel answers on io_uring and epoll; on NIO,
     * whose join is idempotent, a second join answers EADDRINUSE and leaving a group not joined EADDRNOTAVAIL,
     * as Linux does.
     */
    public void membership(boolean join, Membership m) {
        if (m.v6() && !ipv6) {
            throw Errno.NOPROTOOPT.fail(); // an IPv6 group on an AF_INET socket, as Linux answers
        }
        if (!net.transport().rawSocketOptions()) {
            if (join && memberships.contains(m)) {
                throw Errno.ADDRINUSE.fail();
            }
            if (!join && !memberships.contains(m)) {
                throw Errno.ADDRNOTAVAIL.fail();
            }
        }
        DatagramOptions.membership(channel, net.transport(), join, m);
        if (join) {
            memberships.add(m);
        } else {
            memberships.remove(m);
        }
    }

    // ---------------------------------------------------------------- Descriptor

    @Override
    public FileType fileType() {
        return FileType.SOCKET_DGRAM;
    }

    /** Readiness as Linux's datagram_poll computes it for a UDP socket. */
    @Override
    public int readiness() {
        int r = 0;
        if (pendingError != null) {
            r |= ERR;
        }
        if (inputShut) {
            r |= IN | RDHUP;
            if (outputShut) {
                r |= HUP;
            }
        }
        if (!inbound.isEmpty()) {
            r |= IN;
        }
        if (outputShut || channel.isWritable()) {
            r |= OUT;
        }
        return r;
    }

    @Override
    public long readinessSeq() {
        return readinessSeq;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        moved(); // a call blocked on this socket in another guest thread ends (EBADF)
        for (DatagramPacket d : inbound) {
            d.release();
        }
        inbound.clear();
        queuedCharge = 0;
        DatagramChannel ch = channel;
        if (lastWrite != null && !lastWrite.isDone()) {
            lastWrite.addListener(f -> ch.close()); // after the last send: io_uring would drop one in flight
            return;
        }
        // As close(2): the port is free when this returns, for a bind or a send that expects it closed. NIO and
        // io_uring let go of the fd only when the loop runs again (see GuestSocket's listener close).
        ChannelFuture closed = ch.close();
        net.loop().drain(closed::isDone, GuestLoop.deadline(CLOSE_NANOS));
        net.loop().turn();
    }

    /** Bound on the wait in {@link #close}; a close normally completes within one loop run. */
    private static final long CLOSE_NANOS = 1_000_000_000L;
}

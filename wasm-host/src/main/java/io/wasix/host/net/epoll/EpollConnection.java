package io.wasix.host.net.epoll;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.wasix.host.abi.Errno;
import io.wasix.host.net.Connection;
import io.wasix.host.net.ConnectionEvents;
import io.wasix.host.net.GuestBuffers;
import io.wasix.host.net.GuestNetwork;
import io.wasix.host.net.GuestSocket;
import io.wasix.host.net.NativeSocket;
import io.wasix.host.net.NetErrors;
import io.wasix.host.net.OptionTarget;
import io.wasix.host.net.SocketOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * An accepted TCP connection driven straight from the shard's epoll loop: an fd, its registration on Netty's
 * {@link io.netty.channel.epoll.EpollIoHandler}, and the bytes the kernel did not take yet. No channel, no
 * pipeline: reads and writes are recv(2) and send(2) on the fd, into and out of direct buffers the host owns.
 *
 * <p>Reading is lazy: a connection just accepted is not in the epoll set. The guest's first receive reads what
 * the kernel already holds (for a request-per-connection server, the request is there), and only a receive
 * that finds nothing, or a poll/epoll_wait that asks about the fd ({@link #refresh}), adds it to the epoll set
 * (edge-triggered, EPOLLIN | EPOLLRDHUP). From then on each edge reads until the kernel is drained or the
 * socket's queue is full. So a connection answered at once costs accept4, recv, send and close, nothing more.
 *
 * <p>Writing: each write is copied once from guest memory into a direct buffer and handed to send(2) at
 * once; what the kernel does not take waits here, EPOLLOUT is armed, and the rest goes as room appears. A
 * shutdown or close waits for that.
 *
 * <p>Threading: the guest's calls run on the guest thread (threaded mode: under the shard lock, so a guest
 * thread may recv(2) or send(2) on the fd itself); {@link #handle} runs on the loop's thread and takes the
 * shard lock in threaded mode.
 */
final class EpollConnection implements Connection, EpollIoHandle {
    private static final int IN = EpollIoOps.EPOLLIN.value() | EpollIoOps.EPOLLRDHUP.value();
    private static final int OUT = EpollIoOps.EPOLLOUT.value();
    private static final int ET = EpollIoOps.EPOLLET.value();
    private static final int HUP = 0x10, ERR = EpollIoOps.EPOLLERR.value(), RDHUP = EpollIoOps.EPOLLRDHUP.value();

    private final GuestNetwork net;
    private final FileDescriptor fd;
    private final boolean ipv6;
    /** Made when the guest first asks for an option or a shutdown: making one costs a getsockname. */
    private NativeSocket socket;
    private final IoRegistration registration;
    private ConnectionEvents events;
    /** What is armed in the epoll set (0: the fd is not in it). */
    private int interest;
    /** The kernel may hold received bytes the host has not read (a new connection; an edge not drained). */
    private boolean kernelReadable = true;
    /** The peer's FIN (or an error) was signalled: reads go on until they see it, whatever their size. */
    private boolean hangUpSeen;
    private boolean reading = true;
    private boolean inputDone;
    private int recvSize = NativeSocket.MIN_RECV;

    private final ArrayDeque<ByteBuf> queued = new ArrayDeque<>(1);
    private long pendingBytes;
    private boolean writable = true;
    private boolean shutdownWanted;
    private boolean closeWanted;
    private boolean closed;
    private boolean active = true;
    private final Runnable shutdownLater = this::shutdownIfStillWanted;

    private InetSocketAddress local;
    private InetSocketAddress remote;

    /** @param remote the peer accept4 reported */
    EpollConnection(GuestNetwork net, int fd, boolean ipv6, InetSocketAddress remote) {
        this.net = net;
        this.fd = new FileDescriptor(fd);
        this.ipv6 = ipv6;
        this.remote = remote;
        this.registration = net.loop().register(this);
        net.socketOpened(true);
    }

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    /** A view of the fd for the calls FileDescriptor has not; never closed itself (closing {@link #fd} is). */
    private NativeSocket socket() {
        if (socket == null) {
            socket = new NativeSocket(fd.intValue(), ipv6);
        }
        return socket;
    }

    @Override
    public void attach(ConnectionEvents events) {
        this.events = events;
    }

    @Override
    public void start(SocketOptions options) {
        // nothing to set up: the first receive reads straight from the kernel
    }

    // ---------------------------------------------------------------- receiving

    @Override
    public void setReading(boolean on) {
        if (reading != on) {
            reading = on;
            if (on) {
                read(); // no edge comes for bytes the kernel already held while reading was off
            }
        }
    }

    @Override
    public void refresh() {
        if (closeWanted) {
            return;
        }
        read();
        if (interest == 0 && !closed) {
            arm(IN); // someone may wait: the next byte must raise an event
        }
    }

    @Override
    public void readNow() {
        if (closeWanted) {
            return;
        }
        // Into the epoll set only when the kernel had nothing: the guest is about to wait. A connection whose
        // request is there at its first receive is answered and closed without ever being added.
        if (!read() && interest == 0 && !closed) {
            arm(IN);
        }
    }

    /**
     * recv(2) into host buffers while the kernel may hold more and the socket's queue has room.
     *
     * @return whether the socket heard anything (bytes, the end, an error)
     */
    private boolean read() {
        boolean heard = false;
        while (kernelReadable && reading && !inputDone && !closed) {
            ByteBuf buf = ByteBufAllocator.DEFAULT.directBuffer(recvSize);
            int n;
            try {
                n = fd.readAddress(buf.memoryAddress(), 0, buf.capacity());
            } catch (IOException e) {
                buf.release();
                fail(NetErrors.errno(e));
                return true;
            }
            heard = true;
            if (n > 0) {
                buf.writerIndex(n);
                boolean full = n == buf.capacity();
                if (full && recvSize < NativeSocket.MAX_RECV) {
                    recvSize *= 2;
                } else if (n < buf.capacity() / 4 && recvSize > NativeSocket.MIN_RECV) {
                    recvSize /= 2;
                }
                // A short read drained the kernel's queue: any byte that comes later raises a new edge. Not the
                // end of the stream, though: a FIN already signalled (RDHUP) raises none, and still waits to be
                // read as the next read's 0.
                kernelReadable = full || hangUpSeen;
                events.received(buf);
            } else {
                buf.release();
                kernelReadable = false;
                if (n < 0) { // end of stream
                    inputDone = true;
                    events.inputClosed();
                    return true;
                }
                return false; // nothing there (EAGAIN)
            }
        }
        return heard;
    }

    @Override
    public void shutdownInput() {
        inputDone = true;
    }

    // ---------------------------------------------------------------- sending

    @Override
    public boolean isActive() {
        return active;
    }

    @Override
    public boolean isWritable() {
        return writable;
    }

    @Override
    public long writableBytes() {
        return Math.max(0, WRITE_HIGH_WATER - pendingBytes);
    }

    @Override
    public void write(GuestBuffers src, int len) {
        if (!active) {
            return; // the socket checks first; a reset between its check and here loses nothing the guest can see
        }
        ByteBuf tail = queued.peekLast();
        boolean append = tail != null && tail.writableBytes() >= len;
        ByteBuf buf = append ? tail : ByteBufAllocator.DEFAULT.directBuffer(len);
        try {
            src.take(buf, len);
        } catch (RuntimeException e) {
            if (!append) {
                buf.release();
            }
            throw e;
        }
        if (append) {
            pendingBytes += len;
            return; // the kernel is full; EPOLLOUT sends it
        }
        if (queued.isEmpty() && !send(buf)) {
            return; // all of it went, or the connection failed
        }
        queued.add(buf);
        pendingBytes += buf.readableBytes();
        if (writable && pendingBytes > WRITE_HIGH_WATER) {
            writable = false;
        }
        arm(IN | OUT);
    }

    /**
     * send(2) of what {@code buf} holds; releases it once the kernel took all of it.
     *
     * @return whether bytes are left for later (the kernel's send buffer is full)
     */
    private boolean send(ByteBuf buf) {
        int n;
        try {
            n = fd.writeAddress(buf.memoryAddress(), buf.readerIndex(), buf.writerIndex());
        } catch (IOException e) {
            buf.release();
            Errno err = NetErrors.errno(e);
            if (active) {
                active = false;
                inputDone = true;
                events.writeCompleted(err);
                events.inputClosed();
            }
            return false;
        }
        buf.skipBytes(n);
        if (buf.isReadable()) {
            return true;
        }
        buf.release();
        events.writeCompleted(null);
        return false;
    }

    /** EPOLLOUT: what waited goes now; then a shutdown or close that waited for it. */
    private void sendQueued() {
        while (!queued.isEmpty()) {
            ByteBuf b = queued.peek();
            int before = b.readableBytes();
            boolean left = active && send(b);
            pendingBytes -= before - (left ? b.readableBytes() : 0);
            if (left) {
                break;
            }
            queued.poll();
            if (!active) {
                dropQueued();
                break;
            }
        }
        if (!writable && pendingBytes < WRITE_LOW_WATER) {
            writable = true;
            events.writabilityChanged();
        }
        if (queued.isEmpty()) {
            if ((interest & OUT) != 0) {
                arm(IN);
            }
            if (closeWanted) {
                closeNow();
            } else if (shutdownWanted) {
                shutdownNow();
            }
        }
    }

    @Override
    public void shutdownOutput() {
        shutdownWanted = true;
        if (queued.isEmpty()) {
            // On the loop's next run, not now: a guest that closes right after (every connection-per-request
            // server) makes one close, which sends the FIN anyway, instead of a shutdown(2) plus a close(2).
            net.loop().later(shutdownLater);
        }
    }

    private void shutdownIfStillWanted() {
        if (shutdownWanted && !closed && queued.isEmpty()) {
            shutdownNow();
        }
    }

    private void shutdownNow() {
        shutdownWanted = false;
        try {
            socket().shutdown(false, true);
        } catch (IOException ignored) {
            // a connection already reset: nothing to end
        }
    }

    @Override
    public void close(boolean dropShutdown) {
        if (closeWanted) {
            return;
        }
        closeWanted = true;
        inputDone = true;
        if (dropShutdown) {
            shutdownWanted = false;
        }
        if (queued.isEmpty() || !active) {
            closeNow();
        }
    }

    private void closeNow() {
        if (closed) {
            return;
        }
        if (shutdownWanted) {
            shutdownNow(); // the FIN leaves before the close, as the guest asked (see GuestSocket#close)
        }
        closed = true;
        active = false;
        dropQueued();
        closeFd(); // first, so that the registration's cancel need not take the fd out of the set
        registration.cancel();
        net.socketClosed(true);
        net.inboundClosed(); // accepted: it counted against the connection limit
    }

    private void closeFd() {
        try {
            fd.close();
        } catch (IOException ignored) {
            // close(2) frees the fd whatever it answers
        }
    }

    private void dropQueued() {
        for (ByteBuf b : queued) {
            b.release();
        }
        queued.clear();
        pendingBytes = 0;
    }

    // ---------------------------------------------------------------- epoll

    private void arm(int ops) {
        if (ops == interest || closed) {
            return;
        }
        interest = ops;
        try {
            registration.submit(EpollIoOps.valueOf(ops | ET));
        } catch (RuntimeException e) {
            fail(NetErrors.errno(e));
        }
    }

    @Override
    public void handle(IoRegistration r, IoEvent event) {
        int ops = ((EpollIoEvent) event).ops().value();
        net.loop().enter();
        try {
            if (closed) {
                return; // an event collected before a guest thread closed the fd
            }
            if ((ops & (IN | HUP | ERR)) != 0) {
                kernelReadable = true;
                hangUpSeen |= (ops & (RDHUP | HUP | ERR)) != 0;
                read(); // paused while the socket's queue is full: the guest hears of an end once it drained it
            }
            if ((ops & (OUT | HUP | ERR)) != 0 && !queued.isEmpty()) {
                sendQueued();
            }
        } finally {
            net.loop().exit();
        }
    }

    private void fail(Errno e) {
        if (!active) {
            return;
        }
        active = false;
        inputDone = true;
        events.failed(e);
        events.inputClosed();
    }

    /** The loop is shutting down. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            active = false;
            dropQueued();
            closeFd();
            net.socketClosed(true);
            net.inboundClosed(); // accepted: it counted against the connection limit
        }
    }

    // ---------------------------------------------------------------- addresses, options

    @Override
    public InetSocketAddress localAddress() {
        if (local == null && !closed) {
            local = socket().localAddress();
        }
        return local;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public OptionTarget options() {
        return closed ? OptionTarget.Closed.TARGET : socket();
    }
}

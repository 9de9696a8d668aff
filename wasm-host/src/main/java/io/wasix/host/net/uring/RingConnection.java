package io.wasix.host.net.uring;

import static io.wasix.host.net.NativeSocket.MAX_RECV;
import static io.wasix.host.net.NativeSocket.MIN_RECV;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.wasix.host.abi.Errno;
import io.wasix.host.net.Connection;
import io.wasix.host.net.ConnectionEvents;
import io.wasix.host.net.GuestBuffers;
import io.wasix.host.net.GuestNetwork;
import io.wasix.host.net.NativeSocket;
import io.wasix.host.net.NetErrors;
import io.wasix.host.net.OptionTarget;
import io.wasix.host.net.SocketOptions;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * An accepted TCP connection driven straight on the shard's io_uring ring: an fd, a slot on the {@link Ring},
 * at most one receive in flight into a buffer the host owns, and the sends queued behind it. No channel, no
 * pipeline, no syscall of its own on the way: getsockname and getpeername run only when the guest asks, and
 * options are set only when the guest sets one (the kernel copied the listener's into the accepted socket).
 *
 * <p>Receiving: while reading is on, one receive is in flight; its buffer starts at
 * {@link NativeSocket#MIN_RECV} bytes and doubles (up to {@link NativeSocket#MAX_RECV}) while receives fill it, so
 * an idle connection holds one small buffer.
 * A completion's bytes go to the socket's queue, and the next receive is submitted with the loop's next run.
 *
 * <p>Sending: each write is copied once, from the guest's memory into a direct buffer (appended to the last
 * queued one when it fits), and sent with MSG_WAITALL, which the kernel completes in full or fails. The
 * queued sends, then a shutdown, then the close, go into the kernel as one linked chain; while a chain is in
 * flight, what is queued after it waits for its last completion. A close cancels the receive in flight; the
 * slot is released once the kernel has answered everything.
 *
 * <p>Threading: see {@link Ring}. The guest's calls (write, close...) run on the guest thread (threaded mode:
 * under the shard lock); {@link #flush} and {@link #complete} on the loop's thread (threaded mode: the I/O
 * thread, under the shard lock).
 */
final class RingConnection implements Connection, Ring.Member {
    /** Sends per linked chain at most; the rest follow in the next chain. */
    private static final int MAX_CHAIN_SENDS = 16;

    private final Ring ring;
    private final int fd;
    private final boolean ipv6;
    /** Made when the guest first asks for an address or an option: making one costs a getsockname. */
    private NativeSocket socket;
    private final int slot;
    private final GuestNetwork net;
    private ConnectionEvents events;
    private boolean dirty;
    /** Submissions the kernel has not yet answered; the slot is released when this is 0 after the close. */
    private int outstanding;

    // receiving
    private boolean reading = true;
    private boolean inputDone;          // FIN, reset, shutdown(RD) or close: no more receives
    private ByteBuf recvBuf;            // the receive in flight, or null
    private long recvId;
    private boolean recvCancelled;
    private int recvSize = MIN_RECV;

    // sending
    private final ArrayDeque<ByteBuf> queued = new ArrayDeque<>(2); // not yet submitted
    private final ArrayDeque<ByteBuf> inFlight = new ArrayDeque<>(2);
    private int chainInFlight;          // submissions of the chain in the kernel
    private long pendingBytes;          // queued + in flight
    private boolean writable = true;
    private boolean shutdownWanted;
    private boolean shutdownSubmitted;
    private boolean closeWanted;
    private boolean closeSubmitted;
    private boolean closed;             // the kernel closed the fd
    private boolean active = true;
    private boolean abandoned;          // the loop is shutting down

    private InetSocketAddress local;
    private InetSocketAddress remote;

    /** @param remote the peer, when the accept reported it; else asked of the kernel if the guest wants it */
    RingConnection(Ring ring, GuestNetwork net, int fd, boolean ipv6, InetSocketAddress remote) {
        this.ring = ring;
        this.net = net;
        this.fd = fd;
        this.ipv6 = ipv6;
        this.remote = remote;
        this.slot = ring.attach(this);
        net.socketOpened(true);
    }

    @Override
    public void attach(ConnectionEvents events) {
        this.events = events;
        markDirty(); // receive at once: the request is usually there already
    }

    @Override
    public void start(SocketOptions options) {
        // receiving started when the connection was accepted
    }

    private void markDirty() {
        ring.wantFlush(this, dirty);
        dirty = true;
    }

    // ---------------------------------------------------------------- the guest's side

    @Override
    public void setReading(boolean on) {
        if (reading != on) {
            reading = on;
            if (on) {
                markDirty();
            }
        }
    }

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
        ByteBuf tail = queued.peekLast();
        if (tail == null || tail.writableBytes() < len) {
            tail = ByteBufAllocator.DEFAULT.directBuffer(len);
            queued.add(tail);
        }
        try {
            src.take(tail, len);
        } catch (RuntimeException e) {
            if (!tail.isReadable()) {
                queued.removeLast();
                tail.release();
            }
            throw e;
        }
        pendingBytes += len;
        if (writable && pendingBytes > WRITE_HIGH_WATER) {
            writable = false;
        }
        markDirty();
    }

    @Override
    public void shutdownOutput() {
        shutdownWanted = true;
        markDirty();
    }

    @Override
    public void shutdownInput() {
        inputDone = true;
        cancelReceive();
        // SHUT_RD changes nothing on the wire; the kernel keeps acknowledging what arrives, which the host drops
    }

    @Override
    public void close(boolean dropShutdown) {
        if (closeWanted) {
            return;
        }
        closeWanted = true;
        inputDone = true;
        if (dropShutdown && !shutdownSubmitted) {
            shutdownWanted = false;
        }
        cancelReceive();
        markDirty();
    }

    private void cancelReceive() {
        if (recvBuf != null && !recvCancelled) {
            markDirty(); // the cancel is submitted with the next flush
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        if (local == null && !closeWanted) {
            local = socket().localAddress();
        }
        return local;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        if (remote == null && !closeWanted) {
            remote = socket().remoteAddress();
        }
        return remote;
    }

    @Override
    public OptionTarget options() {
        return closeWanted ? OptionTarget.Closed.TARGET : socket();
    }

    /** A view of the fd for the calls the ring has no operation for; never closed itself (the ring closes the fd). */
    private NativeSocket socket() {
        if (socket == null) {
            socket = new NativeSocket(fd, ipv6);
        }
        return socket;
    }

    // ---------------------------------------------------------------- the ring's side

    @Override
    public boolean flush(Ring ring) {
        dirty = false;
        if (closed) {
            return true;
        }
        if (recvBuf != null && inputDone && !recvCancelled) {
            if (!ring.room(1)) {
                return false;
            }
            recvCancelled = true;
            outstanding++;
            ring.cancel(slot, recvId);
        }
        if (recvBuf == null && reading && !inputDone && events != null) {
            if (!ring.room(1)) {
                return false;
            }
            recvBuf = ByteBufAllocator.DEFAULT.directBuffer(recvSize);
            recvCancelled = false;
            outstanding++;
            recvId = ring.submit(slot, Ring.OP_RECV, (byte) 0, (short) 0, fd, 0L,
                    recvBuf.memoryAddress() + recvBuf.writerIndex(), recvBuf.writableBytes(), 0);
        }
        if (chainInFlight == 0) {
            return submitChain(ring);
        }
        return true;
    }

    /** The queued sends, then the shutdown and the close if asked for, linked so that each waits for the last. */
    private boolean submitChain(Ring ring) {
        int sends = Math.min(queued.size(), MAX_CHAIN_SENDS);
        boolean lastSends = sends == queued.size();
        boolean shut = lastSends && shutdownWanted && !shutdownSubmitted;
        boolean close = lastSends && closeWanted && !closeSubmitted;
        int n = sends + (shut ? 1 : 0) + (close ? 1 : 0);
        if (n == 0) {
            return true;
        }
        if (!ring.room(n)) {
            return false;
        }
        int i = 0;
        for (int s = 0; s < sends; s++) {
            ByteBuf b = queued.poll();
            inFlight.add(b);
            ring.submit(slot, Ring.OP_SEND, ++i < n ? Ring.IOSQE_IO_LINK : 0, (short) 0, fd, 0L,
                    b.memoryAddress() + b.readerIndex(), b.readableBytes(), Ring.MSG_WAITALL | Ring.MSG_NOSIGNAL);
        }
        if (shut) {
            shutdownSubmitted = true;
            ring.submit(slot, Ring.OP_SHUTDOWN, ++i < n ? Ring.IOSQE_IO_LINK : 0, (short) 0, fd, 0L, 0L,
                    Ring.SHUT_WR, 0);
        }
        if (close) {
            closeSubmitted = true;
            ring.submit(slot, Ring.OP_CLOSE, (byte) 0, (short) 0, fd, 0L, 0L, 0, 0);
        }
        chainInFlight = n;
        outstanding += n;
        if (!lastSends) {
            markDirty(); // the rest follows this chain; flush() sees the chain in flight and waits for it
        }
        return true;
    }

    @Override
    public void complete(byte op, int res, int flags) {
        outstanding--;
        switch (op) {
            case Ring.OP_RECV -> received(res);
            case Ring.OP_SEND -> sent(res);
            case Ring.OP_SHUTDOWN -> chainStep();
            case Ring.OP_CLOSE -> closeCompleted(res);
            default -> { } // a cancel's own answer: its target completes by itself
        }
        if (closed && outstanding == 0) {
            ring.release(slot);
        }
    }

    private void received(int res) {
        ByteBuf buf = recvBuf;
        recvBuf = null;
        if (res > 0 && !inputDone) {
            buf.writerIndex(buf.writerIndex() + res);
            adaptRecvSize(res, buf.capacity());
            events.received(buf);
            markDirty(); // the next receive goes with the next run
            return;
        }
        buf.release();
        if (res == 0) {
            inputDone = true;
            events.inputClosed();
        } else if (res < 0 && res != -Ring.ECANCELED) {
            fail(NetErrors.fromLinux(-res));
        } else if (!inputDone) {
            markDirty(); // cancelled by a pause of reading that was lifted meanwhile
        }
    }

    private void adaptRecvSize(int got, int capacity) {
        if (got == capacity && recvSize < MAX_RECV) {
            recvSize = Math.min(MAX_RECV, recvSize * 2);
        } else if (got < capacity / 4 && recvSize > MIN_RECV) {
            recvSize = Math.max(MIN_RECV, recvSize / 2);
        }
    }

    private void sent(int res) {
        ByteBuf b = inFlight.poll();
        int len = b.readableBytes();
        b.release();
        pendingBytes -= len;
        if (!writable && pendingBytes < WRITE_LOW_WATER) {
            writable = true;
            events.writabilityChanged();
        }
        if (res == len) {
            events.writeCompleted(null);
        } else if (res != -Ring.ECANCELED) {
            // MSG_WAITALL: a short count means the connection failed part way; the chain behind is cancelled.
            // As a channel does when a write fails: the error is the guest's next call's, and the connection
            // is over (the fd stays the guest's until it closes it).
            Errno e = res < 0 ? NetErrors.fromLinux(-res) : Errno.PIPE;
            if (active) {
                active = false;
                inputDone = true;
                events.writeCompleted(e);
                events.inputClosed();
            }
        }
        chainStep();
    }

    private void closeCompleted(int res) {
        chainStep();
        if (res == -Ring.ECANCELED) {
            if (abandoned) {
                socket().closeQuietly(); // the loop is going away: no more submissions, and the fd is still ours
            } else {
                closeSubmitted = false; // a send before it failed, which cut the chain: close on its own
                markDirty();
                return;
            }
        }
        closed = true;
        active = false;
        dropQueued();
        net.socketClosed(true);
        net.inboundClosed(); // accepted: it counted against the connection limit
    }

    /** One submission of the chain answered; when the last one is, what queued meanwhile may go. */
    private void chainStep() {
        if (--chainInFlight == 0 && (!queued.isEmpty() || (closeWanted && !closeSubmitted)
                || (shutdownWanted && !shutdownSubmitted))) {
            markDirty();
        }
    }

    /** A receive failed (a reset): the error is the guest's next call's, and the connection is over. */
    private void fail(Errno e) {
        if (!active) {
            return;
        }
        active = false;
        inputDone = true;
        events.failed(e);
        events.inputClosed();
    }

    private void dropQueued() {
        for (ByteBuf b : queued) {
            b.release();
        }
        queued.clear();
    }

    /**
     * The loop is shutting down: whatever is in flight on the fd is cancelled (a send the peer never reads, the
     * receive an idle connection always has) and the fd closed, through the ring, so that the completions
     * still come in (Netty drains the ring before it tears it down) and give the buffers back.
     */
    @Override
    public void abandon() {
        if (closed || abandoned) {
            return;
        }
        abandoned = true;
        dropQueued();
        outstanding++;
        ring.cancelAll(slot, fd);
        if (!closeSubmitted) {
            closeSubmitted = true;
            outstanding++;
            ring.submit(slot, Ring.OP_CLOSE, (byte) 0, (short) 0, fd, 0L, 0L, 0, 0);
        }
    }
}

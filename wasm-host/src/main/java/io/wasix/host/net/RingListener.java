package io.wasix.host.net;

import java.net.InetSocketAddress;

/**
 * A listening TCP socket on the shard's io_uring ring: one multishot accept, which keeps handing the kernel's
 * queued connections over as completions (all that are waiting, at each io_uring_enter) until it is cancelled
 * or fails. Each completion is a new fd, which becomes a {@link RingConnection} at once, with its first
 * receive submitted in the loop's next run.
 *
 * <p>Accepting stops ({@link #accepting} off) by cancelling the multishot accept: while the guest's accept
 * queue is full, and after an accept failed for want of fds, which ends the multishot by itself. It is
 * re-armed only when accepting is on again, so a process out of fds does not retry in a loop (the kernel
 * keeps the connection queued meanwhile). The peer's address is not asked for here: a multishot accept
 * writes every peer into the same memory, so {@link RingConnection#remoteAddress} asks the kernel when the
 * guest wants it.
 *
 * <p>Threading: as {@link RingConnection}.
 */
final class RingListener implements Listener, Ring.Member {
    /** Bound on the wait in {@link #close}; a close normally completes within one loop run. */
    private static final long CLOSE_NANOS = 1_000_000_000L;

    private final Ring ring;
    private final GuestNetwork net;
    private final NativeSocket socket;
    private final int fd;
    private final int slot;
    private final InetSocketAddress local;
    private final ListenerEvents events;
    private boolean dirty;
    private int outstanding;
    private boolean want;            // the guest wants connections now
    private boolean armed;           // a multishot accept is in the kernel
    private long acceptId;
    private boolean cancelSubmitted;
    private boolean closeWanted;
    private boolean closeSubmitted;
    private boolean closed;

    /**
     * Binds {@code socket} (options already set) to {@code address} and listens, as sock_bind does here.
     *
     * @throws io.wasix.host.abi.WasiException the kernel's refusal (EADDRINUSE...); the socket is closed then
     */
    RingListener(Ring ring, GuestNetwork net, NativeSocket socket, InetSocketAddress address, ListenerEvents events) {
        this.ring = ring;
        this.net = net;
        this.socket = socket;
        this.fd = socket.intValue();
        this.events = events;
        this.local = socket.bindAndListen(address);
        this.slot = ring.attach(this);
        net.listenerOpened(this);
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public void accepting(boolean on) {
        if (want != on && !closeWanted) {
            want = on;
            markDirty();
        }
    }

    private void markDirty() {
        ring.wantFlush(this, dirty);
        dirty = true;
    }

    @Override
    public void close() {
        if (!closeWanted) {
            closeWanted = true;
            want = false;
            markDirty();
        }
        GuestLoop loop = ring.loop();
        loop.drain(() -> closed && !armed, GuestLoop.deadline(CLOSE_NANOS));
    }

    @Override
    public OptionTarget options() {
        return closeWanted ? RingConnection.Closed.TARGET : socket;
    }

    @Override
    public boolean flush(Ring ring) {
        dirty = false;
        if (closed) {
            return true;
        }
        if (armed && !want && !cancelSubmitted) {
            if (!ring.room(1)) {
                return false;
            }
            cancelSubmitted = true;
            outstanding++;
            ring.cancel(slot, acceptId);
        }
        if (closeWanted) {
            if (!closeSubmitted) {
                // After the cancel: the fd's number is free once this completes, and nothing of ours names it.
                if (!ring.room(1)) {
                    return false;
                }
                closeSubmitted = true;
                outstanding++;
                ring.submit(slot, Ring.OP_CLOSE, (byte) 0, (short) 0, fd, 0L, 0L, 0, 0);
            }
            return true;
        }
        if (want && !armed) {
            if (!ring.room(1)) {
                return false;
            }
            armed = true;
            cancelSubmitted = false;
            outstanding++;
            acceptId = ring.submit(slot, Ring.OP_ACCEPT, (byte) 0, Ring.ACCEPT_MULTISHOT, fd, 0L, 0L, 0,
                    Ring.SOCK_NONBLOCK | Ring.SOCK_CLOEXEC);
        }
        return true;
    }

    @Override
    public void complete(byte op, int res, int flags) {
        if (op == Ring.OP_ACCEPT && (flags & Ring.CQE_F_MORE) != 0) {
            accepted(res); // the multishot goes on
            return;
        }
        outstanding--;
        switch (op) {
            case Ring.OP_ACCEPT -> {
                armed = false;
                cancelSubmitted = false;
                accepted(res);
                if (want && !closeWanted) {
                    markDirty(); // ended by an error the guest does not pause for (ECONNABORTED...), or raced a resume
                }
                ring.changed();
            }
            case Ring.OP_CLOSE -> {
                closed = true;
                net.listenerClosed(this);
            }
            default -> { } // a cancel's own answer
        }
        if (closed && outstanding == 0) {
            ring.release(slot);
        }
    }

    private void accepted(int res) {
        if (res >= 0) {
            NativeSocket child = new NativeSocket(res, socket.ipv6());
            if (closeWanted) {
                child.closeQuietly();
                return;
            }
            events.accepted(new RingConnection(ring, net, child));
        } else if (res != -Ring.ECANCELED) {
            events.acceptFailed(NetErrors.fromLinux(-res));
        }
    }

    @Override
    public void abandon() {
        if (!closed) {
            closed = true;
            armed = false;
            socket.closeQuietly(); // the loop's end cancels the accept; the port is free once the ring is gone
            net.listenerClosed(this);
        }
    }

    /** For tests and diagnostics. */
    @Override
    public String toString() {
        return "RingListener{fd=" + fd + ", " + local + (armed ? ", accepting" : "") + "}";
    }
}

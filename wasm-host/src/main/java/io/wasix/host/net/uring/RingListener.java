package io.wasix.host.net.uring;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.wasix.host.net.GuestLoop;
import io.wasix.host.net.GuestNetwork;
import io.wasix.host.net.GuestSocket;
import io.wasix.host.net.Listener;
import io.wasix.host.net.ListenerEvents;
import io.wasix.host.net.NativeSocket;
import io.wasix.host.net.NetErrors;
import io.wasix.host.net.OptionTarget;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * A listening TCP socket on the shard's io_uring ring. It accepts in one of two ways:
 *
 * <ul>
 *   <li><b>One multishot accept</b>, until the guest asks for a peer's address at accept: one submission
 *       keeps handing the kernel's queued connections over as completions (all that are waiting, at each
 *       io_uring_enter). A multishot accept writes every peer into the same memory, so none can be read
 *       back; a connection's peer is asked of the kernel only if the guest asks (sock_addr_peer).
 *   <li><b>{@link #ADDRESSED_ACCEPTS} single accepts in flight, each with its own address memory</b>, once
 *       the guest's accept asks for the peer (as the bundled hello guest does at every connection): each
 *       completion carries its peer's address, at no syscall, and its accept is submitted again with the
 *       loop's next run, in the same io_uring_enter as the rest. Asking the kernel instead would cost a
 *       getpeername per connection.
 * </ul>
 *
 * Each completion is a new fd, which becomes a {@link RingConnection} at once, with its first receive
 * submitted in the loop's next run.
 *
 * <p>Accepting stops ({@link #accepting} off) by cancelling what is in flight: while the guest's accept queue
 * is full, and after an accept failed for want of fds, which ends a multishot accept by itself. Accepts are
 * submitted again only when accepting is on again, so a process out of fds does not retry in a loop (the
 * kernel keeps the connection queued meanwhile).
 *
 * <p>Threading: as {@link RingConnection}.
 *
 * <p>Public because {@link GuestSocket} makes it at sock_bind on io_uring.
 */
public final class RingListener implements Listener, Ring.Member {
    /** Accepts in flight once peers' addresses are wanted; more connections wait for the next run's. */
    static final int ADDRESSED_ACCEPTS = 16;
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
    private boolean want;                // the guest wants connections now
    private boolean multishotArmed;      // the multishot accept is in the kernel
    private long multishotId;
    private boolean multishotCancelled;
    private AddressedAccept[] addressed; // made when the guest first asks for a peer at accept
    private boolean closeWanted;
    private boolean closeSubmitted;
    private boolean closed;

    /**
     * Binds {@code socket} (options already set) to {@code address} and listens, as sock_bind does here.
     *
     * @throws io.wasix.host.abi.WasiException the kernel's refusal (EADDRINUSE...); the socket is closed then
     */
    public RingListener(Ring ring, GuestNetwork net, NativeSocket socket, InetSocketAddress address, ListenerEvents events) {
        this.ring = ring;
        this.net = net;
        this.socket = socket;
        this.fd = socket.intValue();
        this.events = events;
        this.local = socket.bindAndListen(address);
        this.slot = ring.attach(this);
        net.socketOpened(false);
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

    @Override
    public void peersWanted() {
        if (addressed == null && !closeWanted) {
            makeAddressed();
            markDirty(); // the multishot gives way to them at the next run
        }
    }

    private void makeAddressed() {
        addressed = new AddressedAccept[ADDRESSED_ACCEPTS];
        for (int i = 0; i < addressed.length; i++) {
            addressed[i] = new AddressedAccept();
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
        ring.loop().drain(() -> closed && !anyArmed(), GuestLoop.deadline(CLOSE_NANOS));
    }

    private boolean anyArmed() {
        if (multishotArmed) {
            return true;
        }
        if (addressed != null) {
            for (AddressedAccept a : addressed) {
                if (a.armed) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public OptionTarget options() {
        return closeWanted ? OptionTarget.Closed.TARGET : socket;
    }

    @Override
    public boolean flush(Ring ring) {
        dirty = false;
        if (closed) {
            return true;
        }
        // What is in flight and no longer wanted is cancelled: all of it when accepting stops, the multishot
        // when addressed accepts take over.
        boolean stopAll = !want;
        boolean needCancel = multishotArmed && !multishotCancelled && (stopAll || addressed != null);
        if (addressed != null && stopAll) {
            for (AddressedAccept a : addressed) {
                needCancel |= a.armed && !a.cancelled;
            }
        }
        if (needCancel) {
            if (!ring.room(1)) {
                return false;
            }
            outstanding++;
            if (stopAll) {
                ring.cancelAll(slot, fd);
                if (addressed != null) {
                    for (AddressedAccept a : addressed) {
                        a.cancelled = a.armed;
                    }
                }
            } else {
                ring.cancel(slot, multishotId);
            }
            multishotCancelled = multishotArmed;
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
        if (!want) {
            return true;
        }
        if (net.connectionRoom() != Integer.MAX_VALUE) {
            return armWithinLimit(ring);
        }
        if (addressed == null) {
            if (!multishotArmed) {
                if (!ring.room(1)) {
                    return false;
                }
                multishotArmed = true;
                multishotCancelled = false;
                outstanding++;
                multishotId = ring.submit(slot, Ring.OP_ACCEPT, (byte) 0, Ring.ACCEPT_MULTISHOT, fd, 0L, 0L, 0,
                        Ring.SOCK_NONBLOCK | Ring.SOCK_CLOEXEC);
            }
            return true;
        }
        for (AddressedAccept a : addressed) {
            if (!a.armed) {
                if (!ring.room(1)) {
                    return false;
                }
                a.arm(ring);
            }
        }
        return true;
    }

    /**
     * Under a connection limit (--max-connections): single accepts, no more in flight than the connections the
     * limit still has room for, so that the kernel never hands over one past it (a multishot accept takes
     * every queued connection before a cancel could stop it).
     */
    private boolean armWithinLimit(Ring ring) {
        if (addressed == null) {
            makeAddressed();
        }
        int room = net.connectionRoom();
        for (AddressedAccept a : addressed) {
            room -= a.armed ? 1 : 0;
        }
        for (AddressedAccept a : addressed) {
            if (room <= 0) {
                break;
            }
            if (!a.armed) {
                if (!ring.room(1)) {
                    return false;
                }
                a.arm(ring);
                room--;
            }
        }
        return true;
    }

    @Override
    public void complete(byte op, int res, int flags) {
        if (op == Ring.OP_ACCEPT && (flags & Ring.CQE_F_MORE) != 0) {
            accepted(res, null); // the multishot goes on
            return;
        }
        outstanding--;
        switch (op) {
            case Ring.OP_ACCEPT -> {
                multishotArmed = false;
                multishotCancelled = false;
                accepted(res, null);
                rearm();
            }
            case Ring.OP_CLOSE -> {
                closed = true;
                releaseAddressed();
                net.socketClosed(false);
                net.listenerClosed(this);
            }
            default -> { } // a cancel's own answer
        }
        releaseIfDone();
    }

    /** Another accept is wanted: one ended by an error the guest does not pause for (ECONNABORTED...), a cancel
     * that raced a resume, or an addressed accept that took its connection. */
    private void rearm() {
        if (want && !closeWanted) {
            markDirty();
        }
        ring.changed();
    }

    private void releaseIfDone() {
        if (closed && outstanding == 0 && !anyArmed()) {
            ring.release(slot);
        }
    }

    private void accepted(int res, InetSocketAddress peer) {
        if (res >= 0) {
            if (closeWanted) {
                NativeSocket.closeFd(res);
                return;
            }
            events.accepted(new RingConnection(ring, net, res, socket.ipv6(), peer));
        } else if (res != -Ring.ECANCELED) {
            events.acceptFailed(NetErrors.fromLinux(-res));
        }
    }

    private void releaseAddressed() {
        if (addressed != null) {
            for (AddressedAccept a : addressed) {
                a.release();
            }
        }
    }

    @Override
    public void abandon() {
        if (!closed) {
            closed = true;
            multishotArmed = false;
            socket.closeQuietly(); // the loop's end cancels the accepts; the port is free once the ring is gone
            net.socketClosed(false);
            net.listenerClosed(this);
        }
    }

    @Override
    public String toString() {
        return "RingListener{fd=" + fd + ", " + local + "}";
    }

    /**
     * One single-shot accept with its own memory for the peer's address (a sockaddr_storage and its length),
     * on a ring slot of its own so that its completion names it.
     */
    private final class AddressedAccept implements Ring.Member {
        private static final int SOCKADDR_STORAGE = 128;
        private final ByteBuf memory = ByteBufAllocator.DEFAULT.directBuffer(SOCKADDR_STORAGE + 8);
        private final long address = memory.memoryAddress();
        private final int acceptSlot = ring.attach(this);
        boolean armed;
        boolean cancelled;
        private boolean released;

        void arm(Ring ring) {
            memory.setIntLE(SOCKADDR_STORAGE, SOCKADDR_STORAGE); // socklen_t in: the room for the address
            armed = true;
            cancelled = false;
            ring.submit(acceptSlot, Ring.OP_ACCEPT, (byte) 0, (short) 0, fd, address + SOCKADDR_STORAGE, address, 0,
                    Ring.SOCK_NONBLOCK | Ring.SOCK_CLOEXEC);
        }

        @Override
        public boolean flush(Ring ring) {
            return true; // its listener submits for it
        }

        @Override
        public void complete(byte op, int res, int flags) {
            armed = false;
            cancelled = false;
            accepted(res, res >= 0 ? peer() : null);
            if (closed) {
                release();
                releaseIfDone();
            } else {
                rearm();
            }
        }

        /** The peer, from the sockaddr the kernel wrote: AF_INET or AF_INET6, port in network order. */
        private InetSocketAddress peer() {
            int family = memory.getShortLE(0);
            int port = memory.getUnsignedShort(2);
            byte[] ip = new byte[family == AF_INET6 ? 16 : 4];
            memory.getBytes(family == AF_INET6 ? 8 : 4, ip);
            try {
                int scope = family == AF_INET6 ? memory.getIntLE(24) : 0;
                InetAddress a = scope != 0 ? java.net.Inet6Address.getByAddress(null, ip, scope) : InetAddress.getByAddress(ip);
                return new InetSocketAddress(a, port);
            } catch (UnknownHostException e) {
                return null; // cannot happen for 4 or 16 bytes; the kernel is asked instead
            }
        }

        void release() {
            if (!released && !armed) {
                released = true;
                memory.release();
                ring.release(acceptSlot);
            }
        }

        @Override
        public void abandon() {
            // the listener closes the fd; a completion still coming gives the memory back
        }
    }

    private static final int AF_INET6 = 10;
}

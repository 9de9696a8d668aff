package io.wasix.host.net.epoll;

import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.NativeInetAddress;
import io.wasix.host.abi.Errno;
import io.wasix.host.net.GuestNetwork;
import io.wasix.host.net.GuestSocket;
import io.wasix.host.net.Listener;
import io.wasix.host.net.ListenerEvents;
import io.wasix.host.net.NativeSocket;
import io.wasix.host.net.NetErrors;
import io.wasix.host.net.OptionTarget;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * A listening TCP socket driven straight from the shard's epoll loop: in the epoll set edge-triggered
 * (EPOLLIN), and at each edge an accept4 loop until the kernel's queue is empty, the guest's accept queue is
 * full ({@link #accepting} off) or an accept fails. Each accepted fd becomes an {@link EpollConnection} with the
 * peer address accept4 gave, at no further syscall.
 *
 * <p>Out of fds, accept4 fails with the connection still queued in the kernel; accepting is then off until
 * the guest's socket turns it on again, and, edge-triggered, the listener is not reported again meanwhile
 * unless another connection arrives (which fails once more, and pauses again): the host does not spin. When
 * accepting is turned on, the loop runs at once, since no edge comes for connections already waiting.
 *
 * <p>Threading: the guest's calls on the guest thread (threaded mode: under the shard lock); {@link #handle} on
 * the loop's thread, taking the shard lock in threaded mode.
 *
 * <p>Public because {@link GuestSocket} makes it at sock_bind on epoll.
 */
public final class EpollListener implements Listener, EpollIoHandle {
    private static final EpollIoOps IN_ET = EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLET);
    /** accept4's peer address: a length byte, the address, the scope id and the port (Netty's layout). */
    private final byte[] peer = new byte[26];

    private final GuestNetwork net;
    private final NativeSocket socket;
    private final InetSocketAddress local;
    private final ListenerEvents events;
    private final IoRegistration registration;
    private boolean want;
    private boolean armed;
    /** The accept loop is queued to run on the loop (see {@link #accepting}). */
    private boolean acceptScheduled;
    private boolean closed;

    /** Binds {@code socket} (options already set) and listens, as sock_bind does here. */
    public EpollListener(GuestNetwork net, NativeSocket socket, InetSocketAddress address, ListenerEvents events) {
        this.net = net;
        this.socket = socket;
        this.events = events;
        this.local = socket.bindAndListen(address);
        this.registration = net.loop().register(this);
        net.listenerOpened(this);
    }

    @Override
    public FileDescriptor fd() {
        return socket;
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public void accepting(boolean on) {
        if (closed || want == on) {
            return;
        }
        want = on;
        if (on) {
            if (!armed) {
                armed = true;
                registration.submit(IN_ET);
            }
            if (!acceptScheduled) {
                // At the loop's next run, as a channel's read would be, not inside the guest's call: a close
                // that makes room under the connection limit, then another, take one connection in, not two
                // pauses; and in threaded mode the accepts stay on the I/O thread.
                acceptScheduled = true;
                net.loop().later(acceptLater);
            }
        }
    }

    private final Runnable acceptLater = () -> {
        acceptScheduled = false;
        acceptAll();
    };

    private void acceptAll() {
        while (want && !closed) {
            int fd;
            try {
                fd = socket.accept(peer);
            } catch (IOException e) {
                Errno err = NetErrors.errno(e);
                if (err == Errno.CONNABORTED || err == Errno.INTR) {
                    continue; // that connection is gone; the next may be there
                }
                events.acceptFailed(err);
                return;
            }
            if (fd < 0) {
                return; // the kernel's queue is empty
            }
            InetSocketAddress remote = NativeInetAddress.address(peer, 1, peer[0]);
            events.accepted(new EpollConnection(net, fd, socket.ipv6(), remote));
        }
    }

    @Override
    public void handle(IoRegistration r, IoEvent event) {
        net.loop().enter();
        try {
            acceptAll();
        } finally {
            net.loop().exit();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        want = false;
        socket.closeQuietly(); // the port is free at once: nothing else holds the socket
        registration.cancel();
        net.listenerClosed(this);
    }

    @Override
    public OptionTarget options() {
        return closed ? OptionTarget.Closed.TARGET : socket;
    }
}

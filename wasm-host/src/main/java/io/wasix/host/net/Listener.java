package io.wasix.host.net;

import io.wasix.host.net.channel.ChannelListener;
import io.wasix.host.net.epoll.EpollListener;
import io.wasix.host.net.uring.RingListener;
import java.net.InetSocketAddress;

/**
 * The kernel side of a listening TCP socket, on one transport's terms: {@link ChannelListener} (a Netty server
 * channel, on NIO), {@link RingListener} (multishot accepts on the shard's io_uring ring) or
 * {@link EpollListener} (accept4 loops from the shard's epoll loop). It is bound and listening from the moment
 * it is made (sock_bind), and hands connections to its {@link ListenerEvents} only between {@link #accepting}
 * on and off.
 *
 * <p>Threading: as {@link Connection}.
 *
 * <p>Public, and no longer sealed, because its implementations live in their transport's package
 * ({@code net.channel}, {@code net.uring}, {@code net.epoll}) and a sealed interface outside a named module may
 * permit only classes of its own package. They are still the only three: nothing else implements it.
 */
public interface Listener {
    /** The address the kernel bound (the real port when the guest asked for port 0). */
    InetSocketAddress localAddress();

    /**
     * Starts or stops taking connections from the kernel's queue: on at sock_listen, off while the guest's
     * accept queue is full or the process is out of fds (the connections wait in the kernel meanwhile).
     */
    void accepting(boolean on);

    /**
     * The guest's accept asks for the peer's address: a transport that would otherwise have to ask the kernel
     * for it per connection may accept in a way that reports it (see {@link RingListener}).
     */
    default void peersWanted() {
    }

    /**
     * Closes the listener and waits, briefly, until the kernel has let go of its port, as close(2) does: the
     * guest may bind the port again at once. Connections accepted and not yet taken are the socket's to close.
     */
    void close();

    /** Where the guest's socket options go. */
    OptionTarget options();
}

package io.wasix.host.net;

import io.wasix.host.net.channel.ChannelConnection;
import java.net.InetSocketAddress;

/**
 * The kernel side of one TCP connection, on one transport's terms: {@link ChannelConnection} (a Netty channel:
 * NIO, and outbound connections on every transport), {@link io.wasix.host.net.uring.RingConnection} (a socket driven straight on the
 * shard's io_uring ring) or {@link io.wasix.host.net.epoll.EpollConnection} (a socket driven straight from the shard's epoll loop).
 * {@link GuestSocket} holds what the guest sees (the state, the received bytes, the errors) and tells its
 * connection what to do; the connection tells it back what happened through {@link ConnectionEvents}.
 *
 * <p>Every call queues work and returns; nothing here waits. Writes are copied from the guest's buffers once,
 * in the call. Shutdowns and the close go out after the writes queued before them, never before.
 *
 * <p>Threading: called by the socket's caller (the guest thread; in threaded mode under the shard lock). The
 * events arrive inside a loop run, on the thread that runs the loop, holding the shard lock in threaded mode.
 *
 * <p>Public, and no longer sealed, because its implementations live in their transport's package
 * ({@code net.channel}, {@code net.uring}, {@code net.epoll}) and a sealed interface outside a named module may
 * permit only classes of its own package. They are still the only three: nothing else implements it.
 */
public interface Connection {
    /** Bytes queued beyond which {@link #isWritable()} turns false (Netty's default write high-water mark). */
    int WRITE_HIGH_WATER = 64 * 1024;
    /** Queued bytes below which a connection that stopped being writable is writable again. */
    int WRITE_LOW_WATER = 32 * 1024;

    /**
     * Gives the connection the socket its events go to, once, before anything else; a connection just accepted
     * may start receiving now (the bytes wait in the socket's queue until the guest takes the connection).
     */
    void attach(ConnectionEvents events);

    /**
     * The guest took this connection from its listener's queue (or connected it): it is served from now on.
     * {@code options} are the guest's, applied where the kernel did not copy them from the listener (a Netty
     * channel, which sets its own defaults).
     */
    void start(SocketOptions options);

    /**
     * The guest is about to wait for this connection, or to look at its readiness: bring in what the kernel
     * already holds if this transport reads without the loop (epoll reads at once and, the first time, adds
     * the fd to the epoll set), so that the loop hears of what comes next. The ring and channels receive
     * through the loop anyway.
     */
    default void refresh() {
    }

    /**
     * The guest's receive found nothing queued: bring in what the kernel already holds, as {@link #refresh}
     * does, but a transport may leave the fd out of its wait set when that found something, since the guest
     * takes it at once and need not wait (a request-per-connection server's connection is then answered and
     * closed without ever being watched). The guest calls {@link #refresh} before any wait.
     */
    default void readNow() {
        refresh();
    }

    /** Flow control of received bytes: off once the guest's inbound queue is full, on again when drained. */
    void setReading(boolean on);

    /** Open, and neither reset nor closed by the peer's RST. */
    boolean isActive();

    /** Under the write high-water mark. */
    boolean isWritable();

    /** Bytes that may still be queued before the connection stops being writable. */
    long writableBytes();

    /** Copies {@code len} bytes of {@code src} now and queues them for sending, in order. */
    void write(GuestBuffers src, int len);

    /** Sends FIN once the queued writes have gone (shutdown(SHUT_WR)). */
    void shutdownOutput();

    /** Stops receiving (shutdown(SHUT_RD)): what arrives from now on is dropped. */
    void shutdownInput();

    /**
     * Closes the connection once the queued writes have gone, dropping what was received and not read.
     *
     * @param dropShutdown a shutdownOutput asked for and not yet made may be left out: the close sends the FIN
     *     anyway (the guest read everything it was sent, so the close cannot turn into a reset)
     */
    void close(boolean dropShutdown);

    /** getsockname, asked of the kernel only now (and remembered). Null once closed. */
    InetSocketAddress localAddress();

    /** getpeername, asked of the kernel only now (and remembered). Null when the kernel has no peer for it. */
    InetSocketAddress remoteAddress();

    /** Where the guest's socket options go. */
    OptionTarget options();
}

package io.wasix.host.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.util.internal.PlatformDependent;
import io.wasix.host.abi.Errno;

/**
 * A socket's options as the guest set them. They are kept here because a WASIX socket exists before its
 * Netty channel does (bind and connect create it), then applied to the channel when it appears and written
 * through to it afterwards. Option ids are WASIX Sockoption values. Owned by the guest thread.
 */
public final class SocketOptions {
    // WASIX Sockoption ids
    public static final int REUSE_PORT = 1, REUSE_ADDR = 2, NO_DELAY = 3, DONT_ROUTE = 4, ONLY_V6 = 5,
            BROADCAST = 6, LISTENING = 10, LAST_ERROR = 11, KEEP_ALIVE = 12, LINGER = 13, OOB_INLINE = 14,
            RECV_BUF_SIZE = 15, SEND_BUF_SIZE = 16, RECV_LOWAT = 17, SEND_LOWAT = 18, RECV_TIMEOUT = 19,
            SEND_TIMEOUT = 20, CONNECT_TIMEOUT = 21, ACCEPT_TIMEOUT = 22, TTL = 23, TYPE = 25, PROTO = 26;

    boolean reuseAddr;
    boolean reusePort;
    boolean noDelay;            // Nagle on, as Linux starts a TCP socket
    Boolean keepAlive;
    int recvBufSize;            // 0: the kernel's default
    int sendBufSize;
    long lingerNanos = -1;      // -1: off
    long recvTimeoutNanos = -1; // -1: wait for ever
    long sendTimeoutNanos = -1;
    long connectTimeoutNanos = -1;
    long acceptTimeoutNanos = -1;

    /** An accepted connection inherits its listener's options, as on Linux. */
    SocketOptions copyForAccepted() {
        SocketOptions c = new SocketOptions();
        c.reuseAddr = reuseAddr;
        c.reusePort = reusePort;
        c.noDelay = noDelay;
        c.keepAlive = keepAlive;
        c.recvBufSize = recvBufSize;
        c.sendBufSize = sendBufSize;
        c.lingerNanos = lingerNanos;
        c.recvTimeoutNanos = recvTimeoutNanos;
        c.sendTimeoutNanos = sendTimeoutNanos;
        c.connectTimeoutNanos = connectTimeoutNanos;
        return c;
    }

    /** Applies what the guest set to a new connection channel. */
    void applyTo(Channel ch) {
        // Netty turns TCP_NODELAY on as it makes a channel; undo that unless the guest asked for it too.
        if (noDelay != PlatformDependent.canEnableTcpNoDelayByDefault()) {
            ch.config().setOption(ChannelOption.TCP_NODELAY, noDelay);
        }
        if (keepAlive != null) {
            ch.config().setOption(ChannelOption.SO_KEEPALIVE, keepAlive);
        }
        if (recvBufSize > 0) {
            ch.config().setOption(ChannelOption.SO_RCVBUF, recvBufSize);
        }
        if (sendBufSize > 0) {
            ch.config().setOption(ChannelOption.SO_SNDBUF, sendBufSize);
        }
        if (lingerNanos >= 0) {
            ch.config().setOption(ChannelOption.SO_LINGER, (int) (lingerNanos / 1_000_000_000L));
        }
    }

    // ---------------------------------------------------------------- sock_set/get_opt_flag

    public void setFlag(GuestSocket s, int opt, boolean on) {
        Channel conn = s.connection();
        switch (opt) {
            // Like Linux, setting these after bind is accepted and only affects a later bind.
            case REUSE_ADDR -> reuseAddr = on;
            case REUSE_PORT -> reusePort = on;
            case NO_DELAY -> {
                noDelay = on;
                set(conn, ChannelOption.TCP_NODELAY, on);
            }
            case KEEP_ALIVE -> {
                keepAlive = on;
                set(conn, ChannelOption.SO_KEEPALIVE, on);
            }
            case ONLY_V6 -> {
                if (!s.ipv6()) {
                    throw Errno.NOPROTOOPT.fail();
                }
                // Netty opens IPv6 sockets dual-stack and cannot change that per channel.
                if (on) {
                    throw Errno.NOTSUP.fail();
                }
            }
            default -> throw Errno.NOPROTOOPT.fail();
        }
    }

    public boolean getFlag(GuestSocket s, int opt) {
        Channel conn = s.connection();
        return switch (opt) {
            case REUSE_ADDR -> reuseAddr;
            case REUSE_PORT -> reusePort;
            case NO_DELAY -> conn != null ? conn.config().getOption(ChannelOption.TCP_NODELAY) : noDelay;
            case KEEP_ALIVE -> conn != null ? conn.config().getOption(ChannelOption.SO_KEEPALIVE) : keepAlive != null && keepAlive;
            case ONLY_V6 -> false;
            case LISTENING -> s.isListening();
            default -> throw Errno.NOPROTOOPT.fail();
        };
    }

    // ---------------------------------------------------------------- sock_set/get_opt_size

    public void setSize(GuestSocket s, int opt, long size) {
        Channel live = s.liveChannel();
        if (size < 0 || size > Integer.MAX_VALUE) {
            throw Errno.INVAL.fail();
        }
        switch (opt) {
            case RECV_BUF_SIZE -> {
                recvBufSize = (int) size;
                set(live, ChannelOption.SO_RCVBUF, recvBufSize);
            }
            case SEND_BUF_SIZE -> {
                sendBufSize = (int) size;
                set(s.connection(), ChannelOption.SO_SNDBUF, sendBufSize);
            }
            default -> throw Errno.NOPROTOOPT.fail();
        }
    }

    public long getSize(GuestSocket s, int opt) {
        Channel live = s.liveChannel();
        Channel conn = s.connection();
        return switch (opt) {
            case RECV_BUF_SIZE -> live != null ? live.config().getOption(ChannelOption.SO_RCVBUF) : recvBufSize;
            case SEND_BUF_SIZE -> conn != null ? conn.config().getOption(ChannelOption.SO_SNDBUF) : sendBufSize;
            case TYPE -> 1; // Stream: the only socket type this host opens
            case PROTO -> 6; // TCP
            case LAST_ERROR -> s.takeLastError().code();
            default -> throw Errno.NOPROTOOPT.fail();
        };
    }

    // ---------------------------------------------------------------- sock_set/get_opt_time

    /** @param nanos the timeout, or -1 for none (the opt_ts None tag) */
    public void setTime(GuestSocket s, int opt, long nanos) {
        switch (opt) {
            case RECV_TIMEOUT -> recvTimeoutNanos = nanos;
            case SEND_TIMEOUT -> sendTimeoutNanos = nanos;
            case CONNECT_TIMEOUT -> connectTimeoutNanos = nanos;
            case ACCEPT_TIMEOUT -> acceptTimeoutNanos = nanos;
            case LINGER -> {
                lingerNanos = nanos;
                set(s.connection(), ChannelOption.SO_LINGER, nanos < 0 ? -1 : (int) (nanos / 1_000_000_000L));
            }
            default -> throw Errno.NOPROTOOPT.fail();
        }
    }

    /** @return the timeout in nanoseconds, or -1 for none */
    public long getTime(int opt) {
        return switch (opt) {
            case RECV_TIMEOUT -> recvTimeoutNanos;
            case SEND_TIMEOUT -> sendTimeoutNanos;
            case CONNECT_TIMEOUT -> connectTimeoutNanos;
            case ACCEPT_TIMEOUT -> acceptTimeoutNanos;
            case LINGER -> lingerNanos;
            default -> throw Errno.NOPROTOOPT.fail();
        };
    }

    /** Writes an option through to a channel that exists; before then it is applied when one appears. */
    private static <T> void set(Channel ch, ChannelOption<T> option, T value) {
        if (ch != null) {
            ch.config().setOption(option, value);
        }
    }
}

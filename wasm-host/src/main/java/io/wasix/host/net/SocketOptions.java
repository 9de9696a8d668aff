package io.wasix.host.net;

import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.util.internal.PlatformDependent;
import io.wasix.host.abi.Errno;

/**
 * A socket's options as the guest set them. They are kept here because a WASIX socket exists before its
 * Netty channel does (bind and connect create it), then applied to the channel when it appears and written
 * through to it afterwards. Option ids are WASIX Sockoption values.
 *
 * <p>No option call fails because the channel is gone: on Linux, setsockopt and getsockopt keep working on a
 * socket whose peer reset it (a "linger 0, then close" after an error is common), so once Netty has closed the
 * channel the stored values are set and answered instead. A value the kernel refuses becomes its errno. Owned
 * by the guest thread; in threaded mode, by any guest thread under the shard lock.
 *
 * <p>{@link #applyTo} and the listener's values are public for the channel transport ({@code net.channel}).
 */
public final class SocketOptions {
    // WASIX Sockoption ids
    public static final int REUSE_PORT = 1, REUSE_ADDR = 2, NO_DELAY = 3, DONT_ROUTE = 4, ONLY_V6 = 5,
            BROADCAST = 6, MCAST_LOOP_V4 = 7, MCAST_LOOP_V6 = 8, LISTENING = 10, LAST_ERROR = 11, KEEP_ALIVE = 12,
            LINGER = 13, OOB_INLINE = 14, RECV_BUF_SIZE = 15, SEND_BUF_SIZE = 16, RECV_LOWAT = 17, SEND_LOWAT = 18,
            RECV_TIMEOUT = 19, SEND_TIMEOUT = 20, CONNECT_TIMEOUT = 21, ACCEPT_TIMEOUT = 22, TTL = 23,
            MULTICAST_TTL_V4 = 24, TYPE = 25, PROTO = 26;

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
    // the buffer sizes the kernel last reported, answered once the channel has closed; 0: never read
    private int kernelRecvBufSize;
    private int kernelSendBufSize;
    /**
     * The datagram options the guest set ({@link DatagramOptions}: SO_BROADCAST, IP_TTL, the multicast TTL and
     * loops), by WASIX id, in the order set: a UDP socket's options live in its channel, and this record of them
     * lets the socket carry them over to a channel that replaces a closed one.
     */
    private java.util.Map<Integer, Integer> datagramOptions; // null until one is set: a TCP socket never has any

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

    /**
     * Sets what the guest set so far on a listener's kernel socket before it binds: the bind's own options,
     * and those its accepted connections inherit from the kernel (Nagle, keep-alive, buffer sizes, linger),
     * so that nothing is set per connection. Netty's channels set TCP_NODELAY themselves; a plain socket
     * starts as Linux starts one, so only what differs from Linux's defaults is set.
     *
     * @throws io.wasix.host.abi.WasiException the kernel's refusal
     */
    void applyToListener(NativeSocket s, boolean forceReusePort, boolean forceReuseAddr) {
        try {
            s.setReuseAddress(reuseAddr || forceReuseAddr);
            if (reusePort || forceReusePort) {
                s.setReusePort(true);
            }
        } catch (java.io.IOException e) {
            throw NetErrors.errno(e).fail();
        }
        if (recvBufSize > 0) {
            set(s, ChannelOption.SO_RCVBUF, recvBufSize);
        }
        if (noDelay) {
            set(s, ChannelOption.TCP_NODELAY, true);
        }
        if (keepAlive != null && keepAlive) {
            set(s, ChannelOption.SO_KEEPALIVE, true);
        }
        if (sendBufSize > 0) {
            set(s, ChannelOption.SO_SNDBUF, sendBufSize);
        }
        if (lingerNanos >= 0) {
            set(s, ChannelOption.SO_LINGER, (int) (lingerNanos / 1_000_000_000L));
        }
    }

    /** What a listener made on a Netty server channel ({@code net.channel}) sets before it binds. */
    public boolean reuseAddr() {
        return reuseAddr;
    }

    public boolean reusePort() {
        return reusePort;
    }

    public int recvBufSize() {
        return recvBufSize;
    }

    /**
     * Applies what the guest set to a new connection channel. Best effort: an accepted connection may already
     * be reset, and Linux never refuses these values (it clamps sizes), so a failure here is not the guest's.
     */
    public void applyTo(OptionTarget ch) {
        // Netty turns TCP_NODELAY on as it makes a channel; undo that unless the guest asked for it too.
        if (noDelay != PlatformDependent.canEnableTcpNoDelayByDefault()) {
            applyQuietly(ch, ChannelOption.TCP_NODELAY, noDelay);
        }
        if (keepAlive != null) {
            applyQuietly(ch, ChannelOption.SO_KEEPALIVE, keepAlive);
        }
        if (recvBufSize > 0) {
            applyQuietly(ch, ChannelOption.SO_RCVBUF, recvBufSize);
        }
        if (sendBufSize > 0) {
            applyQuietly(ch, ChannelOption.SO_SNDBUF, sendBufSize);
        }
        if (lingerNanos >= 0) {
            applyQuietly(ch, ChannelOption.SO_LINGER, (int) (lingerNanos / 1_000_000_000L));
        }
    }

    /** Sets on a replacement UDP channel what the guest set on the one before (see {@link #datagramOptions}). */
    void applyToDatagram(io.netty.channel.socket.DatagramChannel ch, Transport t, boolean ipv6) {
        OptionTarget target = OptionTarget.of(ch);
        if (recvBufSize > 0) {
            applyQuietly(target, ChannelOption.SO_RCVBUF, recvBufSize);
        }
        if (sendBufSize > 0) {
            applyQuietly(target, ChannelOption.SO_SNDBUF, sendBufSize);
        }
        if (datagramOptions == null) {
            return;
        }
        datagramOptions.forEach((opt, value) -> {
            try {
                DatagramOptions.set(ch, t, ipv6, opt, value);
            } catch (io.wasix.host.abi.WasiException refusedBefore) {
                // the same value was taken by the channel before; nothing the guest can act on now
            }
        });
    }

    private static <T> void applyQuietly(OptionTarget ch, ChannelOption<T> option, T value) {
        try {
            set(ch, option, value);
        } catch (io.wasix.host.abi.WasiException refused) {
            // see applyTo
        }
    }

    // ---------------------------------------------------------------- sock_set/get_opt_flag

    public void setFlag(NetSocket s, int opt, boolean on) {
        OptionTarget conn = stream(s);
        switch (opt) {
            // Like Linux, setting these after bind is accepted and only affects a later bind.
            case REUSE_ADDR -> reuseAddr = on;
            case REUSE_PORT -> reusePort = on;
            case NO_DELAY -> {
                requireStream(s); // TCP_NODELAY is at the TCP level, which a UDP socket has not
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
            case BROADCAST, MCAST_LOOP_V4, MCAST_LOOP_V6 -> setDatagram(s, opt, on ? 1 : 0);
            default -> throw Errno.NOPROTOOPT.fail();
        }
    }

    public boolean getFlag(NetSocket s, int opt) {
        OptionTarget conn = stream(s);
        return switch (opt) {
            case REUSE_ADDR -> reuseAddr;
            case REUSE_PORT -> reusePort;
            case NO_DELAY -> {
                requireStream(s);
                yield get(conn, ChannelOption.TCP_NODELAY, noDelay);
            }
            case KEEP_ALIVE -> get(conn, ChannelOption.SO_KEEPALIVE, keepAlive != null && keepAlive);
            case ONLY_V6 -> false;
            case LISTENING -> s.isListening();
            case BROADCAST, MCAST_LOOP_V4, MCAST_LOOP_V6 -> getDatagram(s, opt) != 0;
            default -> throw Errno.NOPROTOOPT.fail();
        };
    }

    /**
     * The datagram options go straight to the UDP socket's channel, which exists from sock_open on, so the
     * kernel checks each value. A TCP socket answers ENOPROTOOPT: this host serves them for datagrams only.
     */
    private void setDatagram(NetSocket s, int opt, int value) {
        if (!(s instanceof GuestUdpSocket u)) {
            throw Errno.NOPROTOOPT.fail();
        }
        DatagramOptions.set(u.channel(), u.transport(), u.ipv6(), opt, value);
        if (datagramOptions == null) {
            datagramOptions = new java.util.LinkedHashMap<>();
        }
        datagramOptions.remove(opt); // re-added last: replayed in the order set
        datagramOptions.put(opt, value);
    }

    private int getDatagram(NetSocket s, int opt) {
        if (!(s instanceof GuestUdpSocket u)) {
            throw Errno.NOPROTOOPT.fail();
        }
        return DatagramOptions.get(u.channel(), u.transport(), u.ipv6(), opt);
    }

    private static void requireStream(NetSocket s) {
        if (s instanceof GuestUdpSocket) {
            throw Errno.NOPROTOOPT.fail();
        }
    }

    /**
     * Where the stream-only options (Nagle, keep-alive, linger) go: a TCP connection, or a listener whose
     * connections inherit them from the kernel (see {@link GuestSocket#streamOptions}); null for UDP.
     */
    private static OptionTarget stream(NetSocket s) {
        return s instanceof GuestSocket t ? t.streamOptions() : null;
    }

    /** Where the receive buffer size goes: a listener or a connection, or a UDP socket's channel. */
    private static OptionTarget live(NetSocket s) {
        return switch (s) {
            case GuestSocket t -> t.liveOptions();
            case GuestUdpSocket u -> OptionTarget.of(u.channel());
        };
    }

    /** Where the send buffer size goes: as the stream options, or a UDP socket's channel. */
    private static OptionTarget sending(NetSocket s) {
        return switch (s) {
            case GuestSocket t -> t.streamOptions();
            case GuestUdpSocket u -> OptionTarget.of(u.channel());
        };
    }

    // ---------------------------------------------------------------- sock_set/get_opt_size

    public void setSize(NetSocket s, int opt, long size) {
        OptionTarget live = live(s);
        if (size < 0 || size > Integer.MAX_VALUE) {
            throw Errno.INVAL.fail();
        }
        switch (opt) {
            case RECV_BUF_SIZE -> {
                recvBufSize = (int) size;
                kernelRecvBufSize = 0;
                set(live, ChannelOption.SO_RCVBUF, recvBufSize);
                if (s instanceof GuestUdpSocket u) {
                    u.receiveBufferChanged();
                }
            }
            case SEND_BUF_SIZE -> {
                sendBufSize = (int) size;
                kernelSendBufSize = 0;
                set(sending(s), ChannelOption.SO_SNDBUF, sendBufSize);
            }
            case TTL, MULTICAST_TTL_V4 -> setDatagram(s, opt, (int) size);
            default -> throw Errno.NOPROTOOPT.fail();
        }
    }

    public long getSize(NetSocket s, int opt) {
        OptionTarget live = live(s);
        OptionTarget conn = sending(s);
        boolean udp = s instanceof GuestUdpSocket;
        return switch (opt) {
            case RECV_BUF_SIZE -> isOpen(live)
                    ? kernelRecvBufSize = get(live, ChannelOption.SO_RCVBUF, recvBufSize)
                    : live == null ? recvBufSize : lastKnownSize(kernelRecvBufSize, recvBufSize, KernelDefaults.RECV_BUF);
            case SEND_BUF_SIZE -> isOpen(conn)
                    ? kernelSendBufSize = get(conn, ChannelOption.SO_SNDBUF, sendBufSize)
                    : conn == null ? sendBufSize : lastKnownSize(kernelSendBufSize, sendBufSize, KernelDefaults.SEND_BUF);
            case TYPE -> udp ? 2 : 1; // Dgram, Stream
            case PROTO -> udp ? 17 : 6; // UDP, TCP
            case TTL, MULTICAST_TTL_V4 -> getDatagram(s, opt);
            case LAST_ERROR -> s.takeLastError().code();
            default -> throw Errno.NOPROTOOPT.fail();
        };
    }

    // ---------------------------------------------------------------- sock_set/get_opt_time

    /** @param nanos the timeout, or -1 for none (the opt_ts None tag) */
    public void setTime(NetSocket s, int opt, long nanos) {
        switch (opt) {
            case RECV_TIMEOUT -> recvTimeoutNanos = nanos;
            case SEND_TIMEOUT -> sendTimeoutNanos = nanos;
            case CONNECT_TIMEOUT -> connectTimeoutNanos = nanos;
            case ACCEPT_TIMEOUT -> acceptTimeoutNanos = nanos;
            case LINGER -> { // Linux keeps SO_LINGER on a UDP socket too, where it changes nothing
                lingerNanos = nanos;
                set(stream(s), ChannelOption.SO_LINGER, nanos < 0 ? -1 : (int) (nanos / 1_000_000_000L));
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

    /**
     * A closed channel's buffer size, as Linux still reports it: the kernel's last answer, else what the guest
     * set doubled (Linux doubles SO_RCVBUF/SO_SNDBUF for its bookkeeping), else the kernel's default.
     */
    private static long lastKnownSize(int kernel, int set, int kernelDefault) {
        if (kernel > 0) {
            return kernel;
        }
        return set > 0 ? 2L * set : kernelDefault;
    }

    /**
     * Writes an option through to a channel that is open. Before there is one, it is applied when one appears;
     * once it has closed, only the stored value changes, as the option of a reset socket does on Linux.
     */
    private static <T> void set(OptionTarget ch, ChannelOption<T> option, T value) {
        if (!isOpen(ch)) {
            return;
        }
        try {
            ch.set(option, value);
        } catch (ChannelException e) {
            if (!ch.isOpen()) {
                return; // closed under us: the same as closed before
            }
            throw NetErrors.errno(e).fail();
        }
    }

    /** Reads an option from a channel that is open, else answers {@code stored}. */
    private static <T> T get(OptionTarget ch, ChannelOption<T> option, T stored) {
        if (!isOpen(ch)) {
            return stored;
        }
        try {
            return ch.get(option);
        } catch (ChannelException e) {
            if (!ch.isOpen()) {
                return stored;
            }
            throw NetErrors.errno(e).fail();
        }
    }

    private static boolean isOpen(OptionTarget ch) {
        return ch != null && ch.isOpen();
    }

    /** Linux's default buffer sizes (the middle of tcp_rmem / tcp_wmem), read once from /proc. */
    private static final class KernelDefaults {
        static final int RECV_BUF = read("/proc/sys/net/ipv4/tcp_rmem", 131072);
        static final int SEND_BUF = read("/proc/sys/net/ipv4/tcp_wmem", 16384);

        private static int read(String file, int fallback) {
            try {
                String[] fields = java.nio.file.Files.readString(java.nio.file.Path.of(file)).trim().split("\\s+");
                return Integer.parseInt(fields[1]);
            } catch (java.io.IOException | RuntimeException e) {
                return fallback; // not Linux, or no /proc: the usual defaults
            }
        }
    }
}

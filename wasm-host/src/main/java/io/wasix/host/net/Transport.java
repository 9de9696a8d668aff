package io.wasix.host.net;

import io.netty.channel.ChannelOption;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.spi.SelectorProvider;

/**
 * The Netty transports the guest's sockets can run on, best first. Each knows how to make its IoHandler and
 * channels; which one runs is decided once at start by {@link TransportChoice}. Immutable; any thread.
 */
public enum Transport {
    IO_URING("io_uring") {
        @Override public Throwable unavailabilityCause() {
            return IoUring.isAvailable() ? null : IoUring.unavailabilityCause();
        }
        @Override public IoHandlerFactory ioHandlerFactory() { return IoUringIoHandler.newFactory(); }
        // Netty makes every io_uring socket dual-stack AF_INET6 and binds both 0.0.0.0 and ::ffff:0.0.0.0 as
        // [::], so an IPv4 listener here also completes IPv6 handshakes; GuestSocket resets those peers.
        @Override public ServerChannel newServerChannel(boolean ipv6) { return new IoUringServerSocketChannel(); }
        @Override public DuplexChannel newSocketChannel(boolean ipv6) { return new IoUringSocketChannel(); }
        // Datagram sockets, unlike stream ones, take the family: an IPv4 one is AF_INET here too.
        @Override public DatagramChannel newDatagramChannel(boolean ipv6) { return new IoUringDatagramChannel(family(ipv6)); }
        @Override public ChannelOption<Boolean> reusePortOption() { return IoUringChannelOption.SO_REUSEPORT; }
        @Override public boolean rawSocketOptions() { return true; }
    },
    EPOLL("epoll") {
        @Override public Throwable unavailabilityCause() {
            return Epoll.isAvailable() ? null : Epoll.unavailabilityCause();
        }
        @Override public IoHandlerFactory ioHandlerFactory() { return EpollIoHandler.newFactory(); }
        @Override public ServerChannel newServerChannel(boolean ipv6) { return new EpollServerSocketChannel(family(ipv6)); }
        @Override public DuplexChannel newSocketChannel(boolean ipv6) { return new EpollSocketChannel(family(ipv6)); }
        @Override public DatagramChannel newDatagramChannel(boolean ipv6) { return new EpollDatagramChannel(family(ipv6)); }
        @Override public ChannelOption<Boolean> reusePortOption() { return EpollChannelOption.SO_REUSEPORT; }
        @Override public boolean rawSocketOptions() { return true; }
    },
    NIO("nio") {
        @Override public Throwable unavailabilityCause() { return null; }
        @Override public IoHandlerFactory ioHandlerFactory() { return NioIoHandler.newFactory(); }
        @Override public ServerChannel newServerChannel(boolean ipv6) {
            return new NioServerSocketChannel(SelectorProvider.provider(), family(ipv6));
        }
        @Override public DuplexChannel newSocketChannel(boolean ipv6) {
            return new NioSocketChannel(SelectorProvider.provider(), family(ipv6));
        }
        @Override public DatagramChannel newDatagramChannel(boolean ipv6) {
            return new NioDatagramChannel(SelectorProvider.provider(), family(ipv6));
        }
        @Override public ChannelOption<Boolean> reusePortOption() {
            return NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT);
        }
        @Override public boolean rawSocketOptions() { return false; }
    };

    static {
        NettyLog.install(); // before the first Netty class that logs is initialized
        // Channel ids embed a machine id, which Netty otherwise derives from the best MAC address by walking
        // every network interface when the first channel is made. Ids only name channels in logs here.
        if (System.getProperty("io.netty.machineId") == null) {
            long id = java.util.concurrent.ThreadLocalRandom.current().nextLong() | 0x0200_0000_0000_0000L; // locally administered
            System.setProperty("io.netty.machineId", java.util.HexFormat.ofDelimiter(":").formatHex(
                    java.nio.ByteBuffer.allocate(8).putLong(id).array()));
        }
        // Netty's pooled allocator asks its JFR events whether they are enabled at the first chunk, and
        // asking initializes the event class, which registers it and builds JFR's metadata repository:
        // ~150 ms before the first response (boot report). With no recording at start, keep Netty's events
        // off; a recording started later with jcmd then lacks them (our own syscall events still work).
        if (System.getProperty("io.netty.jfr.enabled") == null && !jdk.jfr.FlightRecorder.isInitialized()) {
            System.setProperty("io.netty.jfr.enabled", "false");
        }
        // A multishot accept that ends in an error (EMFILE: the process is out of fds) is re-armed by Netty
        // whether or not the channel still wants to read, so a listener paused for want of fds (GuestSocket)
        // would fail accept(2) in a loop, one core busy. One accept per submission honours the pause; the cost
        // is one more submission queue entry per accepted connection, batched into the same io_uring_enter.
        if (System.getProperty("io.netty.iouring.acceptMultiShotEnabled") == null) {
            System.setProperty("io.netty.iouring.acceptMultiShotEnabled", "false");
        }
    }

    private final String label;

    Transport(String label) {
        this.label = label;
    }

    /** The name used on the command line, in logs and in metrics. */
    public String label() {
        return label;
    }

    /** Null when this transport can run here, else why not. */
    public abstract Throwable unavailabilityCause();

    public abstract IoHandlerFactory ioHandlerFactory();

    /**
     * A listening channel for a guest socket of the given family. IPv6 sockets are dual-stack, as Linux makes
     * them by default; IPv4 sockets are AF_INET where Netty allows it, so a listener on 0.0.0.0 is IPv4 only.
     */
    public abstract ServerChannel newServerChannel(boolean ipv6);

    /** A connecting channel for a guest socket of the given family. */
    public abstract DuplexChannel newSocketChannel(boolean ipv6);

    /** A UDP channel for a guest socket of the given family: AF_INET or AF_INET6 (dual-stack), on every transport. */
    public abstract DatagramChannel newDatagramChannel(boolean ipv6);

    /**
     * Whether this transport's channels take any setsockopt by level and name (Netty's Integer- and
     * RawUnixChannelOption): the native ones do, so an option Netty has no name for (IP_TTL, the multicast
     * ones) reaches the kernel exactly as the guest meant it. NIO only has the JDK's StandardSocketOptions.
     */
    public abstract boolean rawSocketOptions();

    private static SocketProtocolFamily family(boolean ipv6) {
        return ipv6 ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
    }

    public abstract ChannelOption<Boolean> reusePortOption();

    public static Transport byLabel(String label) {
        for (Transport t : values()) {
            if (t.label.equals(label)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown transport '" + label + "' (expected auto, io_uring, epoll or nio)");
    }
}

package io.wasix.host.net;

import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.unix.Socket;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * A kernel TCP socket the host drives itself, with no Netty channel around it: the listeners and accepted
 * connections of the io_uring and epoll backends. AF_INET for an IPv4 guest socket, dual-stack AF_INET6 for
 * an IPv6 one, non-blocking and close-on-exec, as Netty's native transports open theirs. Its options are
 * written straight to the fd ({@link OptionTarget}); an accepted socket inherits the listener's from the
 * kernel, so the host sets nothing per connection unless the guest does.
 *
 * <p>Needs the native library of the epoll or io_uring transport, which choosing that transport loaded.
 * Threading: any thread (each call is one syscall on the fd); the socket's owner decides who calls.
 *
 * <p>Public because the io_uring and epoll transports ({@code net.uring}, {@code net.epoll}) share it.
 */
public final class NativeSocket extends Socket implements OptionTarget {
    /**
     * A connection's first receive size, and the least its receives shrink back to (io_uring and epoll alike).
     */
    public static final int MIN_RECV = 2048;
    public static final int MAX_RECV = 64 * 1024;

    private final boolean ipv6;

    /** A view of an open fd; Netty's Socket asks the kernel its family here (one getsockname). */
    public NativeSocket(int fd, boolean ipv6) {
        super(fd);
        this.ipv6 = ipv6;
    }

    /**
     * A new stream socket of the guest's family.
     *
     * @throws ChannelException when the kernel refuses one (EMFILE, ENFILE...), the cause carrying its errno
     */
    static NativeSocket stream(boolean ipv6) {
        return new NativeSocket(newSocketStream0(ipv6), ipv6);
    }

    public boolean ipv6() {
        return ipv6;
    }

    /**
     * Binds and listens with {@link GuestNetwork#LISTEN_BACKLOG}, as sock_bind does here; closes the socket if
     * the kernel refuses either.
     *
     * @return the address the kernel bound (the real port for port 0)
     * @throws io.wasix.host.abi.WasiException with the kernel's errno
     */
    public InetSocketAddress bindAndListen(InetSocketAddress address) {
        try {
            bind(address);
            listen(GuestNetwork.LISTEN_BACKLOG);
            return localAddress();
        } catch (IOException | RuntimeException e) {
            closeQuietly();
            throw NetErrors.errno(e).fail();
        }
    }

    /** Closes {@code fd} now (close(2)), for an fd never given a socket object. */
    public static void closeFd(int fd) {
        try {
            new io.netty.channel.unix.FileDescriptor(fd).close();
        } catch (IOException ignored) {
            // the fd is released anyway
        }
    }

    /** Closes the fd now, ignoring the kernel's answer: a close(2) of a socket frees its fd whatever it says. */
    public void closeQuietly() {
        try {
            close();
        } catch (IOException ignored) {
            // the fd is released anyway
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> void set(ChannelOption<T> option, T value) {
        try {
            if (option == ChannelOption.TCP_NODELAY) {
                setTcpNoDelay((Boolean) value);
            } else if (option == ChannelOption.SO_KEEPALIVE) {
                setKeepAlive((Boolean) value);
            } else if (option == ChannelOption.SO_RCVBUF) {
                setReceiveBufferSize((Integer) value);
            } else if (option == ChannelOption.SO_SNDBUF) {
                setSendBufferSize((Integer) value);
            } else if (option == ChannelOption.SO_LINGER) {
                setSoLinger((Integer) value);
            } else if (option == ChannelOption.SO_REUSEADDR) {
                setReuseAddress((Boolean) value);
            } else {
                throw new IllegalArgumentException("no native setter for " + option);
            }
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T get(ChannelOption<T> option) {
        try {
            Object v;
            if (option == ChannelOption.TCP_NODELAY) {
                v = isTcpNoDelay();
            } else if (option == ChannelOption.SO_KEEPALIVE) {
                v = isKeepAlive();
            } else if (option == ChannelOption.SO_RCVBUF) {
                v = getReceiveBufferSize();
            } else if (option == ChannelOption.SO_SNDBUF) {
                v = getSendBufferSize();
            } else if (option == ChannelOption.SO_LINGER) {
                v = getSoLinger();
            } else if (option == ChannelOption.SO_REUSEADDR) {
                v = isReuseAddress();
            } else {
                throw new IllegalArgumentException("no native getter for " + option);
            }
            return (T) v;
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }
}

package io.wasix.host.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;

/**
 * Where a socket's options are read and written: a Netty channel's config (NIO, UDP, outbound connections) or a
 * kernel socket the host drives itself ({@link NativeSocket}: listeners and accepted connections on io_uring and
 * epoll). {@link SocketOptions} speaks only to this, with Netty's option names for both.
 *
 * <p>Threading: whoever calls the socket (the guest thread; in threaded mode under the shard lock).
 *
 * <p>Public for the transports' listeners and connections, which live in their own packages.
 */
public interface OptionTarget {
    /** Whether the socket is still open; a closed one keeps the values the guest set (see SocketOptions). */
    boolean isOpen();

    /** @throws ChannelException with the kernel's refusal as its cause */
    <T> void set(ChannelOption<T> option, T value);

    /** @throws ChannelException with the kernel's refusal as its cause */
    <T> T get(ChannelOption<T> option);

    /** A channel's options, through its config. */
    static OptionTarget of(Channel ch) {
        return ch == null ? null : new OptionTarget() {
            @Override
            public boolean isOpen() {
                return ch.isOpen();
            }

            @Override
            public <T> void set(ChannelOption<T> option, T value) {
                ch.config().setOption(option, value);
            }

            @Override
            public <T> T get(ChannelOption<T> option) {
                return ch.config().getOption(option);
            }
        };
    }

    /** The options of a connection the guest closed: nothing is open, the stored values answer. */
    final class Closed implements OptionTarget {
        public static final Closed TARGET = new Closed();

        @Override
        public boolean isOpen() {
            return false;
        }

        @Override
        public <T> void set(ChannelOption<T> option, T value) {
            throw new IllegalStateException("closed");
        }

        @Override
        public <T> T get(ChannelOption<T> option) {
            throw new IllegalStateException("closed");
        }
    }
}

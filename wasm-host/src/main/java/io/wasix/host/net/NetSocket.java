package io.wasix.host.net;

import io.wasix.host.abi.Errno;
import io.wasix.host.fd.Descriptor;
import java.net.InetSocketAddress;

/**
 * A guest socket of either kind: {@link GuestSocket} (TCP) or {@link GuestUdpSocket} (UDP). The calls every socket
 * takes the same way are here; the syscall layer switches over the two kinds for the rest (listen and accept,
 * sends and receives, whose semantics differ).
 *
 * <p>Threading: as its implementations, owned by the guest thread.
 */
public sealed interface NetSocket extends Descriptor permits GuestSocket, GuestUdpSocket {
    /** AF_INET6 (dual-stack) rather than AF_INET. */
    boolean ipv6();

    /** The options the guest set, kept for the channels the socket makes. */
    SocketOptions options();

    /** sock_bind: EINVAL when already bound, as bind(2). */
    void bind(InetSocketAddress local);

    /** WASIX sock_shutdown: a bitmask, RD=1, WR=2; other values EINVAL. */
    void shutdown(int how);

    /** WASIX sock_status: 0 Opening, 1 Opened, 2 Closed, 3 Failed. */
    int status();

    /** getsockname: the any-address and port 0 before the socket is bound. */
    InetSocketAddress localAddress();

    /** getpeername: ENOTCONN unless connected. */
    InetSocketAddress peerAddress();

    /** SO_ERROR: the last error, cleared by reading it. */
    Errno takeLastError();

    /** Whether sock_listen has made this a listener (SO_ACCEPTCONN). */
    boolean isListening();
}

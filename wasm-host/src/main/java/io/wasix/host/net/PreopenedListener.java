package io.wasix.host.net;

import io.wasix.host.ListenerPreopenException;
import io.wasix.host.abi.WasiException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;

/**
 * A listening socket the host opens before the guest starts, as wasmtime's {@code --tcplisten} does, for WASI
 * preview 1 servers that cannot open one themselves (preview 1 has no sock_open or sock_bind) and so accept on
 * an fd they were given: Rust std's {@code TcpListener::from_raw_fd(3)}, Go's and .NET's WASI servers. To the
 * guest it is an ordinary listening socket, the same as one it bound and listened on itself: sock_accept (both
 * forms), fd_fdstat_get (SOCKET_STREAM), poll_oneoff and epoll serve it alike. It binds with SO_REUSEADDR, as
 * wasmtime's (Rust's TcpListener::bind) does, so a restart finds the port free during TIME_WAIT; with several
 * shards each binds its own, sharing the port through SO_REUSEPORT ({@link GuestNetwork#forceReusePort()}).
 * Runs on the guest thread, before the guest does.
 */
public final class PreopenedListener {
    private PreopenedListener() {}

    /** A socket bound to {@code address} and listening, or a {@link ListenerPreopenException} naming the errno. */
    public static GuestSocket open(GuestNetwork net, InetSocketAddress address) {
        GuestSocket s = new GuestSocket(net, address.getAddress() instanceof Inet6Address);
        try {
            s.options().setFlag(s, SocketOptions.REUSE_ADDR, true);
            s.bind(address);
            s.listen();
            return s;
        } catch (WasiException e) {
            s.close();
            throw new ListenerPreopenException(address, e.errno());
        }
    }
}
